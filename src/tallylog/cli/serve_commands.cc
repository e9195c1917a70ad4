// `tallylog serve <data>`: the public read API, the results page and the authenticated write side
// over HTTP (see docs/api.md). Wiring only: the ingestor owns the log and index, the qr module
// decodes posted images, the blob store keeps them, http/ does the rest.
#include <atomic>
#include <ctime>
#include <optional>
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

#include "tallylog/cluster/lease.h"
#include "tallylog/store/shared_blobs.h"
#include "tallylog/store/store.h"
#include "tallylog/blob/blob_store.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/web_dir.h"
#include "tallylog/cli/verify_args.h"
#include "tallylog/http/api.h"
#include "tallylog/http/responses.h"
#include "tallylog/http/server.h"
#include "tallylog/http/static_files.h"
#include "tallylog/http/submit_batcher.h"
#include "tallylog/election/contest.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/contest.h"
#include "tallylog/ingest/derive.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/http/metrics.h"
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
  // Several nodes on one log in PostgreSQL (docs/deploy.md).
  std::string advertise;    // the URL followers send writers to (default: http://<listen host>:<port>/)
  std::string node;         // this node's name (default: <hostname>:<port>)
  int follow_ms = 1000;     // a follower serves a new checkpoint at most this long after it is published
  int lease_check_ms = 250; // how often the lease is checked or tried
};

std::string net_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// What answers requests: a writer (the ingestor and its log) or a reader (the published log and
// this node's own index), with the API over it. A single node builds one for its lifetime; a node
// of several on PostgreSQL builds a new one whenever it changes role, or (a follower) when the
// log grew, and swaps it in while requests in flight finish on the old one.
struct Stack {
  enum class Role { kWriter, kReader };
  Role role = Role::kReader;
  uint64_t log_size = 0;  // the log size it serves (a reader's is fixed)
  // Index commits that land after a bulk batch was answered (Ingestor::submit_batch_durable):
  // the tally cache reads this count (ApiBackend::index_commits). Outlives the ingestor.
  std::atomic<uint64_t> index_commits{0};
  std::shared_ptr<witness::Collector> collector;
  std::unique_ptr<ingest::Ingestor> ingestor;
  ingest::ReadOnlyData read_only;
  std::vector<ingest::ReadOnlyData> other_read_only;  // read-only: each other contest's
  std::optional<blob::BlobStore> blobs;
  std::unique_ptr<http::SubmitBatcher> batcher;
  std::unique_ptr<http::Api> api;
  std::thread loader;

  Stack() = default;
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;
  ~Stack() {
    if (loader.joinable()) loader.join();
    api.reset();
    batcher.reset();
    if (ingestor) {
      if (auto s = ingestor->close(); !s) std::cerr << "tallylog: closing the log: " << s.error().to_string() << "\n";
    }
  }
};

struct StackParams {
  Stack::Role role = Stack::Role::kReader;
  uint64_t fence = 0;             // a writer on PostgreSQL: the lease's epoch
  std::string sequencer_url;      // a follower: where writes go
  std::string sequencer_node;
  // A follower: the verdict rules' state kept from one refresh to the next (ingest/read_only.h).
  ingest::DeriverCache* deriver_cache = nullptr;
  // The process's request metrics, shared by every stack it builds (/metrics never steps back).
  std::shared_ptr<http::Metrics> metrics;
  // A log in PostgreSQL: the images every node shares (store/shared_blobs.h). Null: local only.
  std::shared_ptr<store::SharedBlobs> shared_blobs;
};

Result<std::shared_ptr<Stack>> build_stack(const ServeArgs& a, const StackParams& sp) {
  auto st = std::make_shared<Stack>();
  st->role = sp.role;
  const bool writable = sp.role == Stack::Role::kWriter;
  ingest::IngestorOptions io;
  io.after_index_commit = [c = &st->index_commits] { c->fetch_add(1); };
  io.contest = a.contest;
  io.index_url = a.index_url;
  io.every_contest = true;  // one server collects every contest's sheets into the one log
  io.store_fence = sp.fence;
  if (writable && !a.witnesses.empty()) {
    // Witnesses asked to cosign every checkpoint (docs/formats/witness.md); never blocking appends.
    std::vector<witness::WitnessEndpoint> endpoints;
    for (const auto& line : key_lines(a.witnesses)) {
      TL_ASSIGN_OR_RETURN(auto e, witness::parse_witness_endpoint(line));
      endpoints.push_back(std::move(e));
    }
    witness::CollectorOptions co;
    co.quorum = a.witness_quorum;
    co.deadline = std::chrono::milliseconds(a.witness_timeout_ms);
    st->collector = std::make_shared<witness::Collector>(std::move(endpoints), co);
    io.cosign = witness::make_cosign_hook(st->collector, join_path(a.data_dir, "log"));
    // The log waits a little longer than the collector, which never overruns its deadline.
    io.cosign_deadline = co.deadline + std::chrono::milliseconds(500);
  }
  // Every contest of an election with several is served (?contest=, docs/api.md "Contests").
  std::vector<http::ApiContest> contests;
  if (writable) {
    // The log is recovered and every contest's index brought up to date before listening; the
    // verdict rules' state (every station and sheet) loads while reads are already served.
    TL_ASSIGN_OR_RETURN(st->ingestor, ingest::Ingestor::open_log(a.data_dir, io));
    election::Election full;  // an empty log (no election yet) has no contests
    if (auto f = ingest::logged_election(st->ingestor->log())) full = std::move(*f);
    for (const election::Contest& c : full.contests)
      contests.push_back(http::ApiContest{c.id, c.name, st->ingestor->index(c.id), &st->index_commits, {}});
    st->log_size = st->ingestor->log().size();
  } else {
    ingest::ReadOnlyOptions ro;
    ro.contest = a.contest;
    ro.index_url = a.index_url;
    ro.deriver_cache = sp.deriver_cache;
    TL_ASSIGN_OR_RETURN(auto log, store::open_reader(a.data_dir));
    election::Election full;
    if (auto f = ingest::logged_election(*log)) full = std::move(*f);
    if (!a.index_url.empty() && full.contests.size() > 1)
      return err(ErrorCode::kInvalidArgument,
                 "--index names one contest's index; this election has several contests: serve it with their own indexes");
    if (ro.contest.empty() && !full.contests.empty()) ro.contest = full.contests.front().id;
    TL_ASSIGN_OR_RETURN(st->read_only, ingest::open_for_reading(a.data_dir, ro));
    if (!st->read_only.note.empty()) std::cerr << "tallylog: " << st->read_only.note << "\n";
    for (const election::Contest& c : full.contests) {
      http::ApiContest ac{c.id, c.name, st->read_only.index.get(), nullptr, {}};
      if (c.id != st->read_only.contest) {
        ingest::ReadOnlyOptions other;
        other.contest = c.id;
        other.deriver_cache = sp.deriver_cache;
        TL_ASSIGN_OR_RETURN(auto o, ingest::open_for_reading(a.data_dir, other));
        st->other_read_only.push_back(std::move(o));
        if (!st->other_read_only.back().note.empty()) std::cerr << "tallylog: " << st->other_read_only.back().note << "\n";
        ac.index = st->other_read_only.back().index.get();
      }
      contests.push_back(std::move(ac));
    }
    st->log_size = st->read_only.log->size();
  }
  index::IndexReader& index = writable ? st->ingestor->index() : *st->read_only.index;
  TL_ASSIGN_OR_RETURN(auto blobs, blob::BlobStore::open(Env::posix(), a.data_dir));
  st->blobs.emplace(std::move(blobs));
  TL_ASSIGN_OR_RETURN(election::Election full_election, index.election());  // the whole election (every contest)
  if (auto f = ingest::logged_election(writable ? st->ingestor->log() : *st->read_only.log)) full_election = std::move(*f);

  http::ApiOptions ao;
  ao.data_dir = a.data_dir;
  ao.web_dir = find_web_dir(a.web_dir);
  if (!ao.web_dir.empty()) TL_TRY(http::check_web_root(ao.web_dir, a.data_dir));
  ao.submit_rate_per_token = a.rate;
  ao.submit_burst_per_token = a.burst;
  ao.metrics = sp.metrics;
  http::ApiBackend be;
  be.log = writable ? &st->ingestor->log() : st->read_only.log.get();
  be.index = &index;
  be.contests = std::move(contests);
  Stack* raw = st.get();
  if (writable) {
    // Concurrent POSTs share one durable log append (group commit).
    st->batcher = std::make_unique<http::SubmitBatcher>([raw](std::span<election::Sheet> sheets) {
      std::vector<std::string> origins(sheets.size(), "http");
      return raw->ingestor->submit_batch(sheets, origins);
    });
    be.submit = [raw](election::Sheet s) { return raw->batcher->submit(std::move(s)); };
    // Bulk batches (`tallylog import <url>`) are already batches: one append each, answered once
    // durable; the index commit of batch N overlaps the checks of batch N+1.
    be.submit_batch = [raw](std::span<election::Sheet> sheets, std::span<const std::string> origins) {
      std::vector<election::Sheet> owned(std::make_move_iterator(sheets.begin()), std::make_move_iterator(sheets.end()));
      return raw->ingestor->submit_batch_durable(std::move(owned), origins);
    };
    be.sync_index = [raw] { return raw->ingestor->sync_index(); };
    // Device enrolments by one-time code (POST /api/v1/devices/enrol, issue 14).
    be.add_device_record = [raw](election::DeviceRecord r) { return raw->ingestor->add_device_record(std::move(r)); };
    be.device_known = [raw](std::string_view key) { return raw->ingestor->device_known(key); };
    be.index_commits = &st->index_commits;
  } else if (!sp.sequencer_url.empty()) {
    be.no_write_side = "this node is a follower: submit to the sequencer, " + sp.sequencer_url + " (node " +
                       sp.sequencer_node + "); nothing of this request was logged";
    be.sequencer_url = sp.sequencer_url;
  } else if (sp.fence != 0 || !store::store_url(a.data_dir).value_or("").empty()) {
    be.no_write_side = "this node is a follower and no node holds the sequencer lease yet; nothing of this request "
                       "was logged: try again in a moment";
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
    for (const auto& [tag, p] : profiles) {
      TL_ASSIGN_OR_RETURN(views[tag], election::contest_election(full_election, tag));
    }
    std::string default_tag;
    if (!full_election.contests.empty() && !a.contest.empty()) {
      TL_ASSIGN_OR_RETURN(default_tag, election::resolve_contest(full_election, a.contest));
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
  // A log in PostgreSQL: images go to the database too, and a blob this node lacks is fetched.
  be.put_blob = [raw, shared = sp.shared_blobs](std::string_view bytes) {
    return store::put_blob(*raw->blobs, shared.get(), bytes);
  };
  if (sp.shared_blobs)
    be.fetch_blob = [raw, shared = sp.shared_blobs](std::string_view hex) {
      return store::fetch_blob(*shared, *raw->blobs, hex);
    };
  if (st->collector) be.witness_status = [c = st->collector] { return c->status_json(); };
  st->api = std::make_unique<http::Api>(ao, std::move(be));
  if (writable) {
    raw->loader = std::thread([raw] {
      if (auto s = raw->ingestor->load(); !s) std::cerr << "tallylog: submissions disabled: " << s.error().to_string() << "\n";
    });
  }
  return st;
}

// The stack answering now; swapped whole (requests in flight keep the one they started on).
class Current {
 public:
  std::shared_ptr<Stack> get() const {
    std::lock_guard lock(mu_);
    return stack_;
  }
  void set(std::shared_ptr<Stack> s) {
    std::shared_ptr<Stack> old;
    {
      std::lock_guard lock(mu_);
      old = std::exchange(stack_, std::move(s));
    }
    // `old` is released here, outside the lock: its last request may still hold it.
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<Stack> stack_;
};

std::string now_utc() {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// A node of several on one log in PostgreSQL (docs/deploy.md "Several nodes"): follows the log,
// takes the sequencer lease when it is free (a node with log.key), gives it up when its lease
// connection ends. One thread; every change of what is served is a stack swap.
class NodeController {
 public:
  // `process`: what every stack of this process shares (metrics, shared blobs).
  NodeController(const ServeArgs& a, std::string store_url, Current& current, bool can_lead, std::string advertise,
                 std::string node, StackParams process)
      : a_(a), url_(std::move(store_url)), current_(current), can_lead_(can_lead), advertise_(std::move(advertise)),
        node_(std::move(node)), process_(std::move(process)), lease_(url_), watch_(url_) {}

  // The first stack, before the server listens: the sequencer's if the lease is free.
  Status start() {
    if (can_lead_) {
      TL_ASSIGN_OR_RETURN(auto epoch, lease_.try_acquire(advertise_, node_));
      if (epoch) return lead(*epoch);
    }
    return follow(/*first=*/true);
  }

  void run(const std::atomic<bool>& stop) {
    auto last_refresh = std::chrono::steady_clock::now();
    bool pending = false;
    while (!stop.load()) {
      if (lease_.held()) {
        watch_.close();  // the sequencer publishes the checkpoints: nothing to hear, nothing to queue
        std::this_thread::sleep_for(std::chrono::milliseconds(a_.lease_check_ms));
        if (auto s = lease_.check(); !s) {
          std::cerr << "tallylog: " << now_utc() << " " << s.error().message << "; following\n";
          need_follow_ = true;
        }
        if (need_follow_ && !lease_.held()) {
          if (follow(false)) need_follow_ = false;
        }
        continue;
      }
      auto changed = watch_.wait(std::chrono::milliseconds(a_.lease_check_ms));
      if (changed && *changed) pending = true;
      if (!changed) pending = true;  // unreachable: refresh once it answers again
      if (stop.load()) break;
      if (can_lead_) {
        auto epoch = lease_.try_acquire(advertise_, node_);
        if (epoch && *epoch) {
          const auto t0 = std::chrono::steady_clock::now();
          if (auto s = lead(**epoch); s) {
            std::cerr << "tallylog: " << now_utc() << " took over as the sequencer (epoch " << **epoch << ", log size "
                      << current_.get()->log_size << ", ready in "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
                      << " ms)\n";
            continue;
          } else {
            std::cerr << "tallylog: " << now_utc() << " could not take over as the sequencer: " << s.error().to_string()
                      << "\n";
            lease_.release();
          }
        }
      }
      const auto now = std::chrono::steady_clock::now();
      if ((pending || need_follow_) && now - last_refresh >= std::chrono::milliseconds(a_.follow_ms)) {
        if (follow(false)) {
          pending = false;
          need_follow_ = false;
        }
        last_refresh = now;
      }
    }
  }

 private:
  Status lead(uint64_t epoch) {
    StackParams sp = process_;
    sp.role = Stack::Role::kWriter;
    sp.fence = epoch;
    auto st = build_stack(a_, sp);
    if (!st) {
      lease_.release();
      return std::unexpected(st.error());
    }
    current_.set(std::move(*st));
    epoch_ = epoch;
    return ok();
  }

  Status follow(bool first) {
    StackParams sp = process_;
    sp.deriver_cache = &deriver_cache_;
    auto seq = cluster::current_sequencer(url_);
    if (seq && seq->epoch > 0 && !seq->url.empty()) {
      sp.sequencer_url = seq->url;
      sp.sequencer_node = seq->node;
    }
    auto st = build_stack(a_, sp);
    if (!st) {
      if (!first) std::cerr << "tallylog: " << now_utc() << " following the log: " << st.error().to_string() << "\n";
      return std::unexpected(st.error());
    }
    current_.set(std::move(*st));
    return ok();
  }

  const ServeArgs& a_;
  std::string url_;
  Current& current_;
  bool can_lead_;
  std::string advertise_, node_;
  StackParams process_;
  cluster::Lease lease_;
  cluster::Watch watch_;
  uint64_t epoch_ = 0;
  bool need_follow_ = false;
  // Kept across refreshes, so that each derives only the new entries into this node's index.
  ingest::DeriverCache deriver_cache_;
};

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

  // With the private key this server appends (the ingestor holds the log's lock); without it,
  // the data directory is a published copy (a mirror): it answers reads and refuses writes.
  const bool has_key = Env::posix().exists(join_path(a.data_dir, "log.key"));
  if (!a.witnesses.empty()) {
    size_t n = 0;
    for (const auto& line : key_lines(a.witnesses)) {
      value_or_exit(witness::parse_witness_endpoint(line));
      ++n;
    }
    if (a.witness_quorum > n) {
      fail("--witness-quorum " + std::to_string(a.witness_quorum) + " is more than the " + std::to_string(n) +
           " witnesses given");
      throw CLI::RuntimeError(2);
    }
    if (!has_key) {
      fail("--witness: " + a.data_dir + " has no log.key, so this server publishes no checkpoint of its own for witnesses to cosign");
      throw CLI::RuntimeError(2);
    }
  }
  // A log in PostgreSQL may be served by several nodes: they share it through the lease.
  const std::string store = value_or_exit(store::store_url(a.data_dir));
  Current current;
  StackParams process;  // what every stack of this process shares
  process.metrics = std::make_shared<http::Metrics>();
  // Several nodes on one log in PostgreSQL share its images there; one clear error at start when
  // the database cannot be reached.
  if (!store.empty()) process.shared_blobs = value_or_exit(store::SharedBlobs::open(store));
  std::unique_ptr<NodeController> controller;
  std::shared_ptr<Stack> first;
  if (store.empty()) {
    StackParams sp = process;
    sp.role = has_key ? Stack::Role::kWriter : Stack::Role::kReader;
    first = value_or_exit(build_stack(a, sp));
    current.set(first);
  }
  http::Server server(
      so,
      [&current](const http::Request& r) {
        auto st = current.get();
        if (!st) return http::error_response(503, "this node is starting; try again in a moment");
        return st->api->handle(r);
      },
      [&current](std::string_view m, std::string_view p) -> uint64_t {
        auto st = current.get();
        // Before the first stack (a node of several starting): read it, to answer 503.
        return st ? st->api->body_limit(m, p) : uint64_t{1} << 20;
      },
      [&current](const http::Request& r, int status, std::chrono::nanoseconds d) {
        if (auto st = current.get()) st->api->observe(r, status, d);
      });
  check_or_exit(server.start());
  std::string role = has_key ? "" : " (read-only)";
  if (!store.empty()) {
    std::string host = so.host == "0.0.0.0" || so.host == "::" ? net_hostname() : so.host;
    std::string advertise = a.advertise.empty() ? "http://" + host + ":" + std::to_string(server.port()) + "/" : a.advertise;
    std::string node = a.node.empty() ? net_hostname() + ":" + std::to_string(server.port()) : a.node;
    controller = std::make_unique<NodeController>(a, store, current, has_key, advertise, node, process);
    check_or_exit(controller->start());
    role = current.get()->role == Stack::Role::kWriter ? " (node " + node + ": the sequencer)" : " (node " + node + ": a follower)";
  }
  std::cerr << "tallylog: serving " << a.data_dir << " on http://" << so.host << ":" << server.port() << "/" << role
            << (find_web_dir(a.web_dir).empty() ? "  (no web page found: run scripts/build-web.sh)" : "") << "\n";
  first.reset();
  std::atomic<bool> stop{false};
  std::thread follower;
  if (controller) follower = std::thread([&] { controller->run(stop); });
  server.run_until_signal();
  stop = true;
  if (follower.joinable()) follower.join();
  if (auto st = current.get(); st && st->role == Stack::Role::kWriter) std::cerr << "tallylog: stopping; closing the log\n";
  current.set(nullptr);  // the last stack closes its log (Stack::~Stack)
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
  s->add_option("--advertise", a->advertise,
                "several nodes on one log in PostgreSQL: the URL at which this node takes submissions when it is the "
                "sequencer, given to clients of the other nodes (default: http://<listen host>:<port>/)");
  s->add_option("--node", a->node, "several nodes: this node's name (default: <hostname>:<port>)");
  s->add_option("--follow-ms", a->follow_ms,
                "several nodes: a follower serves a newly published checkpoint within this many milliseconds")
      ->capture_default_str();
  s->add_option("--lease-check-ms", a->lease_check_ms,
                "several nodes: how often the sequencer checks its lease and the others try to take it")
      ->capture_default_str();
  s->callback([a] { run_serve(*a); });
}

const CommandRegistrar kRegistrar(80, register_serve_commands);

}  // namespace
}  // namespace tallylog::cli
