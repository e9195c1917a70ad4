// `tallylog mirror` (an incremental, verifying copy of a published log, see mirror/mirror.h) and
// `tallylog verify-fork` (checks fork evidence, see mirror/fork_evidence.h). Flags, wiring and
// printing only.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/verify_args.h"
#include "tallylog/mirror/fork_evidence.h"
#include "tallylog/mirror/mirror.h"

namespace tallylog::cli {
namespace {

struct MirrorArgs {
  std::string source;
  std::string dir;
  std::string vkey;
  bool blobs = false;
  bool quiet = false;
  std::vector<std::string> witnesses;
  size_t witness_policy = 0;
  std::string cacert;
};

void run_mirror_command(const MirrorArgs& a) {
  mirror::MirrorOptions o;
  o.source = a.source;
  o.dir = a.dir;
  o.vkey = log_key_or_exit(a.vkey).text();
  o.blobs = a.blobs;
  o.ca_file = a.cacert;
  o.witnesses.witnesses = witness_keys_or_exit(a.witnesses);
  o.witnesses.quorum = a.witness_policy;
  if (a.witness_policy > o.witnesses.witnesses.size()) {
    fail("--witness-policy " + std::to_string(a.witness_policy) + " needs at least that many --witness keys");
    throw CLI::RuntimeError(2);
  }
  if (!a.quiet) o.progress = [](std::string_view line) { std::cerr << "mirror: " << line << "\n"; };
  auto r = value_or_exit(mirror::run_mirror(o));
  using Outcome = mirror::MirrorReport::Outcome;
  exit_if_fork(r);
  std::cout << "ok: " << r.origin << " size " << r.new_size << " root " << merkle::hash_base64(r.root);
  switch (r.outcome) {
    case Outcome::kUpdated:
      std::cout << " (was " << r.old_size << "; fetched " << r.bundles_fetched << " entry bundles, " << r.tiles_fetched
                << " hash tiles, " << r.proof_tiles_fetched << " proof tiles, " << r.bytes_fetched << " bytes";
      if (a.blobs) std::cout << ", " << r.blobs_fetched << " images";
      std::cout << ")";
      break;
    case Outcome::kUpToDate: std::cout << " (up to date)"; break;
    case Outcome::kSourceBehind: std::cout << " (the source serves an older size, " << r.source_size << ")"; break;
    case Outcome::kFork: break;
  }
  std::cout << "\n";
  if (r.witnesses) std::cout << "witnesses: " << r.witnesses->summary(a.witness_policy) << "\n";
  if (r.blobs_missing) std::cout << "images: " << r.blobs_missing << " named by entries are not at the source yet\n";
}

struct VerifyForkArgs {
  std::string file;
  std::string vkey;
};

void run_verify_fork(const VerifyForkArgs& a) {
  std::string text = value_or_exit(Env::posix().read_file(a.file));
  auto e = value_or_exit(mirror::parse_fork_evidence(text));
  note::Verifier key = log_key_or_exit(a.vkey.empty() ? e.log_key : a.vkey, a.vkey.empty() ? "log-key in the file" : "--vkey");
  auto v = mirror::verify_fork(e, key);
  if (!v) {
    fail(v.error().message);
    throw CLI::RuntimeError(exit_code());
  }
  std::cout << "FORK PROVEN: " << v->explanation << "\n";
  std::cout << "checkpoint 1: size " << v->size1 << " root " << merkle::hash_base64(v->root1) << "\n";
  std::cout << "checkpoint 2: size " << v->size2 << " root " << merkle::hash_base64(v->root2) << "; its root at size "
            << v->size1 << ": " << merkle::hash_base64(v->root2_at_size1) << "\n";
  if (a.vkey.empty()) {
    std::cout << "key: " << key.text() << " (from the file: compare it with the key the log publishes, or pass --vkey)\n";
  }
}

void register_mirror_commands(CLI::App& app) {
  auto m = std::make_shared<MirrorArgs>();
  auto* c = app.add_subcommand("mirror", "Copy a published log, verifying it; run again to catch up; stops on a fork");
  c->add_option("source", m->source, "server or log URL (http[s]://...), or a local data or log directory")->required();
  c->add_option("dir", m->dir, "the mirror directory (a read-only data directory)")->required();
  c->add_option("--vkey", m->vkey, "the log's verifier key as published out of band, or a file holding it")->required();
  c->add_flag("--blobs", m->blobs, "also fetch the sheet images the entries name (each SHA-256 checked)");
  add_witness_options(c, m->witnesses, m->witness_policy, m->cacert);
  c->add_flag("--quiet", m->quiet, "no progress lines on stderr");
  c->callback([m] { run_mirror_command(*m); });

  auto f = std::make_shared<VerifyForkArgs>();
  auto* v = app.add_subcommand("verify-fork", "Check fork evidence: did one log key sign two histories?");
  v->add_option("file", f->file, "the evidence file written by tallylog mirror")->required();
  v->add_option("--vkey", f->vkey, "the log's key as you know it (default: the key in the file)");
  v->callback([f] { run_verify_fork(*f); });
}

const CommandRegistrar kRegistrar(25, register_mirror_commands);

}  // namespace
}  // namespace tallylog::cli
