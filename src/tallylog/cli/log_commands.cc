// `tallylog log append|proof|consistency` and `tallylog verify`: flags, wiring and printing
// only; the work is in log/ (log.h, verify.h).
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/store/store.h"
#include "tallylog/base/bytes.h"
#include "tallylog/base/env.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/verify_args.h"
#include "tallylog/cli/progress.h"
#include "tallylog/election/device.h"
#include "tallylog/log/http_files.h"
#include "tallylog/log/log.h"
#include "tallylog/log/verify.h"
#include "tallylog/note/cosignature.h"
#include "tallylog/note/note.h"

namespace tallylog::cli {
namespace {

constexpr size_t kAppendBatch = 4096;

struct AppendArgs {
  std::string data_dir;
  std::vector<std::string> files;
};

// Appends each line (without its "\n", and without a "\r" before it) as one entry.
void run_append(const AppendArgs& a) {
  auto log = value_or_exit(log::Log::open(a.data_dir, value_or_exit(store::open_log_options(a.data_dir))));
  std::vector<std::string> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    uint64_t first = value_or_exit(log->append_batch(batch));
    for (uint64_t i = 0; i < batch.size(); ++i) std::cout << first + i << "\n";
    batch.clear();
  };
  auto consume = [&](std::istream& in, const std::string& name) {
    std::string line;
    uint64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() > log::kMaxEntrySize) {
        fail(name + ":" + std::to_string(line_no) + ": line is " + std::to_string(line.size()) +
             " bytes; log entries are at most " + std::to_string(log::kMaxEntrySize));
        throw CLI::RuntimeError(exit_code());
      }
      batch.push_back(std::move(line));
      if (batch.size() >= kAppendBatch) flush();
    }
  };
  if (a.files.empty()) {
    consume(std::cin, "stdin");
  } else {
    for (const auto& f : a.files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        flush();
        fail("cannot open " + f);
        throw CLI::RuntimeError(exit_code());
      }
      consume(in, f);
    }
  }
  flush();
  check_or_exit(log->close());
}

struct ProofArgs {
  std::string data_dir;
  uint64_t index = 0;
  uint64_t from = 0;
  int64_t size = -1;  // -1: the current size
};

void run_proof(const ProofArgs& a) {
  auto reader = value_or_exit(store::open_reader(a.data_dir));
  uint64_t size = a.size < 0 ? reader->size() : static_cast<uint64_t>(a.size);
  auto proof = value_or_exit(reader->inclusion_proof(a.index, size));
  std::cout << "index " << a.index << " size " << size << "\n";
  for (const auto& h : proof) std::cout << merkle::hash_base64(h) << "\n";
}

void run_consistency(const ProofArgs& a) {
  auto reader = value_or_exit(store::open_reader(a.data_dir));
  uint64_t to = a.size < 0 ? reader->size() : static_cast<uint64_t>(a.size);
  auto proof = value_or_exit(reader->consistency_proof(a.from, to));
  std::cout << "from " << a.from << " to " << to << "\n";
  for (const auto& h : proof) std::cout << merkle::hash_base64(h) << "\n";
}

struct VerifyArgs {
  std::string path;
  std::string vkey;
  std::string previous;
  std::vector<std::string> witnesses;
  size_t witness_policy = 0;
  std::string cacert;
};

void run_verify(const VerifyArgs& a) {
  Env& env = Env::posix();
  const LogSource src = log_source(a.path);
  if (src.remote && a.vkey.empty()) {
    fail("verifying a URL needs --vkey (the log's verifier key, or a file holding it)");
    throw CLI::RuntimeError(exit_code());
  }
  const std::string& log_dir = src.dir;
  if (!src.remote && src.store_url.empty() && !env.exists(log_dir)) {
    fail("no such log directory: " + log_dir +
         " (give a data directory's log/, a data directory, or a URL)");
    throw CLI::RuntimeError(exit_code());
  }
  std::string vkey_text;
  if (!a.vkey.empty()) {
    vkey_text = env.exists(a.vkey) ? std::string(trim_ascii_space(value_or_exit(env.read_file(a.vkey)))) : a.vkey;
  } else {
    std::string stored = join_path(dir_name(log_dir), "log.vkey");
    auto r = env.read_file(stored);
    if (!r) {
      fail("no --vkey given and " + stored + " cannot be read: " + r.error().message);
      throw CLI::RuntimeError(exit_code());
    }
    vkey_text = trim_ascii_space(*r);
  }
  auto key = value_or_exit(note::Verifier::parse(vkey_text));
  auto files = log_files_or_exit(src, a.cacert);
  std::unique_ptr<Progress> progress;
  log::VerifyOptions options;
  options.progress = [&](uint64_t done, uint64_t total) {
    if (!progress) progress = std::make_unique<Progress>("verify", total);
    progress->update(done);
  };
  if (!a.previous.empty()) options.previous_checkpoint = value_or_exit(env.read_file(a.previous));
  election::DeviceLogCheck device_check;
  options.on_entry = [&](uint64_t i, std::string_view e) -> Status {
    device_check.add(i, e);
    return ok();
  };
  auto report = log::verify_log(*files, key, options);
  progress.reset();
  if (!report) {
    fail("verification FAILED: " + report.error().to_string());
    throw CLI::RuntimeError(exit_code());
  }
  std::cout << "ok: " << report->origin << " size " << report->size << " root " << merkle::hash_base64(report->root)
            << " (" << report->bundles_checked << " entry bundles, " << report->tiles_checked << " hash tiles checked";
  if (report->beyond_checkpoint) std::cout << "; " << report->beyond_checkpoint << " partial files beyond the checkpoint ignored";
  std::cout << ")\n";
  // Not tampering: a crash of an older tallylog left them; the next writer's open removes them.
  for (const auto& t : report->leftover_temporaries) {
    std::cout << "note: " << t << " is a temporary left by an interrupted write, not part of the log"
              << " (removed when the log is next opened for writing)\n";
  }
  // Device signatures (issue 14): every enrolment and signed sheet re-checked from the log alone,
  // in the same pass over the bundles (options.on_entry above).
  const election::DeviceLogReport devices = device_check.report();
  if (devices.election_has_organisations) {
    std::cout << "devices: " << devices.device_records << " enrolment/revocation records, " << devices.signed_sheets
              << " signed sheets verified (" << devices.signed_by_later_revoked
              << " signed by keys revoked since: valid when logged)\n";
    for (const auto& p : devices.problems) std::cout << "device problem: " << p << "\n";
    if (!devices.problems.empty()) {
      fail("verification FAILED: " + std::to_string(devices.problems.size()) + " device signature problem(s)");
      throw CLI::RuntimeError(exit_code());
    }
  }
  // Which witnesses cosigned the checkpoint just verified.
  if (!a.witnesses.empty() || a.witness_policy > 0) {
    note::WitnessPolicy policy{witness_keys_or_exit(a.witnesses), a.witness_policy};
    std::string cp = value_or_exit(files->read("checkpoint"));
    auto check = value_or_exit(note::check_witness_policy(cp, policy));
    std::cout << "witnesses: size " << report->size << ": " << check.summary(a.witness_policy) << "\n";
    if (!check.met) {
      fail("the witness policy is not met: " + check.summary(a.witness_policy));
      throw CLI::RuntimeError(exit_code());
    }
  }
}

void register_log_commands(CLI::App& app) {
  auto* log_cmd = app.add_subcommand("log", "Low-level log operations: append lines, print proofs");
  log_cmd->require_subcommand(1);

  auto append = std::make_shared<AppendArgs>();
  auto* a = log_cmd->add_subcommand("append", "Append each line of the files (or stdin) as one entry; prints the indexes");
  a->add_option("data", append->data_dir, "data directory")->required();
  a->add_option("files", append->files, "input files (default: stdin)");
  a->callback([append] { run_append(*append); });

  auto proof = std::make_shared<ProofArgs>();
  auto* p = log_cmd->add_subcommand("proof", "Print the inclusion proof of an entry");
  p->add_option("data", proof->data_dir, "data directory")->required();
  p->add_option("--index", proof->index, "entry index")->required();
  p->add_option("--size", proof->size, "tree size (default: the current checkpoint)");
  p->callback([proof] { run_proof(*proof); });

  auto cons = std::make_shared<ProofArgs>();
  auto* c = log_cmd->add_subcommand("consistency", "Print the consistency proof between two tree sizes");
  c->add_option("data", cons->data_dir, "data directory")->required();
  c->add_option("--from", cons->from, "older tree size")->required();
  c->add_option("--to", cons->size, "newer tree size (default: the current checkpoint)");
  c->callback([cons] { run_consistency(*cons); });

  auto verify = std::make_shared<VerifyArgs>();
  auto* v = app.add_subcommand("verify", "Recompute the log from its entry bundles and check every tile and the checkpoint");
  v->add_option("log", verify->path, "published log directory (<data>/log) or its http:// URL")->required();
  v->add_option("--vkey", verify->vkey, "verifier key, or a file holding it (default: <data>/log.vkey)");
  v->add_option("--previous", verify->previous,
                "a checkpoint file seen earlier: must be consistent with this log (no shrink, same root at its size)");
  add_witness_options(v, verify->witnesses, verify->witness_policy, verify->cacert);
  v->callback([verify] { run_verify(*verify); });
}

const CommandRegistrar kRegistrar(20, register_log_commands);

}  // namespace
}  // namespace tallylog::cli
