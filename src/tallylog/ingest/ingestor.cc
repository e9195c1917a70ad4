#include "tallylog/ingest/ingestor.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <unordered_map>

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

struct Ingestor::State {
  IngestorOptions options;
  std::string data_dir;
  std::string contest;    // tag (ingest/contest.h)
  std::string index_url;  // this contest's index
  std::unique_ptr<log::Log> log;
  std::unique_ptr<index::Index> index;
  std::unique_ptr<Deriver> deriver;
  std::optional<election::Validator> validator;
  // Enrolled device keys (election/device.h), replayed from the log at open when the election
  // declares organisations, then kept up to date by add_device_record().
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

  Status check_usable() const {
    if (failed) return err(ErrorCode::kFailedPrecondition, "ingestor stopped after an error (" + failure +
                                                               "); reopen the data directory to recover");
    if (!deriver) return err(ErrorCode::kUnavailable, "the ingestor is still loading; try again in a moment");
    return {};
  }
  void fail(const Error& e) {
    failed = true;
    failure = e.to_string();
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
  uint64_t first = 0;                   // expected log index of entries[0]
  std::function<void()> before_commit;  // IngestorOptions::before_index_commit
  std::function<void()> after_commit;   // IngestorOptions::after_index_commit
};

IndexResult build_and_commit(index::Index& idx, Deriver& deriver, const IndexJob& job,
                             std::shared_future<bool>* log_durable) {
  IndexResult r;
  auto t_index = std::chrono::steady_clock::now();
  auto tx = [&]() -> Result<std::unique_ptr<index::IndexTransaction>> {
    TL_ASSIGN_OR_RETURN(auto tx, idx.begin());
    if (tx->next_index() != job.first)
      return err(ErrorCode::kInternal, "index is at " + std::to_string(tx->next_index()) + ", batch at " +
                                           std::to_string(job.first));
    for (size_t k = 0; k < job.logged.size(); ++k) {
      TL_TRY(deriver.write_sheet(*tx, job.sheets[job.logged[k]], job.accepted[k], job.entries[k]));
    }
    TL_TRY(deriver.finish(*tx));
    return tx;
  }();
  r.index_seconds = seconds_since(t_index);
  // Committed only once the entries are durable in the log: the index never holds what the
  // log does not (an uncommitted transaction rolls back when destroyed).
  if (log_durable && !log_durable->get()) {
    r.status = err(ErrorCode::kFailedPrecondition, "the log append failed; index batch rolled back");
    return r;
  }
  if (!tx) {
    r.status = std::unexpected(tx.error());
    return r;
  }
  if (job.before_commit) job.before_commit();
  auto t_commit = std::chrono::steady_clock::now();
  r.status = (*tx)->commit();
  r.commit_seconds = seconds_since(t_commit);
  if (r.status && job.after_commit) job.after_commit();
  return r;
}

// Runs on its own thread: waits for the previous batch's index task (index batches commit in
// log order), then builds and commits this batch once the log says it is durable. An earlier
// failure carries forward without touching the index.
std::future<IndexResult> chain_index_commit(index::Index& idx, Deriver& deriver, std::shared_ptr<IndexJob> job,
                                            std::future<IndexResult> prev, std::shared_future<bool> durable) {
  return std::async(std::launch::async, [&idx, &deriver, job = std::move(job), prev = std::move(prev),
                                         durable = std::move(durable)]() mutable {
    IndexResult before;
    if (prev.valid()) before = prev.get();
    if (!before.status) {
      (void)durable.get();
      return before;
    }
    IndexResult r = build_and_commit(idx, deriver, *job, &durable);
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
    s.fail(r.status.error());
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
  s.index_task = chain_index_commit(*s.index, *s.deriver, job, std::move(s.index_task), std::move(durable_future));
  return out;
}

// Device records live in the log only: replayed in log order (an O(log) read, done only when the
// election declares organisations, so logs without devices open as fast as before).
Status replay_devices(Ingestor::State& s) {
  const election::Election& e = s.validator->election();
  if (e.organisations.empty()) return ok();
  const uint64_t end = std::min(s.log->size(), s.next_index);
  if (end <= 1) return ok();
  return s.log->for_each_entry(1, end, [&](uint64_t i, std::string_view entry) -> Status {
    if (!entry.starts_with("{\"action\":")) return ok();  // device records start so (sorted keys)
    auto d = election::decode_entry(entry);
    if (!d || d->type != election::EntryType::kDevice) return ok();
    // A record that does not apply (it could only have been appended by hand) is ignored, as
    // verify ignores it.
    (void)s.devices.apply(e, std::get<election::DeviceRecord>(d->record), i);
    return ok();
  });
}

// The index of `data_dir`, brought up to date with `log` (for open and init).
Status catch_up_index(Ingestor::State& s) {
  TL_ASSIGN_OR_RETURN(const ContestIndex ci, contest_index(s.data_dir, *s.log, s.options.contest,
                                                           s.options.first_contest_if_unnamed));
  s.contest = ci.tag;
  s.index_url = s.options.index_url.empty() ? ci.url : s.options.index_url;
  TL_ASSIGN_OR_RETURN(s.index, index::open_index(s.index_url));
  TL_ASSIGN_OR_RETURN(uint64_t indexed, s.index->indexed_size());
  if (indexed < s.log->size()) {
    // The rule's state is needed to apply entries; load it now rather than in load().
    TL_ASSIGN_OR_RETURN(s.deriver, Deriver::load(*s.index, s.contest));
    TL_TRY(catch_up(*s.index, *s.deriver, *s.log, s.log->size(), s.options.catch_up_progress));
  }
  TL_ASSIGN_OR_RETURN(s.next_index, s.index->indexed_size());
  TL_ASSIGN_OR_RETURN(auto el, s.index->election());
  TL_ASSIGN_OR_RETURN(auto v, election::Validator::create(std::move(el)));
  s.validator.emplace(std::move(v));
  return replay_devices(s);
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
  TL_ASSIGN_OR_RETURN(s.log, log::Log::open(data_dir, oo));
  TL_TRY(catch_up_index(s));
  return ing;
}

Status Ingestor::load() {
  State& s = *s_;
  std::unique_ptr<Deriver> deriver;
  {
    std::lock_guard lock(s.mu);
    if (s.deriver) return ok();
  }
  // Loading reads the whole registry and every sheet's summary: done without the lock and through
  // a second handle on the index, so the readers of index() (a server's requests) are not queued
  // behind it; nothing writes before the deriver is in place.
  TL_ASSIGN_OR_RETURN(auto loader, index::open_index(s.index_url));
  TL_ASSIGN_OR_RETURN(deriver, Deriver::load(*loader, s.contest));
  std::lock_guard lock(s.mu);
  if (!s.deriver) s.deriver = std::move(deriver);
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

const election::Election& Ingestor::election() const { return s_->validator->election(); }
const std::string& Ingestor::contest() const { return s_->contest; }
log::LogReader& Ingestor::log() { return *s_->log; }
index::IndexReader& Ingestor::index() { return *s_->index; }

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

Status Ingestor::record_rejects(std::span<const index::Reject> rejects) { return s_->index->add_rejects(rejects); }

Result<std::vector<Outcome>> Ingestor::add_stations(std::span<const election::Station> stations) {
  State& s = *s_;
  std::lock_guard lock(s.mu);
  TL_TRY(s.check_usable());
  // The deriver's registry side must not change while an earlier batch is being indexed.
  TL_TRY(join_log(s));
  TL_TRY(join_index(s));
  std::vector<Outcome> out(stations.size());
  std::vector<std::string> entries;
  std::vector<size_t> logged;
  std::vector<uint32_t> parents;
  std::unordered_map<std::string, size_t> pending;  // code -> position in `stations`
  std::vector<index::Reject> rejects;
  const std::string now = format_rfc3339(s.options.clock->now());
  for (size_t i = 0; i < stations.size(); ++i) {
    const election::Station& st = stations[i];
    if (auto r = s.validator->validate_station(st)) {
      out[i] = rejected(r->field, r->reason);
    } else if (auto p = pending.find(st.code); p != pending.end()) {
      const election::Station& other = stations[p->second];
      if (election::encode_entry(other) == election::encode_entry(st)) {
        out[i].verdict = Verdict::kDuplicate;
        out[i].log_index = out[p->second].log_index;
      } else {
        out[i] = rejected("code", "station " + st.code + " appears twice with different data");
      }
    } else if (auto id = s.deriver->ledger().find_station(st.code); id && s.deriver->ledger().is_registered(*id)) {
      TL_ASSIGN_OR_RETURN(auto existing, s.index->station(st.code));
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
      parents.push_back(s.deriver->accept_station(st));
    }
    if (out[i].verdict == Verdict::kRejected)
      rejects.push_back(index::Reject{"registry", st.code, out[i].field, out[i].reason, now});
  }
  if (!rejects.empty()) TL_TRY(s.index->add_rejects(rejects));
  if (entries.empty()) return out;
  // As for sheets: the index transaction is built while the log append runs, and committed
  // only once the append is durable.
  const uint64_t expected_first = s.next_index;
  auto build_index = [&]() -> Result<std::unique_ptr<index::IndexTransaction>> {
    TL_ASSIGN_OR_RETURN(auto tx, s.index->begin());
    if (tx->next_index() != expected_first)
      return err(ErrorCode::kInternal, "index is at " + std::to_string(tx->next_index()) + ", batch at " +
                                           std::to_string(expected_first));
    for (size_t k = 0; k < logged.size(); ++k) TL_TRY(s.deriver->write_station(*tx, stations[logged[k]], parents[k]));
    TL_TRY(s.deriver->finish(*tx));
    return tx;
  };
  std::future<Result<std::unique_ptr<index::IndexTransaction>>> index_future;
  const bool overlap = entries.size() >= 256;
  if (overlap) index_future = std::async(std::launch::async, build_index);
  auto first = s.log->append_batch(entries);
  auto tx = overlap ? index_future.get() : build_index();
  if (!first) {
    s.fail(first.error());
    return std::unexpected(first.error());  // `tx` rolls back
  }
  if (*first != expected_first) {
    auto e = Error{ErrorCode::kInternal, "log appended at " + std::to_string(*first) + ", expected " +
                                             std::to_string(expected_first)};
    s.fail(e);
    return std::unexpected(e);
  }
  s.next_index += entries.size();
  Status applied = tx ? (*tx)->commit() : Status(std::unexpected(tx.error()));
  if (!applied) {
    s.fail(applied.error());
    return std::unexpected(with_context(applied.error(), "stations are logged but the index update failed"));
  }
  return out;
}

Result<uint64_t> Ingestor::add_declaration(election::Declaration d) {
  State& s = *s_;
  std::lock_guard lock(s.mu);
  TL_TRY(s.check_usable());
  TL_TRY(join_log(s));
  TL_TRY(join_index(s));
  if (d.submitted_at.empty()) d.submitted_at = format_rfc3339(s.options.clock->now());
  // As for sheets: a declaration naming no contest is this ingestor's; one naming another is refused.
  if (d.contest.empty() || (s.contest.empty() && d.contest == election().contest)) d.contest = s.contest;
  if (d.contest != s.contest)
    return err(ErrorCode::kInvalidArgument, "contest: \"" + d.contest + "\" is not the contest being declared for (\"" +
                                                s.contest + "\")");
  // Areas of the registry by depth (1 = first level): read once for this call.
  std::set<std::pair<int, std::string>> areas;
  TL_TRY(s.index->for_each_station([&](const election::Station& st) {
    for (size_t i = 0; i < st.areas.size(); ++i) areas.emplace(int(i) + 1, st.areas[i].code);
  }));
  TL_TRY(election::validate_declaration(d, election(), [&](int depth, std::string_view code) {
    return areas.contains({depth, std::string(code)});
  }));
  const std::string entry = election::encode_entry(d);
  const uint64_t expected = s.next_index;
  // As for stations: the transaction is built first and committed only once the append is durable.
  TL_ASSIGN_OR_RETURN(auto tx, s.index->begin());
  if (tx->next_index() != expected)
    return err(ErrorCode::kInternal, "index is at " + std::to_string(tx->next_index()) + ", log at " +
                                         std::to_string(expected));
  TL_TRY(s.deriver->write_declaration(*tx, d, entry));
  TL_TRY(s.deriver->finish(*tx));
  std::string entries[1] = {entry};
  auto first = s.log->append_batch(entries);
  if (!first) {
    s.fail(first.error());
    return std::unexpected(first.error());  // `tx` rolls back
  }
  if (*first != expected) {
    auto e = Error{ErrorCode::kInternal, "log appended at " + std::to_string(*first) + ", expected " +
                                             std::to_string(expected)};
    s.fail(e);
    return std::unexpected(e);
  }
  s.next_index += 1;
  if (auto st = tx->commit(); !st) {
    s.fail(st.error());
    return std::unexpected(with_context(st.error(), "the declaration is logged but the index update failed"));
  }
  return expected;
}

Result<uint64_t> Ingestor::add_device_record(election::DeviceRecord r) {
  State& s = *s_;
  std::lock_guard lock(s.mu);
  TL_TRY(s.check_usable());
  TL_TRY(join_log(s));
  TL_TRY(join_index(s));
  if (r.at.empty()) r.at = format_rfc3339(s.options.clock->now());
  const election::Election& e = election();
  if (e.organisations.empty())
    return err(ErrorCode::kFailedPrecondition,
               "org: the election declares no organisations ([[organisations]]), so no device can be enrolled");
  if (auto no = s.devices.check(e, r)) return err(ErrorCode::kInvalidArgument, no->field + ": " + no->reason);
  const std::string entry = election::encode_entry(r);
  const uint64_t expected = s.next_index;
  TL_ASSIGN_OR_RETURN(auto tx, s.index->begin());
  if (tx->next_index() != expected)
    return err(ErrorCode::kInternal, "index is at " + std::to_string(tx->next_index()) + ", log at " +
                                         std::to_string(expected));
  TL_TRY(tx->skip("a device record"));
  TL_TRY(s.deriver->finish(*tx));
  std::string entries[1] = {entry};
  auto first = s.log->append_batch(entries);
  if (!first) {
    s.fail(first.error());
    return std::unexpected(first.error());
  }
  if (*first != expected) {
    auto e2 = Error{ErrorCode::kInternal, "log appended at " + std::to_string(*first) + ", expected " +
                                              std::to_string(expected)};
    s.fail(e2);
    return std::unexpected(e2);
  }
  s.next_index += 1;
  (void)s.devices.apply(e, r, expected);  // checked above, under the same lock
  if (auto st = tx->commit(); !st) {
    s.fail(st.error());
    return std::unexpected(with_context(st.error(), "the device record is logged but the index update failed"));
  }
  return expected;
}

const election::DeviceRegistry& Ingestor::devices() const { return s_->devices; }

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
  const election::Election& e = s.validator->election();
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
  TL_TRY(s.check_usable());
  const bool deferred = owned != nullptr;
  // A synchronous batch needs the log and the index to itself; a deferred one queues behind.
  if (!deferred) {
    TL_TRY(join_log(s));
    TL_TRY(join_index(s));
  } else if (s.index_task.valid() && s.index_task.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    TL_TRY(join_index(s));
  }
  Deriver& deriver = *s.deriver;
  const index::SheetLedger& ledger = deriver.ledger();
  std::vector<Outcome> out(sheets.size());
  auto job = std::make_shared<IndexJob>(s.jobs);
  job->before_commit = s.options.before_index_commit;
  job->after_commit = s.options.after_index_commit;
  job->entries.reserve(sheets.size());
  job->logged.reserve(sheets.size());
  job->accepted.reserve(sheets.size());
  std::vector<index::Reject> rejects;
  const std::string now = format_rfc3339(s.options.clock->now());
  auto t_check = std::chrono::steady_clock::now();
  election::Station probe;
  for (size_t i = 0; i < sheets.size(); ++i) {
    election::Sheet& sh = sheets[i];
    if (sh.submitted_at.empty()) sh.submitted_at = now;
    // A station of the registry (a sheet may name one the ledger knows only from sheets).
    const auto found = ledger.find_station(sh.station);
    const bool registered = found && ledger.is_registered(*found);
    const index::SheetLedger::StationId id = found.value_or(0);
    const election::Station* station = nullptr;
    if (registered) {
      probe.code = sh.station;
      probe.registered = ledger.registered_voters(id);
      station = &probe;
    }
    Outcome& o = out[i];
    std::vector<election::RuleFailure> flags;
    // A sheet naming no contest is this ingestor's; a single-contest election's own contest name
    // means the same (its sheets carry no tag, so their entries keep their bytes).
    if (sh.contest.empty() || (s.contest.empty() && sh.contest == s.validator->election().contest))
      sh.contest = s.contest;
    if (sh.contest != s.contest) {
      o = rejected("contest", s.contest.empty()
                                  ? "\"" + sh.contest + "\" is not a contest of this election (it has one, \"" +
                                        s.validator->election().contest + "\")"
                                  : "\"" + sh.contest + "\" is not the contest being submitted to (\"" + s.contest +
                                        "\"); send each contest's sheets with its --contest");
    } else if (auto r = s.validator->validate_sheet(sh, station, &flags)) {
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
        }
      }
    }
    if (o.verdict == Verdict::kRejected)
      rejects.push_back(index::Reject{sh.source, i < origins.size() ? origins[i] : std::string(), o.field,
                                      o.reason, now});
  }
  if (!rejects.empty()) TL_TRY(s.index->add_rejects(rejects));
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
        chain_index_commit(*s.index, deriver, job, std::move(s.index_task), log_durable.get_future().share());
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
    done.set_value(build_and_commit(*s.index, deriver, *job, nullptr));
    s.index_task = done.get_future();
  }
  TL_TRY(join_index(s));
  return out;
}

Result<Outcome> Ingestor::submit(election::Sheet sheet, std::string origin) {
  std::string origins[1] = {std::move(origin)};
  TL_ASSIGN_OR_RETURN(auto out, submit_batch(std::span<election::Sheet>(&sheet, 1), origins));
  return out.front();
}

}  // namespace tallylog::ingest
