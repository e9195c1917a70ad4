#include "tallylog/store/store.h"
#include "tallylog/ingest/ingestor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <unordered_map>
#include <variant>

#include "tallylog/election/contest.h"
#include "tallylog/election/device.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/validate.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/contest.h"
#include "tallylog/ingest/derive.h"

namespace tallylog::ingest {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Outcome rejected(std::string field, std::string reason) {
  Outcome o;
  o.verdict = Verdict::kRejected;
  o.field = std::move(field);
  o.reason = std::move(reason);
  return o;
}

}  // namespace

namespace detail {
struct IndexResult {  // what a batch's index update did
  Status status;
  double index_seconds = 0;
  double commit_seconds = 0;
};
struct LogResult {  // what a deferred batch's log append did
  Status status;
  double seconds = 0;
  uint64_t logged = 0;
};
// Counts the batches alive (IndexJob) and the most alive at once, for IngestStats.
struct JobCounter {
  std::atomic<uint64_t> alive{0};
  std::atomic<uint64_t> max{0};
};
}  // namespace detail
using detail::JobCounter;
using detail::IndexResult;
using detail::LogResult;

// One contest the ingestor keeps: its derived index, the deriver (verdict state) and the validator
// of its single-contest view (election/contest.h).
struct ContestState {
  std::string tag;        // ingest/contest.h ("" for a single-contest election)
  std::string index_url;  // its index
  std::unique_ptr<index::Index> index;
  std::unique_ptr<Deriver> deriver;  // set by load() (or by catch-up at open)
  std::optional<election::Validator> validator;
};

struct Ingestor::State {
  IngestorOptions options;
  std::string data_dir;
  // Every contest this ingestor takes sheets for; [0] is contest() (its index is index(), its
  // election election(), and the shared rejects store is reached through it). Fixed after open.
  std::vector<std::unique_ptr<ContestState>> contests;
  // The contest a sheet or declaration naming none belongs to (nullopt: it must name one).
  std::optional<size_t> unnamed;
  std::vector<std::string> election_contests;  // every contest id of the logged election
  std::unique_ptr<log::Log> log;
  // Enrolled device keys (election/device.h), replayed from the log at open when the election
  // declares organisations, then kept up to date by add_device_record(). One registry for
  // every contest: organisations and devices belong to the election, not to a contest.
  election::DeviceRegistry devices;
  mutable std::mutex mu;
  bool failed = false;
  std::string failure;
  uint64_t next_index = 0;
  IngestStats stats;
  // The index update of the last batch still running (deferred, or overlapping the log append).
  std::future<IndexResult> index_task;
  // The log append of the last deferred batch still running.
  std::future<LogResult> log_task;
  std::shared_ptr<JobCounter> jobs = std::make_shared<JobCounter>();

  ContestState& primary() { return *contests.front(); }
  index::Index& index() { return *contests.front()->index; }
  const election::Validator& validator() const { return *contests.front()->validator; }

  Status check_usable() const {
    if (failed) return err(ErrorCode::kFailedPrecondition, "ingestor stopped after an error (" + failure +
                                                               "); reopen the data directory to recover");
    for (const auto& c : contests)
      if (!c->deriver) return err(ErrorCode::kUnavailable, "the ingestor is still loading; try again in a moment");
    return {};
  }
  void fail(const Error& e) {
    failed = true;
    failure = e.to_string();
  }
  // An index write that failed because its backend could not be reached (a PostgreSQL restart,
  // a network cut: kUnavailable) does not stop the ingestor: what was logged is safe in the log,
  // and the next write first brings the index back up to the log (recover_index). Any other
  // index failure stops it.
  bool index_behind = false;
  std::string index_failure;
  void index_failed(const Error& e) {
    if (e.code != ErrorCode::kUnavailable) return fail(e);
    index_behind = true;
    index_failure = e.to_string();
  }
  // The contest of a record naming `named` (a sheet's or declaration's "contest"), or the
  // rejection's reason (field "contest"). A single-contest election's own contest name means the
  // same as none (its sheets carry no tag, so their entries keep their bytes).
  std::variant<size_t, std::string> resolve(const std::string& named) const {
    if (named.empty()) {
      if (unnamed) return *unnamed;
      return "this election has several contests (" + contest_list() + "): name the contest";
    }
    for (size_t k = 0; k < contests.size(); ++k)
      if (contests[k]->tag == named) return k;
    if (contests.size() == 1 && contests[0]->tag.empty() && named == validator().election().contest) return size_t{0};
    if (contests.size() == 1 && contests[0]->tag.empty())
      return "\"" + named + "\" is not a contest of this election (it has one, \"" + validator().election().contest +
             "\")";
    if (std::find(election_contests.begin(), election_contests.end(), named) != election_contests.end())
      return "\"" + named + "\" is not the contest being submitted to (\"" + contests[0]->tag +
             "\"); send each contest's sheets with its --contest";
    return "\"" + named + "\" is not a contest of this election (it has " + contest_list() + ")";
  }
  std::string contest_list() const {
    std::string out;
    for (const std::string& c : election_contests) out += (out.empty() ? "" : ", ") + c;
    return out;
  }
};

namespace {

// A batch's index update: its sheets, entries and verdicts, owned so that it can run after
// submit returns (deferred) or on a helper thread while the log append runs.
struct IndexJob {
  explicit IndexJob(std::shared_ptr<JobCounter> c) : counter(std::move(c)) {
    const uint64_t now = ++counter->alive;
    uint64_t seen = counter->max.load();
    while (seen < now && !counter->max.compare_exchange_weak(seen, now)) {
    }
  }
  ~IndexJob() { --counter->alive; }
  IndexJob(const IndexJob&) = delete;
  IndexJob& operator=(const IndexJob&) = delete;
  std::shared_ptr<JobCounter> counter;
  std::vector<election::Sheet> owned;  // deferred: the sheets, moved in
  std::span<const election::Sheet> sheets;
  std::vector<std::string> entries;
  std::vector<size_t> logged;          // positions in `sheets` of the logged ones, in entry order
  std::vector<AcceptedSheet> accepted;  // per logged sheet
  std::vector<uint32_t> contest_of;     // per logged sheet: its contest (State::contests)
  uint64_t first = 0;                   // expected log index of entries[0]
  std::function<void()> before_commit;  // IngestorOptions::before_index_commit
  std::function<void()> after_commit;   // IngestorOptions::after_index_commit
};

// The indexes a batch is written to, with their derivers (State::contests, in order).
struct IndexTarget {
  index::Index* index;
  Deriver* deriver;
};
std::vector<IndexTarget> index_targets(Ingestor::State& s) {
  std::vector<IndexTarget> out;
  for (const auto& c : s.contests) out.push_back({c->index.get(), c->deriver.get()});
  return out;
}

// Every contest's index records every entry of the batch: its own sheets, the others' as skipped
// (as catch-up and reindex derive them). Each is committed only once the entries are durable.
IndexResult build_and_commit(std::span<const IndexTarget> targets, const IndexJob& job,
                             std::shared_future<bool>* log_durable) {
  IndexResult r;
  auto t_index = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<index::IndexTransaction>> txs;
  Status built = [&]() -> Status {
    for (size_t c = 0; c < targets.size(); ++c) {
      TL_ASSIGN_OR_RETURN(auto tx, targets[c].index->begin());
      if (tx->next_index() != job.first)
        return err(ErrorCode::kInternal, "index is at " + std::to_string(tx->next_index()) + ", batch at " +
                                             std::to_string(job.first));
      Deriver& deriver = *targets[c].deriver;
      for (size_t k = 0; k < job.logged.size(); ++k) {
        const election::Sheet& sheet = job.sheets[job.logged[k]];
        if (job.contest_of[k] == c) {
          TL_TRY(deriver.write_sheet(*tx, sheet, job.accepted[k], job.entries[k]));
        } else {
          TL_TRY(deriver.skip_sheet(*tx, sheet));
        }
      }
      TL_TRY(deriver.finish(*tx));
      txs.push_back(std::move(tx));
    }
    return ok();
  }();
  r.index_seconds = seconds_since(t_index);
  // Committed only once the entries are durable in the log: the index never holds what the
  // log does not (an uncommitted transaction rolls back when destroyed).
  if (log_durable && !log_durable->get()) {
    r.status = err(ErrorCode::kFailedPrecondition, "the log append failed; index batch rolled back");
    return r;
  }
  if (!built) {
    r.status = built;
    return r;
  }
  if (job.before_commit) job.before_commit();
  auto t_commit = std::chrono::steady_clock::now();
  // A crash between two contests' commits leaves one index behind: it catches up from the log at
  // the next open, as after any crash between a log append and its index commit.
  for (auto& tx : txs) {
    r.status = tx->commit();
    if (!r.status) break;
  }
  r.commit_seconds = seconds_since(t_commit);
  if (r.status && job.after_commit) job.after_commit();
  return r;
}

// Runs on its own thread: waits for the previous batch's index task (index batches commit in
// log order), then builds and commits this batch once the log says it is durable. An earlier
// failure carries forward without touching the index.
std::future<IndexResult> chain_index_commit(std::vector<IndexTarget> targets, std::shared_ptr<IndexJob> job,
                                            std::future<IndexResult> prev, std::shared_future<bool> durable) {
  return std::async(std::launch::async, [targets = std::move(targets), job = std::move(job), prev = std::move(prev),
                                         durable = std::move(durable)]() mutable {
    IndexResult before;
    if (prev.valid()) before = prev.get();
    if (!before.status) {
      (void)durable.get();
      return before;
    }
    IndexResult r = build_and_commit(targets, *job, &durable);
    r.index_seconds += before.index_seconds;
    r.commit_seconds += before.commit_seconds;
    return r;
  });
}

// Waits for the deferred index work; an index failure stops the ingestor. Called with s.mu held.
Status join_index(Ingestor::State& s) {
  if (!s.index_task.valid()) return {};
  IndexResult r = s.index_task.get();
  s.stats.index_seconds += r.index_seconds;
  s.stats.commit_seconds += r.commit_seconds;
  if (!r.status && !s.failed) {
    s.index_failed(r.status.error());
    return std::unexpected(with_context(r.status.error(), "sheets are logged but the index update failed"));
  }
  return r.status;
}

Status join_log(Ingestor::State& s) {
  if (!s.log_task.valid()) return {};
  LogResult r = s.log_task.get();
  s.stats.log_seconds += r.seconds;
  if (!r.status) {
    if (!s.failed) s.fail(r.status.error());
    return r.status;
  }
  s.stats.logged += r.logged;
  return {};
}

// Deferred: the previous batch must be durable before this one goes to the log (at most one
// append in flight, so memory stays bounded); then the log append and the index update run in
// the background, and the caller checks the next batch meanwhile.
Result<std::vector<Outcome>> launch_deferred(Ingestor::State& s, std::shared_ptr<IndexJob> job,
                                             std::vector<Outcome> out, std::shared_future<bool>* durable_out) {
  TL_TRY(join_log(s));
  // And the previous batch's index work must be done: the index is the slowest stage, so
  // without this wait every batch of a big file would queue behind it, holding its sheets and
  // entries (issue 16: import memory grew with the file). At most one batch is being indexed
  // while this one is appended and the next one is checked.
  TL_TRY(join_index(s));
  job->first = s.next_index - job->entries.size();
  auto durable = std::make_shared<std::promise<bool>>();
  std::shared_future<bool> durable_future = durable->get_future().share();
  if (durable_out) *durable_out = durable_future;
  s.log_task = std::async(std::launch::async, [&lg = *s.log, job, durable]() -> LogResult {
    LogResult r;
    auto t_log = std::chrono::steady_clock::now();
    auto first = lg.append_batch(job->entries);
    r.seconds = seconds_since(t_log);
    const bool ok = first && *first == job->first;
    durable->set_value(ok);
    if (!first) {
      r.status = std::unexpected(first.error());
    } else if (!ok) {
      r.status = err(ErrorCode::kInternal, "log appended at " + std::to_string(*first) + ", expected " +
                                               std::to_string(job->first));
    } else {
      r.logged = job->entries.size();
    }
    return r;
  });
  s.index_task = chain_index_commit(index_targets(s), job, std::move(s.index_task), std::move(durable_future));
  return out;
}

// Device records live in the log only: replayed in log order (an O(log) read, done only when the
// election declares organisations, so logs without devices open as fast as before).
Status replay_devices(Ingestor::State& s) {
  const election::Election& e = s.validator().election();
  if (e.organisations.empty()) return ok();
  const uint64_t end = std::min(s.log->size(), s.next_index);
  if (end <= 1) return ok();
  return s.log->for_each_entry(1, end, [&](uint64_t i, std::string_view entry) -> Status {
    s.devices.replay(e, entry, i);
    return ok();
  });
}

// The index of each contest kept, brought up to date with `log` (for open).
Status catch_up_index(Ingestor::State& s) {
  const IngestorOptions& o = s.options;
  std::vector<std::string> tags;
  std::optional<std::string> unnamed;
  election::Election full;
  if (s.log->size() > 0) {
    TL_ASSIGN_OR_RETURN(full, logged_election(*s.log));
    s.election_contests = election::contest_ids(full);
  }
  if (o.every_contest && full.contests.size() > 1) {
    if (!o.index_url.empty())
      return err(ErrorCode::kInvalidArgument, "an index URL names one contest's index; this election has several (" +
                                                  s.contest_list() + ")");
    // [0] is the named contest (the default for records naming none), else the first.
    std::string first;
    if (!o.contest.empty()) {
      TL_ASSIGN_OR_RETURN(first, election::resolve_contest(full, o.contest));
      unnamed = first;
    }
    if (first.empty()) first = full.contests.front().id;
    tags.push_back(first);
    for (const election::Contest& c : full.contests)
      if (c.id != first) tags.push_back(c.id);
  } else {
    TL_ASSIGN_OR_RETURN(const ContestIndex ci,
                        contest_index(s.data_dir, *s.log, o.contest, o.first_contest_if_unnamed || o.every_contest));
    tags.push_back(ci.tag);
    unnamed = ci.tag;
  }
  for (const std::string& tag : tags) {
    auto c = std::make_unique<ContestState>();
    c->tag = tag;
    c->index_url = o.index_url.empty() ? contest_index_url(s.data_dir, tag) : o.index_url;
    TL_ASSIGN_OR_RETURN(c->index, index::open_index(c->index_url));
    TL_ASSIGN_OR_RETURN(uint64_t indexed, c->index->indexed_size());
    if (indexed < s.log->size()) {
      // The rule's state is needed to apply entries; load it now rather than in load().
      TL_ASSIGN_OR_RETURN(c->deriver, Deriver::load(*c->index, c->tag));
      TL_TRY(catch_up(*c->index, *c->deriver, *s.log, s.log->size(), o.catch_up_progress));
    }
    TL_ASSIGN_OR_RETURN(s.next_index, c->index->indexed_size());
    TL_ASSIGN_OR_RETURN(auto el, c->index->election());
    TL_ASSIGN_OR_RETURN(auto v, election::Validator::create(std::move(el)));
    c->validator.emplace(std::move(v));
    s.contests.push_back(std::move(c));
  }
  if (unnamed) s.unnamed = static_cast<size_t>(std::find(tags.begin(), tags.end(), *unnamed) - tags.begin());
  return replay_devices(s);
}

// Entries logged outside the sheet path (stations, declarations, device records): every contest's
// index records them, in one transaction per index built at log index `first` by `write`
// (contest number, its deriver, the transaction) and finished.
using Txs = std::vector<std::unique_ptr<index::IndexTransaction>>;
Result<Txs> begin_every_index(Ingestor::State& s, uint64_t first,
                              const std::function<Status(size_t, Deriver&, index::IndexTransaction&)>& write) {
  Txs txs;
  for (size_t c = 0; c < s.contests.size(); ++c) {
    ContestState& cs = *s.contests[c];
    TL_ASSIGN_OR_RETURN(auto tx, cs.index->begin());
    if (tx->next_index() != first)
      return err(ErrorCode::kInternal, "index is at " + std::to_string(tx->next_index()) + ", log at " +
                                           std::to_string(first));
    TL_TRY(write(c, *cs.deriver, *tx));
    TL_TRY(cs.deriver->finish(*tx));
    txs.push_back(std::move(tx));
  }
  return txs;
}

// Appends `entries` durably at s.next_index and only then commits the index transactions `build`
// makes: built before the append (a failure then logs nothing), or beside it on another thread
// when `overlap` (a failure then leaves the entries logged and the index behind, as a crash would).
// A failed append or commit stops the ingestor (`what` names the entries in its message), except a
// commit whose index backend is away (State::index_failed). Returns the log index of the first entry.
Result<uint64_t> append_then_commit(Ingestor::State& s, std::span<const std::string> entries,
                                    const std::function<Result<Txs>()>& build, bool overlap, std::string_view what) {
  const uint64_t expected = s.next_index;
  std::future<Result<Txs>> built_future;
  Result<Txs> txs = Txs{};
  if (overlap) {
    built_future = std::async(std::launch::async, build);
  } else {
    txs = build();
    if (!txs) return std::unexpected(txs.error());
  }
  auto first = s.log->append_batch(entries);
  if (overlap) txs = built_future.get();  // on failure below, the transactions roll back
  if (!first) {
    s.fail(first.error());
    return std::unexpected(first.error());
  }
  if (*first != expected) {
    auto e = Error{ErrorCode::kInternal, "log appended at " + std::to_string(*first) + ", expected " +
                                             std::to_string(expected)};
    s.fail(e);
    return std::unexpected(e);
  }
  s.next_index += entries.size();
  Status applied = txs ? Status() : Status(std::unexpected(txs.error()));
  for (size_t i = 0; applied && txs && i < txs->size(); ++i) applied = (*txs)[i]->commit();
  if (!applied) {
    s.index_failed(applied.error());
    // Logged and durable: with the index's backend away it catches up before the next write.
    if (!s.index_behind)
      return std::unexpected(with_context(applied.error(), std::string(what) + " logged but the index update failed"));
  }
  return expected;
}

// Brings every contest's index back up to the log after its backend came back (State::index_failed):
// each deriver is reloaded from what its index committed (the in-memory one already holds the
// batches whose commit failed) and the missing entries applied from the log, as at open.
Status recover_index(Ingestor::State& s) {
  for (auto& c : s.contests) {
    if (!c->deriver) continue;  // still loading: load() reads the index as it is
    TL_ASSIGN_OR_RETURN(auto deriver, Deriver::load(*c->index, c->tag));
    TL_TRY(catch_up(*c->index, *deriver, *s.log, s.next_index, {}));
    c->deriver = std::move(deriver);
  }
  s.devices = election::DeviceRegistry();  // a device record whose index commit failed is applied here
  return replay_devices(s);
}

// The start of every write, with s.mu held: the ingestor usable; the earlier batches' log and
// index work joined (all of it, or with `queue` only what has finished: deferred batches queue
// behind); an index left behind by an unreachable backend caught up first, or this call refused
// with kUnavailable (nothing of it logged) while the backend stays away.
Status ready(Ingestor::State& s, bool queue = false) {
  TL_TRY(s.check_usable());
  auto joined = [&s](Status st) -> Status { return st || s.index_behind ? ok() : st; };
  if (!queue || s.index_behind) {
    TL_TRY(join_log(s));
    TL_TRY(joined(join_index(s)));
  } else if (s.index_task.valid() && s.index_task.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    TL_TRY(joined(join_index(s)));
    if (s.index_behind) TL_TRY(join_log(s));
  }
  TL_TRY(s.check_usable());
  if (!s.index_behind) return ok();
  if (auto r = recover_index(s); !r) {
    return err(ErrorCode::kUnavailable, "the index cannot be written (" + r.error().message +
                                            "); nothing of this request was logged, and every acknowledged record is "
                                            "in the log and will be indexed when the index is back: try again");
  }
  s.index_behind = false;
  s.index_failure.clear();
  return ok();
}

}  // namespace

std::string Ingestor::default_origin(const election::Election& e) { return "tallylog/" + e.id; }

Status Ingestor::log_election(log::Log& lg, const std::string& data_dir, const election::Election& e) {
  TL_ASSIGN_OR_RETURN(auto validator, election::Validator::create(e));
  (void)validator;
  if (lg.size() != 0)
    return err(ErrorCode::kFailedPrecondition, data_dir + ": the log is not empty; the election must be entry 0");
  // One index per contest (ingest/contest.h); a single-contest election has the one tagged "".
  std::vector<std::string> tags;
  for (const election::Contest& c : e.contests) tags.push_back(c.id);
  if (tags.empty()) tags.emplace_back();
  for (const std::string& tag : tags) {
    if (index::index_exists(contest_index_url(data_dir, tag)))
      return err(ErrorCode::kAlreadyExists, data_dir + " already has an index; is it already initialised?");
  }
  std::string entry = election::encode_entry(e);
  TL_ASSIGN_OR_RETURN(uint64_t first, lg.append(entry));
  if (first != 0) return err(ErrorCode::kInternal, "the election entry was logged at " + std::to_string(first));
  for (const std::string& tag : tags) {
    TL_ASSIGN_OR_RETURN(auto idx, index::open_index(contest_index_url(data_dir, tag)));
    Deriver deriver(tag);
    TL_ASSIGN_OR_RETURN(auto tx, idx->begin());
    TL_TRY(deriver.write_election(*tx, e, entry));
    TL_TRY(deriver.finish(*tx));
    TL_TRY(tx->commit());
  }
  return ok();
}

Status Ingestor::init(const std::string& data_dir, const election::Election& e, std::string origin,
                      const IngestorOptions& options) {
  TL_ASSIGN_OR_RETURN(auto validator, election::Validator::create(e));
  (void)validator;
  if (origin.empty()) origin = default_origin(e);
  TL_TRY(options.env->create_dirs(data_dir));
  log::OpenOptions oo;
  oo.env = options.env;
  TL_ASSIGN_OR_RETURN(oo, store::open_log_options(data_dir, std::move(oo), options.store_fence));
  TL_ASSIGN_OR_RETURN(auto lg, log::Log::create(data_dir, log::CreateOptions{origin}, oo));
  TL_TRY(log_election(*lg, data_dir, e));
  return lg->close();
}

Result<std::unique_ptr<Ingestor>> Ingestor::open_log(const std::string& data_dir, const IngestorOptions& options) {
  std::unique_ptr<Ingestor> ing(new Ingestor());
  ing->s_ = std::make_unique<State>();
  State& s = *ing->s_;
  s.options = options;
  s.data_dir = data_dir;
  log::OpenOptions oo;
  oo.env = options.env;
  oo.cosign = options.cosign;
  oo.cosign_deadline = options.cosign_deadline;
  // The log's drivers: its files in <data>, or the database <data>/store.url names.
  TL_ASSIGN_OR_RETURN(oo, store::open_log_options(data_dir, std::move(oo), options.store_fence));
  TL_ASSIGN_OR_RETURN(s.log, log::Log::open(data_dir, oo));
  TL_TRY(catch_up_index(s));
  return ing;
}

Status Ingestor::load() {
  State& s = *s_;
  for (const auto& c : s.contests) {
    {
      std::lock_guard lock(s.mu);
      if (c->deriver) continue;
    }
    // Loading reads the whole registry and every sheet's summary: done without the lock and
    // through a second handle on the index, so the readers of index() (a server's requests) are
    // not queued behind it; nothing writes before every deriver is in place.
    TL_ASSIGN_OR_RETURN(auto loader, index::open_index(c->index_url));
    TL_ASSIGN_OR_RETURN(auto deriver, Deriver::load(*loader, c->tag));
    std::lock_guard lock(s.mu);
    if (!c->deriver) c->deriver = std::move(deriver);
  }
  return ok();
}

Result<std::unique_ptr<Ingestor>> Ingestor::open(const std::string& data_dir, const IngestorOptions& options) {
  TL_ASSIGN_OR_RETURN(auto ing, open_log(data_dir, options));
  TL_TRY(ing->load());
  return ing;
}

Ingestor::~Ingestor() {
  if (!s_) return;
  if (s_->log_task.valid()) (void)s_->log_task.get();
  if (s_->index_task.valid()) (void)s_->index_task.get();
  if (s_->log) (void)s_->log->close();
}

const election::Election& Ingestor::election() const { return s_->validator().election(); }
const std::string& Ingestor::contest() const { return s_->contests.front()->tag; }
std::vector<std::string> Ingestor::contests() const {
  std::vector<std::string> out;
  for (const auto& c : s_->contests) out.push_back(c->tag);
  return out;
}
log::LogReader& Ingestor::log() { return *s_->log; }
index::IndexReader& Ingestor::index() { return s_->index(); }
index::IndexReader* Ingestor::index(std::string_view contest) {
  for (const auto& c : s_->contests)
    if (c->tag == contest) return c->index.get();
  return nullptr;
}

Status Ingestor::close() {
  std::lock_guard lock(s_->mu);
  Status logged = join_log(*s_);
  Status indexed = join_index(*s_);
  if (logged && !indexed) logged = indexed;
  if (!s_->log) return logged;
  auto st = s_->log->close();
  s_->failed = true;
  s_->failure = "closed";
  return logged ? st : logged;
}

IngestStats Ingestor::stats() const {
  std::lock_guard lock(s_->mu);
  IngestStats st = s_->stats;
  st.max_batches_held = s_->jobs->max.load();
  return st;
}

Status Ingestor::record_rejects(std::span<const index::Reject> rejects) { return s_->index().add_rejects(rejects); }

Result<std::vector<Outcome>> Ingestor::add_stations(std::span<const election::Station> stations) {
  State& s = *s_;
  std::lock_guard lock(s.mu);
  // The deriver's registry side must not change while an earlier batch is being indexed.
  TL_TRY(ready(s));
  std::vector<Outcome> out(stations.size());
  std::vector<std::string> entries;
  std::vector<size_t> logged;
  // Per contest kept, per logged station: its parent area in that contest's deriver. Stations are
  // every contest's: each contest's index registers them.
  std::vector<std::vector<uint32_t>> parents(s.contests.size());
  std::unordered_map<std::string, size_t> pending;  // code -> position in `stations`
  std::vector<index::Reject> rejects;
  const std::string now = format_rfc3339(s.options.clock->now());
  const Deriver& first = *s.primary().deriver;
  for (size_t i = 0; i < stations.size(); ++i) {
    const election::Station& st = stations[i];
    if (auto r = s.validator().validate_station(st)) {
      out[i] = rejected(r->field, r->reason);
    } else if (auto p = pending.find(st.code); p != pending.end()) {
      const election::Station& other = stations[p->second];
      if (election::encode_entry(other) == election::encode_entry(st)) {
        out[i].verdict = Verdict::kDuplicate;
        out[i].log_index = out[p->second].log_index;
      } else {
        out[i] = rejected("code", "station " + st.code + " appears twice with different data");
      }
    } else if (auto id = first.ledger().find_station(st.code); id && first.ledger().is_registered(*id)) {
      TL_ASSIGN_OR_RETURN(auto existing, s.index().station(st.code));
      if (existing && election::encode_entry(*existing) == election::encode_entry(st)) {
        out[i].verdict = Verdict::kDuplicate;
      } else {
        out[i] = rejected("code", "station " + st.code + " is already registered with different data");
      }
    } else {
      pending.emplace(st.code, i);
      out[i].verdict = Verdict::kAccepted;
      out[i].log_index = s.next_index + entries.size();
      entries.push_back(election::encode_entry(st));
      logged.push_back(i);
      for (size_t c = 0; c < s.contests.size(); ++c) parents[c].push_back(s.contests[c]->deriver->accept_station(st));
    }
    if (out[i].verdict == Verdict::kRejected)
      rejects.push_back(index::Reject{"registry", st.code, out[i].field, out[i].reason, now});
  }
  if (!rejects.empty()) TL_TRY(s.index().add_rejects(rejects));
  if (entries.empty()) return out;
  // As for sheets: the index transactions are built while the log append runs (big batches), and
  // committed only once the append is durable.
  auto build = [&, first = s.next_index] {
    return begin_every_index(s, first, [&](size_t c, Deriver& d, index::IndexTransaction& tx) -> Status {
      for (size_t k = 0; k < logged.size(); ++k) TL_TRY(d.write_station(tx, stations[logged[k]], parents[c][k]));
      return ok();
    });
  };
  TL_TRY(append_then_commit(s, entries, build, entries.size() >= 256, "stations are"));
  return out;
}

Result<uint64_t> Ingestor::add_declaration(election::Declaration d) {
  State& s = *s_;
  std::lock_guard lock(s.mu);
  TL_TRY(ready(s));
  if (d.submitted_at.empty()) d.submitted_at = format_rfc3339(s.options.clock->now());
  // As for sheets: a declaration naming no contest is the default contest's; one naming a contest
  // this ingestor does not keep is refused.
  const auto which = s.resolve(d.contest);
  if (const auto* why = std::get_if<std::string>(&which)) return err(ErrorCode::kInvalidArgument, "contest: " + *why);
  ContestState& own = *s.contests[std::get<size_t>(which)];
  d.contest = own.tag;
  // Areas of the registry by depth (1 = first level): read once for this call.
  std::set<std::pair<int, std::string>> areas;
  TL_TRY(own.index->for_each_station([&](const election::Station& st) {
    for (size_t i = 0; i < st.areas.size(); ++i) areas.emplace(int(i) + 1, st.areas[i].code);
  }));
  TL_TRY(election::validate_declaration(d, own.validator->election(), [&](int depth, std::string_view code) {
    return areas.contains({depth, std::string(code)});
  }));
  // Every contest's index records it (each keeps only its own contest's declarations).
  const std::string entry = election::encode_entry(d);
  auto build = [&] {
    return begin_every_index(s, s.next_index, [&](size_t, Deriver& deriver, index::IndexTransaction& tx) {
      return deriver.write_declaration(tx, d, entry);
    });
  };
  return append_then_commit(s, std::span(&entry, 1), build, /*overlap=*/false, "the declaration is");
}

Result<uint64_t> Ingestor::add_device_record(election::DeviceRecord r) {
  State& s = *s_;
  std::lock_guard lock(s.mu);
  TL_TRY(ready(s));
  if (r.at.empty()) r.at = format_rfc3339(s.options.clock->now());
  const election::Election& e = election();
  if (e.organisations.empty())
    return err(ErrorCode::kFailedPrecondition,
               "org: the election declares no organisations ([[organisations]]), so no device can be enrolled");
  if (auto no = s.devices.check(e, r)) return err(ErrorCode::kInvalidArgument, no->field + ": " + no->reason);
  // Every contest's index records it as skipped: devices are the log's (replayed at open), not an index's.
  const std::string entry = election::encode_entry(r);
  auto build = [&] {
    return begin_every_index(s, s.next_index, [](size_t, Deriver&, index::IndexTransaction& tx) {
      return tx.skip("a device record");
    });
  };
  TL_ASSIGN_OR_RETURN(const uint64_t logged_at, append_then_commit(s, std::span(&entry, 1), build, false, "the device record is"));
  (void)s.devices.apply(e, r, logged_at);  // checked above, under the same lock
  return logged_at;
}

const election::DeviceRegistry& Ingestor::devices() const { return s_->devices; }

bool Ingestor::device_known(std::string_view device_key) const {
  std::lock_guard lock(s_->mu);
  return s_->devices.find(device_key) != nullptr;
}

Status Ingestor::sync_index() {
  std::lock_guard lock(s_->mu);
  TL_TRY(join_log(*s_));
  return join_index(*s_);
}

Result<std::vector<Outcome>> Ingestor::submit_batch(std::span<election::Sheet> sheets,
                                                    std::span<const std::string> origins) {
  std::lock_guard lock(s_->mu);
  return submit_locked(sheets, origins, nullptr);
}

Result<std::vector<Outcome>> Ingestor::submit_batch_deferred(std::vector<election::Sheet> sheets,
                                                             std::span<const std::string> origins) {
  std::lock_guard lock(s_->mu);
  return submit_locked(sheets, origins, &sheets);
}

Result<std::vector<Outcome>> Ingestor::submit_batch_durable(std::vector<election::Sheet> sheets,
                                                            std::span<const std::string> origins) {
  std::shared_future<bool> durable;
  Result<std::vector<Outcome>> out = std::vector<Outcome>();
  {
    std::lock_guard lock(s_->mu);
    out = submit_locked(sheets, origins, &sheets, &durable);
  }
  if (!out || !durable.valid() || durable.get()) return out;
  // The append failed: the ingestor has stopped; report the log's own error.
  std::lock_guard lock(s_->mu);
  Status st = join_log(*s_);
  if (!st) return std::unexpected(st.error());
  return err(ErrorCode::kFailedPrecondition, "the log append failed; nothing of this batch is acknowledged");
}

namespace {

// The sheet's device signature (election/device.h); nothing to check for an unsigned sheet of an
// election that requires none (the import hot path pays one branch).
std::optional<election::DeviceRejection> check_device(const Ingestor::State& s, election::Sheet& sh) {
  const election::Election& e = s.validator().election();
  // A CLI import or scan run with --device-key signs as that device (the sheet is normalised by
  // now: what is signed is what is logged).
  if (s.options.device_signer && sh.device_key.empty() && sh.device_signature.empty()) {
    if (auto st = election::sign_sheet(sh, *s.options.device_signer); !st)
      return election::DeviceRejection{"device_signature", st.error().message};
  }
  if (sh.device_key.empty() && sh.device_signature.empty() && e.require_device_signature.empty()) return std::nullopt;
  return s.devices.check_sheet(e, sh);
}

}  // namespace

Result<std::vector<Outcome>> Ingestor::submit_locked(std::span<election::Sheet> sheets,
                                                     std::span<const std::string> origins,
                                                     std::vector<election::Sheet>* owned,
                                                     std::shared_future<bool>* durable) {
  State& s = *s_;
  const bool deferred = owned != nullptr;
  // A synchronous batch needs the log and the index to itself; a deferred one queues behind.
  TL_TRY(ready(s, /*queue=*/deferred));
  std::vector<Outcome> out(sheets.size());
  auto job = std::make_shared<IndexJob>(s.jobs);
  job->before_commit = s.options.before_index_commit;
  job->after_commit = s.options.after_index_commit;
  job->entries.reserve(sheets.size());
  job->logged.reserve(sheets.size());
  job->accepted.reserve(sheets.size());
  job->contest_of.reserve(sheets.size());
  std::vector<index::Reject> rejects;
  const std::string now = format_rfc3339(s.options.clock->now());
  auto t_check = std::chrono::steady_clock::now();
  election::Station probe;
  for (size_t i = 0; i < sheets.size(); ++i) {
    election::Sheet& sh = sheets[i];
    if (sh.submitted_at.empty()) sh.submitted_at = now;
    Outcome& o = out[i];
    // Each sheet goes to the contest it names (none: the default contest, State::resolve).
    const auto which = s.resolve(sh.contest);
    if (const auto* why = std::get_if<std::string>(&which)) {
      o = rejected("contest", *why);
      rejects.push_back(index::Reject{sh.source, i < origins.size() ? origins[i] : std::string(), o.field,
                                      o.reason, now});
      continue;
    }
    const size_t c = std::get<size_t>(which);
    ContestState& contest = *s.contests[c];
    sh.contest = contest.tag;
    Deriver& deriver = *contest.deriver;
    const index::SheetLedger& ledger = deriver.ledger();
    // A station of the registry (a sheet may name one the ledger knows only from sheets).
    const auto found = ledger.find_station(sh.station);
    const bool registered = found && ledger.is_registered(*found);
    const index::SheetLedger::StationId id = found.value_or(0);
    const election::Station* station = nullptr;
    if (registered) {
      probe.code = sh.station;
      probe.registered = ledger.registered_voters(id);
      // A local race (election/validate.h): the table's area at the level the contest is decided.
      const int decided = contest.validator->decided_depth();
      probe.areas.resize(static_cast<size_t>(decided));
      if (decided > 0) probe.areas.back().code = deriver.area_of(id, decided);
      station = &probe;
    }
    std::vector<election::RuleFailure> flags;
    if (auto r = contest.validator->validate_sheet(sh, station, &flags)) {
      o = rejected(r->field, r->reason);
    } else if (auto dr = check_device(s, sh)) {
      o = rejected(dr->field, dr->reason);
    } else if (!registered) {
      return err(ErrorCode::kInternal, "validated sheet of unknown station " + sh.station);
    } else {
      const index::SheetFacts facts = deriver.facts(sh, election::sheet_identity_digest(sh));
      index::SheetDecision d = deriver.decide(id, facts, sh.source);
      switch (d.verdict) {
        case index::SheetVerdict::kDuplicate:
          o.verdict = Verdict::kDuplicate;
          o.log_index = d.duplicate_of;
          break;
        case index::SheetVerdict::kRejected:
          o = rejected(d.field, d.reason);
          break;
        default: {
          const uint64_t idx = s.next_index + job->entries.size();
          o.verdict = d.conflicts_with ? Verdict::kConflict : Verdict::kAccepted;
          o.log_index = idx;
          o.conflicts_with = d.conflicts_with;
          for (auto& f : flags) o.flags.push_back(std::move(f.message));
          job->accepted.push_back(deriver.accept(id, idx, facts, std::move(d)));
          election::append_sheet_entry(sh, job->entries.emplace_back());
          job->logged.push_back(i);
          job->contest_of.push_back(static_cast<uint32_t>(c));
        }
      }
    }
    if (o.verdict == Verdict::kRejected)
      rejects.push_back(index::Reject{sh.source, i < origins.size() ? origins[i] : std::string(), o.field,
                                      o.reason, now});
  }
  if (!rejects.empty()) TL_TRY(s.index().add_rejects(rejects));
  s.stats.check_seconds += seconds_since(t_check);
  ++s.stats.batches;
  if (job->entries.empty()) return out;
  if (deferred) {
    job->owned = std::move(*owned);  // moving a vector keeps its elements in place
    job->sheets = job->owned;
    s.next_index += job->entries.size();  // the next batch is checked while this one is appended
    return launch_deferred(s, std::move(job), std::move(out), durable);
  }
  job->first = s.next_index;
  job->sheets = sheets;
  // The index transaction is built on another thread while the log append runs; it commits only
  // once the append is durable.
  std::promise<bool> log_durable;
  std::future<IndexResult> index_future;
  const bool overlap = job->entries.size() >= 256;  // a thread is not worth it for a few sheets
  if (overlap) {
    index_future =
        chain_index_commit(index_targets(s), job, std::move(s.index_task), log_durable.get_future().share());
  }
  auto t_log = std::chrono::steady_clock::now();
  auto first = s.log->append_batch(job->entries);
  s.stats.log_seconds += seconds_since(t_log);
  const bool log_ok = first && *first == job->first;
  if (overlap) log_durable.set_value(log_ok);
  if (!first) {
    s.fail(first.error());
    if (overlap) (void)index_future.get();  // it uses the sheets; rolls back
    return std::unexpected(first.error());
  }
  if (*first != job->first) {
    auto e = Error{ErrorCode::kInternal, "log appended at " + std::to_string(*first) + ", expected " +
                                             std::to_string(job->first)};
    s.fail(e);
    if (overlap) (void)index_future.get();
    return std::unexpected(e);
  }
  s.next_index += job->entries.size();
  s.stats.logged += job->entries.size();
  if (overlap) {
    s.index_task = std::move(index_future);
  } else {
    std::promise<IndexResult> done;
    const std::vector<IndexTarget> targets = index_targets(s);
    done.set_value(build_and_commit(targets, *job, nullptr));
    s.index_task = done.get_future();
  }
  // Logged and durable: the verdicts stand even when the index update failed because its backend
  // is away (it catches up before the next write, ready()); any other index failure is the error.
  if (Status indexed = join_index(s); !indexed && !s.index_behind) return std::unexpected(indexed.error());
  return out;
}

Result<Outcome> Ingestor::submit(election::Sheet sheet, std::string origin) {
  std::string origins[1] = {std::move(origin)};
  TL_ASSIGN_OR_RETURN(auto out, submit_batch(std::span<election::Sheet>(&sheet, 1), origins));
  return out.front();
}

}  // namespace tallylog::ingest
