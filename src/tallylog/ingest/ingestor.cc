#include "tallylog/ingest/ingestor.h"

#include <array>
#include <chrono>
#include <future>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "tallylog/election/entry.h"
#include "tallylog/election/validate.h"
#include "tallylog/index/sqlite_index.h"

namespace tallylog::ingest {
namespace {

using Digest = std::array<char, 32>;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Digest to_digest(std::string_view s) {
  Digest d{};
  std::memcpy(d.data(), s.data(), std::min(s.size(), d.size()));
  return d;
}

struct SheetRef {
  uint64_t log_index = 0;
  uint32_t source = 0;
  bool superseded = false;
  Digest digest{};   // identity: equal digests = identical resubmission
  Digest content{};  // what it says, ignoring supersedes: differing contents = conflict
};

struct StationState {
  uint64_t registered = 0;
  std::vector<SheetRef> sheets;
};

Outcome rejected(std::string field, std::string reason) {
  Outcome o;
  o.verdict = Verdict::kRejected;
  o.field = std::move(field);
  o.reason = std::move(reason);
  return o;
}

}  // namespace

struct Ingestor::State {
  IngestorOptions options;
  std::string data_dir;
  std::unique_ptr<log::Log> log;
  std::unique_ptr<index::SqliteIndex> index;
  std::optional<election::Validator> validator;
  mutable std::mutex mu;
  bool failed = false;
  std::string failure;
  uint64_t next_index = 0;
  std::unordered_map<std::string, StationState> stations;
  std::vector<std::string> sources;
  std::unordered_map<std::string, uint32_t> source_ids;
  IngestStats stats;

  uint32_t intern_source(const std::string& s) {
    auto it = source_ids.find(s);
    if (it != source_ids.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(sources.size());
    sources.push_back(s);
    source_ids.emplace(s, id);
    return id;
  }

  Status check_usable() const {
    if (failed) return err(ErrorCode::kFailedPrecondition, "ingestor stopped after an error (" + failure +
                                                               "); reopen the data directory to recover");
    return {};
  }
  void fail(const Error& e) {
    failed = true;
    failure = e.to_string();
  }
};

std::string Ingestor::default_origin(const election::Election& e) { return "tallylog/" + e.id; }

Status Ingestor::log_election(log::Log& lg, const std::string& data_dir, const election::Election& e) {
  TL_ASSIGN_OR_RETURN(auto validator, election::Validator::create(e));
  (void)validator;
  if (lg.size() != 0)
    return err(ErrorCode::kFailedPrecondition, data_dir + ": the log is not empty; the election must be entry 0");
  if (Env::posix().exists(index::index_path(data_dir)))
    return err(ErrorCode::kAlreadyExists, data_dir + " already has an index; is it already initialised?");
  std::string entry = election::encode_entry(e);
  TL_ASSIGN_OR_RETURN(uint64_t first, lg.append(entry));
  if (first != 0) return err(ErrorCode::kInternal, "the election entry was logged at " + std::to_string(first));
  TL_ASSIGN_OR_RETURN(auto idx, index::SqliteIndex::open(data_dir));
  TL_ASSIGN_OR_RETURN(auto batch, idx->begin_batch());
  TL_TRY(batch.election(e, entry));
  return batch.commit();
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

Result<std::unique_ptr<Ingestor>> Ingestor::open(const std::string& data_dir, const IngestorOptions& options) {
  std::unique_ptr<Ingestor> ing(new Ingestor());
  ing->s_ = std::make_unique<State>();
  State& s = *ing->s_;
  s.options = options;
  s.data_dir = data_dir;
  log::OpenOptions oo;
  oo.env = options.env;
  TL_ASSIGN_OR_RETURN(s.log, log::Log::open(data_dir, oo));
  TL_ASSIGN_OR_RETURN(s.index, index::SqliteIndex::open(data_dir));
  TL_TRY(s.index->catch_up(*s.log, s.log->size(), options.catch_up_progress));
  TL_ASSIGN_OR_RETURN(s.next_index, s.index->indexed_size());
  TL_ASSIGN_OR_RETURN(auto el, s.index->election());
  TL_ASSIGN_OR_RETURN(auto v, election::Validator::create(std::move(el)));
  s.validator.emplace(std::move(v));
  TL_TRY(s.index->for_each_station_brief([&](std::string_view code, uint64_t registered) {
    s.stations[std::string(code)].registered = registered;
  }));
  TL_TRY(s.index->for_each_sheet_summary([&](const index::SheetSummary& sum) {
    auto it = s.stations.find(sum.station);
    if (it == s.stations.end()) it = s.stations.emplace(sum.station, StationState{}).first;
    it->second.sheets.push_back(SheetRef{sum.log_index, s.intern_source(sum.source), sum.superseded,
                                         to_digest(sum.identity_digest), to_digest(sum.content_digest)});
  }));
  return ing;
}

Ingestor::~Ingestor() {
  if (s_ && s_->log) (void)s_->log->close();
}

const election::Election& Ingestor::election() const { return s_->validator->election(); }
log::LogReader& Ingestor::log() { return *s_->log; }
index::IndexReader& Ingestor::index() { return *s_->index; }
index::SqliteIndex& Ingestor::sqlite_index() { return *s_->index; }

Status Ingestor::close() {
  std::lock_guard lock(s_->mu);
  if (!s_->log) return {};
  auto st = s_->log->close();
  s_->failed = true;
  s_->failure = "closed";
  return st;
}

IngestStats Ingestor::stats() const {
  std::lock_guard lock(s_->mu);
  return s_->stats;
}

Status Ingestor::record_rejects(std::span<const index::Reject> rejects) {
  return s_->index->add_rejects(rejects);
}

Result<std::vector<Outcome>> Ingestor::add_stations(std::span<const election::Station> stations) {
  State& s = *s_;
  std::lock_guard lock(s.mu);
  TL_TRY(s.check_usable());
  std::vector<Outcome> out(stations.size());
  std::vector<std::string> entries;
  std::vector<size_t> logged;
  std::unordered_map<std::string, size_t> pending;  // code -> position in `stations`
  std::vector<index::Reject> rejects;
  const std::string now = format_rfc3339(s.options.clock->now());
  for (size_t i = 0; i < stations.size(); ++i) {
    const election::Station& st = stations[i];
    if (auto r = s.validator->validate_station(st)) {
      out[i] = rejected(r->field, r->reason);
    } else if (auto p = pending.find(st.code); p != pending.end()) {
      const election::Station& other = stations[p->second];
      if (other.areas.size() == st.areas.size() && other.registered == st.registered &&
          election::encode_entry(other) == election::encode_entry(st)) {
        out[i].verdict = Verdict::kDuplicate;
        out[i].log_index = out[p->second].log_index;
      } else {
        out[i] = rejected("code", "station " + st.code + " appears twice with different data");
      }
    } else if (s.stations.contains(st.code)) {
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
    }
    if (out[i].verdict == Verdict::kRejected)
      rejects.push_back(index::Reject{"registry", st.code, out[i].field, out[i].reason, now});
  }
  if (!rejects.empty()) TL_TRY(s.index->add_rejects(rejects));
  if (entries.empty()) return out;
  auto first = s.log->append_batch(entries);
  if (!first) {
    s.fail(first.error());
    return std::unexpected(first.error());
  }
  if (*first != s.next_index) {
    auto e = Error{ErrorCode::kInternal, "log appended at " + std::to_string(*first) + ", expected " +
                                             std::to_string(s.next_index)};
    s.fail(e);
    return std::unexpected(e);
  }
  s.next_index += entries.size();
  for (size_t i : logged) s.stations[stations[i].code].registered = stations[i].registered;
  auto applied = [&]() -> Status {
    TL_ASSIGN_OR_RETURN(auto batch, s.index->begin_batch());
    if (batch.next_index() != *first)
      return err(ErrorCode::kInternal, "index is at " + std::to_string(batch.next_index()) + ", batch at " +
                                           std::to_string(*first));
    for (size_t i : logged) TL_TRY(batch.station(stations[i]));
    return batch.commit();
  }();
  if (!applied) {
    s.fail(applied.error());
    return std::unexpected(with_context(applied.error(), "stations are logged but the index update failed"));
  }
  return out;
}

Result<std::vector<Outcome>> Ingestor::submit_batch(std::span<election::Sheet> sheets,
                                                    std::span<const std::string> origins) {
  State& s = *s_;
  std::lock_guard lock(s.mu);
  TL_TRY(s.check_usable());
  std::vector<Outcome> out(sheets.size());
  std::string entries_buf;
  std::vector<std::string> entries;
  std::vector<size_t> logged;
  std::vector<std::string> digests;
  std::vector<index::Reject> rejects;
  const std::string now = format_rfc3339(s.options.clock->now());
  auto t_check = std::chrono::steady_clock::now();
  election::Station probe;
  for (size_t i = 0; i < sheets.size(); ++i) {
    election::Sheet& sh = sheets[i];
    if (sh.submitted_at.empty()) sh.submitted_at = now;
    auto it = s.stations.find(sh.station);
    const election::Station* station = nullptr;
    if (it != s.stations.end()) {
      probe.code = sh.station;
      probe.registered = it->second.registered;
      station = &probe;
    }
    Outcome& o = out[i];
    if (auto r = s.validator->validate_sheet(sh, station)) {
      o = rejected(r->field, r->reason);
    } else {
      std::string digest = election::sheet_identity_digest(sh);
      Digest d = to_digest(digest);
      uint32_t src = s.intern_source(sh.source);
      if (it == s.stations.end()) return err(ErrorCode::kInternal, "validated sheet of unknown station " + sh.station);
      auto& refs = it->second.sheets;
      const SheetRef* dup = nullptr;
      for (const auto& ref : refs)
        if (ref.source == src && ref.digest == d) {
          dup = &ref;
          break;
        }
      if (dup) {
        o.verdict = Verdict::kDuplicate;
        o.log_index = dup->log_index;
      } else {
        SheetRef* replaced = nullptr;
        if (sh.supersedes) {
          for (auto& ref : refs)
            if (ref.log_index == *sh.supersedes) replaced = &ref;
          if (!replaced)
            o = rejected("supersedes", "log index " + std::to_string(*sh.supersedes) + " is not a sheet of station " +
                                           sh.station);
          else if (replaced->superseded)
            o = rejected("supersedes", "the sheet at log index " + std::to_string(*sh.supersedes) +
                                           " is already superseded");
        }
        if (o.field.empty()) {
          const uint64_t idx = s.next_index + entries.size();
          if (replaced) replaced->superseded = true;
          o.verdict = Verdict::kAccepted;
          o.log_index = idx;
          const Digest content = sh.supersedes ? to_digest(index::sheet_content_digest(sh, digest)) : d;
          for (const auto& ref : refs)
            if (ref.source == src && !ref.superseded && ref.content != content) {
              o.verdict = Verdict::kConflict;
              o.conflicts_with = ref.log_index;
              break;
            }
          refs.push_back(SheetRef{idx, src, false, d, content});
          entries_buf.clear();
          election::append_sheet_entry(sh, entries_buf);
          entries.push_back(entries_buf);
          digests.push_back(std::move(digest));
          logged.push_back(i);
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
  if (entries.empty()) return out;
  // The index transaction is built while the log append runs (on another thread) and committed
  // only once the entries are durable in the log: the index never holds what the log does not.
  const uint64_t expected_first = s.next_index;
  auto build_index = [&]() -> Result<index::SqliteIndex::WriteBatch> {
    auto t_index = std::chrono::steady_clock::now();
    TL_ASSIGN_OR_RETURN(auto batch, s.index->begin_batch());
    if (batch.next_index() != expected_first)
      return err(ErrorCode::kInternal, "index is at " + std::to_string(batch.next_index()) + ", batch at " +
                                           std::to_string(expected_first));
    for (size_t k = 0; k < logged.size(); ++k) TL_TRY(batch.sheet(sheets[logged[k]], entries[k], digests[k]));
    s.stats.index_seconds += seconds_since(t_index);
    return batch;
  };
  std::future<Result<index::SqliteIndex::WriteBatch>> index_future;
  const bool overlap = entries.size() >= 256;  // a thread is not worth it for a few sheets
  if (overlap) index_future = std::async(std::launch::async, build_index);
  auto t_log = std::chrono::steady_clock::now();
  auto first = s.log->append_batch(entries);
  s.stats.log_seconds += seconds_since(t_log);
  // Wait for the index thread in every case: it uses `entries` and `sheets`.
  Result<index::SqliteIndex::WriteBatch> batch = overlap ? index_future.get() : build_index();
  if (!first) {
    s.fail(first.error());
    return std::unexpected(first.error());  // `batch` rolls back
  }
  if (*first != expected_first) {
    auto e = Error{ErrorCode::kInternal, "log appended at " + std::to_string(*first) + ", expected " +
                                             std::to_string(expected_first)};
    s.fail(e);
    return std::unexpected(e);
  }
  s.next_index += entries.size();
  s.stats.logged += entries.size();
  Status applied = batch ? batch->commit() : Status(std::unexpected(batch.error()));
  if (!applied) {
    s.fail(applied.error());
    return std::unexpected(with_context(applied.error(), "sheets are logged but the index update failed"));
  }
  return out;
}

Result<Outcome> Ingestor::submit(election::Sheet sheet, std::string origin) {
  std::string origins[1] = {std::move(origin)};
  TL_ASSIGN_OR_RETURN(auto out, submit_batch(std::span<election::Sheet>(&sheet, 1), origins));
  return out.front();
}

}  // namespace tallylog::ingest
