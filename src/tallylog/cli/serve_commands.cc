// `tallylog serve <data>`: the public read API, the results page and the authenticated write side
// over HTTP (see docs/api.md). Wiring only: the ingestor owns the log and index, the qr module
// decodes posted images, the blob store keeps them, http/ does the rest.
#include <atomic>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "tallylog/store/store.h"
#include "tallylog/blob/blob_store.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/web_dir.h"
#include "tallylog/cli/verify_args.h"
#include "tallylog/http/api.h"
#include "tallylog/http/server.h"
#include "tallylog/http/static_files.h"
#include "tallylog/http/submit_batcher.h"
#include "tallylog/election/contest.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/contest.h"
#include "tallylog/ingest/derive.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/ingest/read_only.h"
#include "tallylog/qr/decoder.h"
#include "tallylog/qr/profile.h"
#include "tallylog/witness/client.h"
#include "tallylog/witness/hook.h"

namespace tallylog::cli {
namespace {

struct ServeArgs {
  std::string data_dir;
  std::string contest;  // the contest of sheets naming none (several: none by default); every contest is collected and read
  std::string listen = "127.0.0.1:8080";
  std::string index_url;  // --index: the index backend instead of <data>/index.sqlite
  std::string web_dir;
  int io_threads = 0;
  int worker_threads = 16;
  int read_timeout_ms = 10000;
  int idle_timeout_ms = 120000;
  double rate = 100;
  double burst = 200;
  uint64_t max_pixels = qr::ImageLimits{}.max_pixels;
  std::vector<std::string> witnesses;  // "<vkey>@<url>", or files of them
  size_t witness_quorum = 0;
  int witness_timeout_ms = 3000;
};

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void run_serve(const ServeArgs& a) {
  http::ServerOptions so;
  parse_listen_or_exit(a.listen, so);
  so.io_threads = a.io_threads;
  so.worker_threads = a.worker_threads;
  so.read_timeout = std::chrono::milliseconds(a.read_timeout_ms);
  so.idle_timeout = std::chrono::milliseconds(a.idle_timeout_ms);
  raise_fd_limit();
  // Large answers (tally bodies, exports, images) are allocated with mmap and so handed back to
  // the system when freed: glibc's default threshold climbs after the first big free, after which
  // such buffers stay in the heap and RSS never comes down once slow clients have gone.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);

  // Witnesses asked to cosign every checkpoint (docs/formats/witness.md); never blocking appends.
  std::shared_ptr<witness::Collector> collector;
  ingest::IngestorOptions io;
  // Index commits that land after a bulk batch was answered (Ingestor::submit_batch_durable):
  // the tally cache reads this count (ApiBackend::index_commits). Outlives the ingestor.
  std::atomic<uint64_t> index_commits{0};
  io.after_index_commit = [&index_commits] { index_commits.fetch_add(1); };
  io.contest = a.contest;
  io.index_url = a.index_url;
  io.every_contest = true;  // one server collects every contest's sheets into the one log
  if (!a.witnesses.empty()) {
    std::vector<witness::WitnessEndpoint> endpoints;
    for (const auto& line : key_lines(a.witnesses)) endpoints.push_back(value_or_exit(witness::parse_witness_endpoint(line)));
    if (a.witness_quorum > endpoints.size()) {
      fail("--witness-quorum " + std::to_string(a.witness_quorum) + " is more than the " + std::to_string(endpoints.size()) +
           " witnesses given");
      throw CLI::RuntimeError(2);
    }
    witness::CollectorOptions co;
    co.quorum = a.witness_quorum;
    co.deadline = std::chrono::milliseconds(a.witness_timeout_ms);
    collector = std::make_shared<witness::Collector>(std::move(endpoints), co);
    io.cosign = witness::make_cosign_hook(collector, join_path(a.data_dir, "log"));
    // The log waits a little longer than the collector, which never overruns its deadline.
    io.cosign_deadline = co.deadline + std::chrono::milliseconds(500);
  }
  // With the private key this server appends (the ingestor holds the log's lock); without it,
  // the data directory is a published copy (a mirror): it answers reads and refuses writes.
  const bool writable = Env::posix().exists(join_path(a.data_dir, "log.key"));
  if (!writable && collector) {
    fail("--witness: " + a.data_dir + " has no log.key, so this server publishes no checkpoint of its own for witnesses to cosign");
    throw CLI::RuntimeError(2);
  }
  std::unique_ptr<ingest::Ingestor> ingestor;
  ingest::ReadOnlyData read_only;
  // Every contest of an election with several is served (?contest=, docs/api.md "Contests").
  std::vector<http::ApiContest> contests;
  std::vector<ingest::ReadOnlyData> other_read_only;  // read-only: each other contest's
  if (writable) {
    // The log is recovered and every contest's index brought up to date before listening; the
    // verdict rules' state (every station and sheet) loads while reads are already served.
    ingestor = value_or_exit(ingest::Ingestor::open_log(a.data_dir, io));
    election::Election full;  // an empty log (no election yet) has no contests
    if (auto f = ingest::logged_election(ingestor->log())) full = std::move(*f);
    for (const election::Contest& c : full.contests)
      contests.push_back(http::ApiContest{c.id, c.name, ingestor->index(c.id), &index_commits, {}});
  } else {
    ingest::ReadOnlyOptions ro;
    ro.contest = a.contest;
    ro.index_url = a.index_url;
    auto log = value_or_exit(store::open_reader(a.data_dir));
    election::Election full;
    if (auto f = ingest::logged_election(*log)) full = std::move(*f);
    if (!a.index_url.empty() && full.contests.size() > 1) {
      fail("--index names one contest's index; this election has several contests: serve it with their own indexes");
      throw CLI::RuntimeError(2);
    }
    if (ro.contest.empty() && !full.contests.empty()) ro.contest = full.contests.front().id;
    read_only = value_or_exit(ingest::open_for_reading(a.data_dir, ro));
    if (!read_only.note.empty()) std::cerr << "tallylog: " << read_only.note << "\n";
    for (const election::Contest& c : full.contests) {
      http::ApiContest ac{c.id, c.name, read_only.index.get(), nullptr, {}};
      if (c.id != read_only.contest) {
        ingest::ReadOnlyOptions other;
        other.contest = c.id;
        other_read_only.push_back(value_or_exit(ingest::open_for_reading(a.data_dir, other)));
        if (!other_read_only.back().note.empty()) std::cerr << "tallylog: " << other_read_only.back().note << "\n";
        ac.index = other_read_only.back().index.get();
      }
      contests.push_back(std::move(ac));
    }
  }
  index::IndexReader& index = writable ? ingestor->index() : *read_only.index;
  auto blobs = value_or_exit(blob::BlobStore::open(Env::posix(), a.data_dir));
  election::Election full_election = value_or_exit(index.election());  // the whole election (every contest)
  if (auto f = ingest::logged_election(writable ? ingestor->log() : *read_only.log)) full_election = std::move(*f);

  http::ApiOptions ao;
  ao.data_dir = a.data_dir;
  ao.web_dir = find_web_dir(a.web_dir);
  if (!ao.web_dir.empty()) check_or_exit(http::check_web_root(ao.web_dir, a.data_dir));
  ao.submit_rate_per_token = a.rate;
  ao.submit_burst_per_token = a.burst;
  http::ApiBackend be;
  be.log = writable ? &ingestor->log() : read_only.log.get();
  be.index = &index;
  be.contests = std::move(contests);
  // Concurrent POSTs share one durable log append (group commit).
  http::SubmitBatcher batcher([&ingestor](std::span<election::Sheet> sheets) {
    std::vector<std::string> origins(sheets.size(), "http");
    return ingestor->submit_batch(sheets, origins);
  });
  if (writable) {
    be.submit = [&batcher](election::Sheet s) { return batcher.submit(std::move(s)); };
    // Bulk batches (`tallylog import <url>`) are already batches: one append each, answered once
    // durable; the index commit of batch N overlaps the checks of batch N+1.
    be.submit_batch = [&ingestor](std::span<election::Sheet> sheets, std::span<const std::string> origins) {
      std::vector<election::Sheet> owned(std::make_move_iterator(sheets.begin()), std::make_move_iterator(sheets.end()));
      return ingestor->submit_batch_durable(std::move(owned), origins);
    };
    be.sync_index = [&ingestor] { return ingestor->sync_index(); };
    // Device enrolments by one-time code (POST /api/v1/devices/enrol, issue 14).
    be.add_device_record = [&ingestor](election::DeviceRecord r) { return ingestor->add_device_record(std::move(r)); };
    be.device_known = [&ingestor](std::string_view key) { return ingestor->device_known(key); };
    be.index_commits = &index_commits;
  } else {
    be.no_write_side = "read-only data directory: " + a.data_dir +
                       " has no log.key, so this server cannot append to its log; it answers reads only "
                       "(submit to the server that holds the log's key)";
  }
  // Posted images: each contest's QR profile reads its own sheets (`?contest=`; none: the default
  // contest, serve --contest, or the only one).
  std::map<std::string, const qr::QrProfile*> profiles;  // contest tag -> profile
  auto add_profile = [&profiles](const std::string& tag, const std::string& name) {
    if (name.empty()) return;
    if (auto p = qr::builtin_profiles().find(name)) profiles[tag] = *p;
  };
  if (full_election.contests.empty()) add_profile("", full_election.qr_profile);
  for (const election::Contest& c : full_election.contests) add_profile(c.id, c.qr_profile);
  if (!profiles.empty()) {
    qr::DecodeOptions decode;  // the working resolution and work budget bound each request
    decode.limits.max_pixels = a.max_pixels;
    std::map<std::string, election::Election> views;  // contest tag -> its single-contest election
    for (const auto& [tag, p] : profiles) views[tag] = value_or_exit(election::contest_election(full_election, tag));
    std::string default_tag;
    if (full_election.contests.empty()) {
      default_tag = "";
    } else if (!a.contest.empty()) {
      default_tag = value_or_exit(election::resolve_contest(full_election, a.contest));
    }
    be.sheet_from_image = [profiles, views = std::move(views), default_tag, several = !full_election.contests.empty(),
                           decode](std::string_view bytes, std::string_view contest) -> Result<election::Sheet> {
      std::string tag = several ? std::string(contest.empty() ? default_tag : contest) : "";
      if (several && tag.empty())
        return std::unexpected(Error{ErrorCode::kInvalidArgument,
                                     "this election has several contests: name the image's with ?contest=<id>",
                                     "contest"});
      auto p = profiles.find(tag);
      if (p == profiles.end())
        return std::unexpected(Error{ErrorCode::kInvalidArgument,
                                     "contest " + tag + " has no QR profile: its sheets cannot be read from images",
                                     "contest"});
      TL_ASSIGN_OR_RETURN(auto qr, qr::decode_qr_file(bytes, decode));
      TL_ASSIGN_OR_RETURN(election::Sheet sheet, p->second->parse(qr.payload, views.at(tag)));
      sheet.contest = tag;
      return sheet;
    };
  }
  be.put_blob = [&blobs](std::string_view bytes) { return blobs.put(bytes); };
  if (collector) be.witness_status = [collector] { return collector->status_json(); };
  http::Api api(ao, be);
  http::Server server(
      so, [&api](const http::Request& r) { return api.handle(r); },
      [&api](std::string_view m, std::string_view p) { return api.body_limit(m, p); },
      [&api](const http::Request& r, int status, std::chrono::nanoseconds d) { api.observe(r, status, d); });
  check_or_exit(server.start());
  std::cerr << "tallylog: serving " << a.data_dir << " on http://" << so.host << ":" << server.port() << "/"
            << (writable ? "" : " (read-only)")
            << (ao.web_dir.empty() ? "  (no web page found: run scripts/build-web.sh)" : "") << "\n";
  std::thread loader;
  if (writable) {
    loader = std::thread([&ingestor] {
      if (auto s = ingestor->load(); !s) std::cerr << "tallylog: submissions disabled: " << s.error().to_string() << "\n";
    });
  }
  server.run_until_signal();
  if (loader.joinable()) loader.join();
  if (writable) {
    std::cerr << "tallylog: stopping; closing the log\n";
    check_or_exit(ingestor->close());
  }
}

void register_serve_commands(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* s = app.add_subcommand("serve", "Serve the results page, the JSON API, the log tiles and images over HTTP");
  s->add_option("data", a->data_dir, "data directory")->required();
  s->add_option("--contest", a->contest,
                "the contest of submitted sheets and images that name none (default: the only one; with several, each must name its own); the server collects and reports every contest (?contest=)");
  s->add_option("--listen", a->listen, "host:port to listen on")->capture_default_str();
  s->add_option("--index", a->index_url,
                "the index to keep and read (index URL: postgresql://..., sqlite:<path>; default: the data "
                "directory's own); caught up from the log before listening");
  s->add_option("--web", a->web_dir, "folder of the built web page (default: web/dist)");
  s->add_option("--io-threads", a->io_threads, "I/O threads (default: one per core)");
  s->add_option("--worker-threads", a->worker_threads, "threads for submissions")->capture_default_str();
  s->add_option("--read-timeout-ms", a->read_timeout_ms, "a request must arrive whole within this")
      ->capture_default_str();
  s->add_option("--idle-timeout-ms", a->idle_timeout_ms, "idle keep-alive connections are closed after this")
      ->capture_default_str();
  s->add_option("--rate", a->rate, "submissions per second per token")->capture_default_str();
  s->add_option("--burst", a->burst, "submission burst per token")->capture_default_str();
  s->add_option("--max-pixels", a->max_pixels,
                "refuse posted images with more pixels than this (decompression bombs)")
      ->capture_default_str();
  s->add_option("--witness", a->witnesses,
                "a witness to ask for cosignatures, <vkey>@<url> (repeatable), or a file of such lines");
  s->add_option("--witness-quorum", a->witness_quorum, "cosignatures wanted per checkpoint (a shortfall is shown, never blocks)");
  s->add_option("--witness-timeout-ms", a->witness_timeout_ms, "longest wait for cosignatures per checkpoint")
      ->capture_default_str();
  s->callback([a] { run_serve(*a); });
}

const CommandRegistrar kRegistrar(80, register_serve_commands);

}  // namespace
}  // namespace tallylog::cli
