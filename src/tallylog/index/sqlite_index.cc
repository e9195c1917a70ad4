#include "tallylog/index/sqlite_index.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "tallylog/base/clock.h"
#include "tallylog/base/env.h"
#include "tallylog/election/entry.h"

namespace tallylog::index {
namespace {

constexpr int kSchemaVersion = 1;
constexpr uint64_t kCatchUpChunk = 4096;

const char* kIndexSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS election(log_index INTEGER PRIMARY KEY, id TEXT NOT NULL, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stations(
  code TEXT PRIMARY KEY, log_index INTEGER NOT NULL, registered INTEGER NOT NULL,
  areas TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sheets(
  log_index INTEGER PRIMARY KEY, station TEXT NOT NULL, source TEXT NOT NULL, identity BLOB NOT NULL,
  content BLOB NOT NULL,
  supersedes INTEGER, superseded_by INTEGER, conflicted INTEGER NOT NULL, entry TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sheets_by_station ON sheets(station, source, log_index);
CREATE TABLE IF NOT EXISTS skipped(log_index INTEGER PRIMARY KEY, reason TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES('indexed_size', 0);
)sql";

const char* kRejectsSchema = R"sql(
CREATE TABLE IF NOT EXISTS rejects(
  id INTEGER PRIMARY KEY, source TEXT NOT NULL, origin TEXT NOT NULL, field TEXT NOT NULL,
  reason TEXT NOT NULL, at TEXT NOT NULL);
)sql";

Error db_error(sqlite3* db, std::string_view what) {
  return Error{ErrorCode::kIo, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory")};
}

// A prepared statement; reset on each use.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() {
    if (s_) sqlite3_finalize(s_);
  }
  Status prepare(sqlite3* db, const char* sql) {
    db_ = db;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
      return std::unexpected(db_error(db, std::string("prepare ") + sql));
    return {};
  }
  Stmt& reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, std::string_view v) {
    // A default string_view has a null data(), which SQLite would bind as NULL, not ''.
    sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  // True while a row is available.
  Result<bool> step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(db_error(db_, "step"));
  }
  Status run() {
    TL_ASSIGN_OR_RETURN(bool row, step());
    (void)row;
    sqlite3_reset(s_);
    return {};
  }
  int64_t i64(int col) { return sqlite3_column_int64(s_, col); }
  bool is_null(int col) { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string_view text(int col) {
    const unsigned char* p = sqlite3_column_text(s_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : std::string_view();
  }
  std::string_view blob(int col) {
    const void* p = sqlite3_column_blob(s_, col);
    return p ? std::string_view(static_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : std::string_view();
  }
  sqlite3_stmt* raw() { return s_; }
  void finalize() {
    if (s_) sqlite3_finalize(s_);
    s_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

Status exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return err(ErrorCode::kIo, std::string("sqlite: ") + m);
  }
  return {};
}

Result<sqlite3*> open_db(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Error e = db_error(db, "open " + path);
    sqlite3_close(db);
    return std::unexpected(e);
  }
  sqlite3_busy_timeout(db, 10000);
  auto s = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;");
  if (!s) {
    sqlite3_close(db);
    return std::unexpected(with_context(s.error(), path));
  }
  return db;
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string encode_areas(const std::vector<election::AreaRef>& areas) {
  std::string out = "[";
  for (size_t i = 0; i < areas.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    append_json_string(out, areas[i].code);
    out.push_back(',');
    append_json_string(out, areas[i].name);
    out.push_back(']');
  }
  out.push_back(']');
  return out;
}

Result<std::vector<election::AreaRef>> decode_areas(std::string_view text, std::string_view code) {
  std::vector<election::AreaRef> out;
  try {
    auto j = nlohmann::json::parse(text);
    for (const auto& a : j) out.push_back({a.at(0).get<std::string>(), a.at(1).get<std::string>()});
  } catch (const std::exception& e) {
    return err(ErrorCode::kCorrupt, "index: station " + std::string(code) + ": bad areas: " + e.what());
  }
  return out;
}

}  // namespace

struct SqliteIndex::Impl {
  sqlite3* w = nullptr;  // writer connection
  sqlite3* r = nullptr;  // reader connection
  sqlite3* rej = nullptr;
  std::mutex wmu;
  std::recursive_mutex rmu;
  std::mutex rejmu;
  uint64_t indexed = 0;
  bool batch_open = false;

  // writer statements
  Stmt begin, commit, rollback, set_size, ins_election, ins_station, ins_sheet, count_group, distinct_group, mark_group,
      supersede, sheet_group, ins_skipped;
  // reader statements
  Stmt r_size, r_station, r_station_count, r_sheet_at, r_election;
  // rejects
  Stmt ins_reject;

  ~Impl() {
    // Statements must be finalized before their connections close.
    for (Stmt* s : {&begin, &commit, &rollback, &set_size, &ins_election, &ins_station, &ins_sheet, &count_group, &distinct_group,
                    &mark_group, &supersede, &sheet_group, &ins_skipped, &r_size, &r_station, &r_station_count,
                    &r_sheet_at, &r_election, &ins_reject})
      s->finalize();
    if (w) sqlite3_close_v2(w);
    if (r) sqlite3_close_v2(r);
    if (rej) sqlite3_close_v2(rej);
  }

  Status recompute_group(std::string_view station, std::string_view source) {
    distinct_group.reset().bind(1, station).bind(2, source);
    TL_ASSIGN_OR_RETURN(bool row, distinct_group.step());
    int64_t n = row ? distinct_group.i64(0) : 0;
    distinct_group.reset();
    return mark_group.reset().bind(1, n > 1 ? 1 : 0).bind(2, station).bind(3, source).run();
  }
  Result<SheetRecord> read_sheet_row(Stmt& s) {
    // columns: log_index, superseded_by, conflicted, entry
    SheetRecord rec;
    rec.log_index = static_cast<uint64_t>(s.i64(0));
    rec.superseded = !s.is_null(1);
    rec.conflicted = s.i64(2) != 0;
    auto e = election::decode_entry(s.text(3));
    if (!e) return std::unexpected(with_context(e.error(), "index: sheet at log index " + std::to_string(rec.log_index)));
    auto* sheet = std::get_if<election::Sheet>(&e->record);
    if (!sheet)
      return err(ErrorCode::kCorrupt, "index: entry at log index " + std::to_string(rec.log_index) + " is not a sheet");
    rec.sheet = std::move(*sheet);
    return rec;
  }
};

std::string sheet_content_digest(const election::Sheet& sheet, std::string_view identity_digest) {
  if (!sheet.supersedes) return std::string(identity_digest);
  election::Sheet copy = sheet;
  copy.supersedes.reset();
  return election::sheet_identity_digest(copy);
}

std::string index_path(std::string_view data_dir) { return join_path(data_dir, "index.sqlite"); }
std::string rejects_path(std::string_view data_dir) { return join_path(data_dir, "rejects.sqlite"); }

SqliteIndex::SqliteIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteIndex::~SqliteIndex() = default;

Result<std::unique_ptr<SqliteIndex>> SqliteIndex::open(const std::string& data_dir) {
  auto impl = std::make_unique<Impl>();
  std::string path = index_path(data_dir);
  TL_ASSIGN_OR_RETURN(impl->w, open_db(path));
  TL_TRY(exec(impl->w, kIndexSchema));
  TL_ASSIGN_OR_RETURN(impl->r, open_db(path));
  TL_ASSIGN_OR_RETURN(impl->rej, open_db(rejects_path(data_dir)));
  TL_TRY(exec(impl->rej, kRejectsSchema));
  {
    Stmt v;
    TL_TRY(v.prepare(impl->w, "SELECT value FROM meta WHERE key='schema_version'"));
    TL_ASSIGN_OR_RETURN(bool row, v.step());
    if (!row) {
      TL_TRY(exec(impl->w, ("INSERT INTO meta(key, value) VALUES('schema_version', " + std::to_string(kSchemaVersion) +
                            ")").c_str()));
    } else if (v.i64(0) != kSchemaVersion) {
      return err(ErrorCode::kFailedPrecondition, path + ": index schema version " + std::to_string(v.i64(0)) +
                                                     " is not " + std::to_string(kSchemaVersion) +
                                                     "; run `tallylog reindex`");
    }
  }
  Impl& m = *impl;
  TL_TRY(m.begin.prepare(m.w, "BEGIN IMMEDIATE"));
  TL_TRY(m.commit.prepare(m.w, "COMMIT"));
  TL_TRY(m.rollback.prepare(m.w, "ROLLBACK"));
  TL_TRY(m.set_size.prepare(m.w, "UPDATE meta SET value=?1 WHERE key='indexed_size'"));
  TL_TRY(m.ins_election.prepare(m.w, "INSERT OR REPLACE INTO election(log_index, id, entry) VALUES(?1, ?2, ?3)"));
  TL_TRY(m.ins_station.prepare(
      m.w, "INSERT OR REPLACE INTO stations(code, log_index, registered, areas) VALUES(?1, ?2, ?3, ?4)"));
  TL_TRY(m.ins_sheet.prepare(m.w,
                             "INSERT INTO sheets(log_index, station, source, identity, content, supersedes, superseded_by, "
                             "conflicted, entry) VALUES(?1, ?2, ?3, ?4, ?8, ?5, NULL, ?6, ?7)"));
  TL_TRY(m.count_group.prepare(m.w,
                               "SELECT count(*) FROM sheets WHERE station=?1 AND source=?2 AND superseded_by IS NULL "
                               "AND content!=?3"));
  TL_TRY(m.distinct_group.prepare(
      m.w, "SELECT count(DISTINCT content) FROM sheets WHERE station=?1 AND source=?2 AND superseded_by IS NULL"));
  TL_TRY(m.mark_group.prepare(
      m.w, "UPDATE sheets SET conflicted=?1 WHERE station=?2 AND source=?3 AND superseded_by IS NULL"));
  TL_TRY(m.supersede.prepare(
      m.w, "UPDATE sheets SET superseded_by=?1, conflicted=0 WHERE log_index=?2 AND superseded_by IS NULL"));
  TL_TRY(m.sheet_group.prepare(m.w, "SELECT station, source FROM sheets WHERE log_index=?1"));
  TL_TRY(m.ins_skipped.prepare(m.w, "INSERT OR REPLACE INTO skipped(log_index, reason) VALUES(?1, ?2)"));
  TL_TRY(m.r_size.prepare(m.r, "SELECT value FROM meta WHERE key='indexed_size'"));
  TL_TRY(m.r_station.prepare(m.r, "SELECT code, registered, areas FROM stations WHERE code=?1"));
  TL_TRY(m.r_station_count.prepare(m.r, "SELECT count(*) FROM stations"));
  TL_TRY(m.r_sheet_at.prepare(
      m.r, "SELECT log_index, superseded_by, conflicted, entry FROM sheets WHERE log_index=?1"));
  TL_TRY(m.r_election.prepare(m.r, "SELECT entry FROM election ORDER BY log_index LIMIT 1"));
  TL_TRY(m.ins_reject.prepare(
      m.rej, "INSERT INTO rejects(source, origin, field, reason, at) VALUES(?1, ?2, ?3, ?4, ?5)"));
  std::unique_ptr<SqliteIndex> idx(new SqliteIndex(std::move(impl)));
  TL_ASSIGN_OR_RETURN(idx->impl_->indexed, idx->indexed_size());
  return idx;
}

Result<std::unique_ptr<SqliteIndex>> SqliteIndex::rebuild(const std::string& data_dir, const log::LogReader& log,
                                                          const std::function<void(uint64_t, uint64_t)>& progress) {
  Env& env = Env::posix();
  std::string path = index_path(data_dir);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) TL_TRY(env.remove_file(path + suffix));
  TL_ASSIGN_OR_RETURN(auto idx, open(data_dir));
  TL_TRY(idx->catch_up(log, UINT64_MAX, progress));
  return idx;
}

Status SqliteIndex::catch_up(const log::LogReader& log, uint64_t end,
                             const std::function<void(uint64_t, uint64_t)>& progress) {
  if (end == UINT64_MAX) end = log.size();
  uint64_t start = impl_->indexed;
  if (start > end) {
    return err(ErrorCode::kFailedPrecondition, "index has " + std::to_string(start) + " entries but the log only " +
                                                   std::to_string(end) + "; run `tallylog reindex`");
  }
  while (impl_->indexed < end) {
    uint64_t chunk_end = std::min(end, impl_->indexed + kCatchUpChunk);
    TL_ASSIGN_OR_RETURN(WriteBatch batch, begin_batch());
    TL_TRY(log.for_each_entry(impl_->indexed, chunk_end,
                              [&](uint64_t, std::string_view entry) { return apply_entry(batch, entry); }));
    TL_TRY(batch.commit());
    if (progress) progress(impl_->indexed - start, end - start);
  }
  return {};
}

Status SqliteIndex::apply_entry(WriteBatch& batch, std::string_view entry) {
  if (!election::is_record_entry(entry)) return batch.skip("not a record entry");
  auto e = election::decode_entry(entry);
  if (!e) return batch.skip(e.error().to_string());
  switch (e->type) {
    case election::EntryType::kElection:
      return batch.election(std::get<election::Election>(e->record), entry);
    case election::EntryType::kStation:
      return batch.station(std::get<election::Station>(e->record));
    case election::EntryType::kSheet: {
      const auto& sheet = std::get<election::Sheet>(e->record);
      return batch.sheet(sheet, entry, election::sheet_identity_digest(sheet));
    }
  }
  return batch.skip("unknown entry type");
}

Result<SqliteIndex::WriteBatch> SqliteIndex::begin_batch() {
  std::lock_guard lock(impl_->wmu);
  if (impl_->batch_open) return err(ErrorCode::kInternal, "index: a write batch is already open");
  TL_TRY(impl_->begin.reset().run());
  impl_->batch_open = true;
  return WriteBatch(this, impl_->indexed);
}

SqliteIndex::WriteBatch::WriteBatch(WriteBatch&& o) noexcept : index_(o.index_), next_(o.next_), done_(o.done_) {
  o.done_ = true;
}

SqliteIndex::WriteBatch::~WriteBatch() {
  if (done_) return;
  std::lock_guard lock(index_->impl_->wmu);
  (void)index_->impl_->rollback.reset().run();
  index_->impl_->batch_open = false;
}

Status SqliteIndex::WriteBatch::election(const election::Election& e, std::string_view entry) {
  auto& m = *index_->impl_;
  TL_TRY(m.ins_election.reset().bind(1, static_cast<int64_t>(next_)).bind(2, e.id).bind(3, entry).run());
  ++next_;
  return {};
}

Status SqliteIndex::WriteBatch::station(const election::Station& s) {
  auto& m = *index_->impl_;
  std::string areas = encode_areas(s.areas);
  TL_TRY(m.ins_station.reset()
             .bind(1, s.code)
             .bind(2, static_cast<int64_t>(next_))
             .bind(3, static_cast<int64_t>(s.registered))
             .bind(4, areas)
             .run());
  ++next_;
  return {};
}

Status SqliteIndex::WriteBatch::sheet(const election::Sheet& s, std::string_view entry,
                                      std::string_view identity_digest, std::optional<bool> differs) {
  auto& m = *index_->impl_;
  const int64_t idx = static_cast<int64_t>(next_);
  const std::string content = sheet_content_digest(s, identity_digest);
  std::string old_station, old_source;
  bool superseded_other_group = false;
  if (s.supersedes) {
    m.sheet_group.reset().bind(1, static_cast<int64_t>(*s.supersedes));
    TL_ASSIGN_OR_RETURN(bool row, m.sheet_group.step());
    if (row) {
      old_station = m.sheet_group.text(0);
      old_source = m.sheet_group.text(1);
      superseded_other_group = old_station != s.station || old_source != s.source;
    }
    m.sheet_group.reset();
    TL_TRY(m.supersede.reset().bind(1, idx).bind(2, static_cast<int64_t>(*s.supersedes)).run());
  }
  int64_t differing = 0;
  if (differs && !s.supersedes) {
    differing = *differs ? 1 : 0;
  } else {
    m.count_group.reset().bind(1, s.station).bind(2, s.source).bind_blob(3, content);
    TL_ASSIGN_OR_RETURN(bool row, m.count_group.step());
    differing = row ? m.count_group.i64(0) : 0;
    m.count_group.reset();
  }
  m.ins_sheet.reset()
      .bind(1, idx)
      .bind(2, s.station)
      .bind(3, s.source)
      .bind_blob(4, identity_digest)
      .bind(6, differing > 0 ? 1 : 0)
      .bind(7, entry)
      .bind_blob(8, content);
  if (s.supersedes) {
    m.ins_sheet.bind(5, static_cast<int64_t>(*s.supersedes));
  } else {
    m.ins_sheet.bind_null(5);
  }
  TL_TRY(m.ins_sheet.run());
  if (s.supersedes) {
    TL_TRY(m.recompute_group(s.station, s.source));
    if (superseded_other_group) TL_TRY(m.recompute_group(old_station, old_source));
  } else if (differing > 0) {
    TL_TRY(m.mark_group.reset().bind(1, 1).bind(2, s.station).bind(3, s.source).run());
  }
  ++next_;
  return {};
}

Status SqliteIndex::WriteBatch::skip(std::string_view why) {
  auto& m = *index_->impl_;
  TL_TRY(m.ins_skipped.reset().bind(1, static_cast<int64_t>(next_)).bind(2, why).run());
  ++next_;
  return {};
}

Status SqliteIndex::WriteBatch::commit() {
  auto& m = *index_->impl_;
  std::lock_guard lock(m.wmu);
  TL_TRY(m.set_size.reset().bind(1, static_cast<int64_t>(next_)).run());
  TL_TRY(m.commit.reset().run());
  m.indexed = next_;
  m.batch_open = false;
  done_ = true;
  return {};
}

Status SqliteIndex::add_rejects(std::span<const Reject> rejects) {
  std::lock_guard lock(impl_->rejmu);
  TL_TRY(exec(impl_->rej, "BEGIN IMMEDIATE"));
  for (const auto& r : rejects) {
    auto s = impl_->ins_reject.reset().bind(1, r.source).bind(2, r.origin).bind(3, r.field).bind(4, r.reason)
                 .bind(5, r.at).run();
    if (!s) {
      (void)exec(impl_->rej, "ROLLBACK");
      return s;
    }
  }
  return exec(impl_->rej, "COMMIT");
}

Status SqliteIndex::for_each_sheet_summary(const std::function<void(const SheetSummary&)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT log_index, station, source, identity, superseded_by, content FROM sheets ORDER BY log_index"));
  SheetSummary sum;
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    sum.log_index = static_cast<uint64_t>(s.i64(0));
    sum.station = s.text(1);
    sum.source = s.text(2);
    sum.identity_digest = s.blob(3);
    sum.superseded = !s.is_null(4);
    sum.content_digest = s.blob(5);
    fn(sum);
  }
  return {};
}

Status SqliteIndex::for_each_station_brief(const std::function<void(std::string_view, uint64_t)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT code, registered FROM stations"));
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    fn(s.text(0), static_cast<uint64_t>(s.i64(1)));
  }
  return {};
}

Result<std::string> SqliteIndex::dump() {
  std::lock_guard lock(impl_->rmu);
  std::string out;
  const char* queries[] = {
      "SELECT 'meta', key, value FROM meta ORDER BY key",
      "SELECT 'election', log_index, id, entry FROM election ORDER BY log_index",
      "SELECT 'station', code, log_index, registered, areas FROM stations ORDER BY code",
      "SELECT 'sheet', log_index, station, source, hex(identity), hex(content), supersedes, superseded_by, "
      "conflicted, entry "
      "FROM sheets ORDER BY log_index",
      "SELECT 'skipped', log_index, reason FROM skipped ORDER BY log_index",
  };
  for (const char* q : queries) {
    Stmt s;
    TL_TRY(s.prepare(impl_->r, q));
    while (true) {
      TL_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      int n = sqlite3_column_count(s.raw());
      for (int i = 0; i < n; ++i) {
        if (i) out.push_back('|');
        out += s.is_null(i) ? std::string_view("NULL") : s.text(i);
      }
      out.push_back('\n');
    }
  }
  return out;
}

Result<uint64_t> SqliteIndex::indexed_size() {
  std::lock_guard lock(impl_->rmu);
  auto& s = impl_->r_size.reset();
  TL_ASSIGN_OR_RETURN(bool row, s.step());
  uint64_t v = row ? static_cast<uint64_t>(s.i64(0)) : 0;
  s.reset();
  return v;
}

Result<election::Election> SqliteIndex::election() {
  std::lock_guard lock(impl_->rmu);
  auto& s = impl_->r_election.reset();
  TL_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return err(ErrorCode::kFailedPrecondition, "index: no election record (is the log initialised?)");
  auto e = election::decode_entry(s.text(0));
  s.reset();
  if (!e) return std::unexpected(with_context(e.error(), "index: election entry"));
  auto* el = std::get_if<election::Election>(&e->record);
  if (!el) return err(ErrorCode::kCorrupt, "index: election entry is not an election");
  return std::move(*el);
}

Result<std::optional<election::Station>> SqliteIndex::station(std::string_view code) {
  std::lock_guard lock(impl_->rmu);
  auto& s = impl_->r_station.reset().bind(1, code);
  TL_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return std::optional<election::Station>();
  election::Station st;
  st.code = s.text(0);
  st.registered = static_cast<uint64_t>(s.i64(1));
  auto areas = decode_areas(s.text(2), st.code);
  s.reset();
  if (!areas) return std::unexpected(areas.error());
  st.areas = std::move(*areas);
  return std::optional<election::Station>(std::move(st));
}

Status SqliteIndex::for_each_station(const std::function<void(const election::Station&)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT code, registered, areas FROM stations ORDER BY code"));
  election::Station st;
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    st.code = s.text(0);
    st.registered = static_cast<uint64_t>(s.i64(1));
    TL_ASSIGN_OR_RETURN(st.areas, decode_areas(s.text(2), st.code));
    fn(st);
  }
  return {};
}

Result<uint64_t> SqliteIndex::station_count() {
  std::lock_guard lock(impl_->rmu);
  auto& s = impl_->r_station_count.reset();
  TL_ASSIGN_OR_RETURN(bool row, s.step());
  uint64_t n = row ? static_cast<uint64_t>(s.i64(0)) : 0;
  s.reset();
  return n;
}

Status SqliteIndex::for_each_current_sheet(std::string_view source,
                                           const std::function<void(const SheetRecord&)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  if (source.empty()) {
    TL_TRY(s.prepare(impl_->r,
                     "SELECT log_index, superseded_by, conflicted, entry FROM sheets WHERE superseded_by IS NULL "
                     "ORDER BY station, source, log_index"));
  } else {
    TL_TRY(s.prepare(impl_->r,
                     "SELECT log_index, superseded_by, conflicted, entry FROM sheets WHERE superseded_by IS NULL "
                     "AND source=?1 ORDER BY station, source, log_index"));
    s.bind(1, source);
  }
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    TL_ASSIGN_OR_RETURN(SheetRecord rec, impl_->read_sheet_row(s));
    fn(rec);
  }
  return {};
}

Result<std::vector<SheetRecord>> SqliteIndex::sheets_for_station(std::string_view station, std::string_view source) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r,
                   "SELECT log_index, superseded_by, conflicted, entry FROM sheets WHERE station=?1 AND "
                   "(?2 = '' OR source=?2) ORDER BY log_index"));
  s.bind(1, station).bind(2, source);
  std::vector<SheetRecord> out;
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    TL_ASSIGN_OR_RETURN(SheetRecord rec, impl_->read_sheet_row(s));
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::optional<SheetRecord>> SqliteIndex::sheet_at(uint64_t log_index) {
  std::lock_guard lock(impl_->rmu);
  auto& s = impl_->r_sheet_at.reset().bind(1, static_cast<int64_t>(log_index));
  TL_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return std::optional<SheetRecord>();
  auto rec = impl_->read_sheet_row(s);
  s.reset();
  if (!rec) return std::unexpected(rec.error());
  return std::optional<SheetRecord>(std::move(*rec));
}

Result<std::vector<Conflict>> SqliteIndex::conflicts() {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r,
                   "SELECT station, source, log_index FROM sheets WHERE conflicted=1 AND superseded_by IS NULL "
                   "ORDER BY station, source, log_index"));
  std::vector<Conflict> out;
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    std::string_view st = s.text(0), so = s.text(1);
    if (out.empty() || out.back().station != st || out.back().source != so)
      out.push_back(Conflict{std::string(st), std::string(so), {}});
    out.back().log_indexes.push_back(static_cast<uint64_t>(s.i64(2)));
  }
  return out;
}

Result<std::vector<std::string>> SqliteIndex::sources() {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT DISTINCT source FROM sheets ORDER BY source"));
  std::vector<std::string> out;
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    out.emplace_back(s.text(0));
  }
  return out;
}

Result<std::vector<Reject>> SqliteIndex::rejects(size_t limit) {
  std::lock_guard lock(impl_->rejmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->rej, "SELECT source, origin, field, reason, at FROM rejects ORDER BY id DESC LIMIT ?1"));
  s.bind(1, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<Reject> out;
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) break;
    out.push_back(Reject{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)),
                         std::string(s.text(3)), std::string(s.text(4))});
  }
  return out;
}

Result<uint64_t> SqliteIndex::clear_rejects() {
  std::lock_guard lock(impl_->rejmu);
  TL_TRY(exec(impl_->rej, "DELETE FROM rejects"));
  return static_cast<uint64_t>(sqlite3_changes(impl_->rej));
}

}  // namespace tallylog::index
