// The SQLite backend: schema, open, and the read side (index/reader.h). Writes are in
// sqlite_transaction.cc.
#include "tallylog/index/sqlite_index.h"

#include <algorithm>

#include "tallylog/election/entry.h"
#include "tallylog/index/area_row.h"
#include "tallylog/index/sqlite_index_impl.h"
#include "tallylog/index/station_areas.h"

namespace tallylog::index {

using sqlite::exec;
using sqlite::open_db;
using sqlite::Stmt;

namespace {

const char* kIndexSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta_text(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS election(log_index INTEGER PRIMARY KEY, id TEXT NOT NULL, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stations(
  code TEXT PRIMARY KEY, log_index INTEGER NOT NULL, registered INTEGER, areas TEXT NOT NULL,
  name TEXT NOT NULL, parent INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stations_by_parent ON stations(parent, code);
CREATE TABLE IF NOT EXISTS areas(
  id INTEGER PRIMARY KEY, depth INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, parent INTEGER,
  name_from TEXT NOT NULL, tables INTEGER NOT NULL, voters INTEGER NOT NULL, unknown INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sheets(
  log_index INTEGER PRIMARY KEY, station TEXT NOT NULL, source TEXT NOT NULL, identity BLOB NOT NULL,
  content BLOB NOT NULL, supersedes INTEGER, corrects INTEGER, superseded_by INTEGER, conflicted INTEGER NOT NULL,
  counts BLOB, counts_error TEXT);
CREATE INDEX IF NOT EXISTS sheets_by_station ON sheets(station, source, log_index);
CREATE INDEX IF NOT EXISTS sheets_conflicted ON sheets(station, source, log_index)
  WHERE conflicted = 1 AND superseded_by IS NULL;
CREATE TABLE IF NOT EXISTS entries(log_index INTEGER PRIMARY KEY, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources(name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rules(id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS area_totals(
  rule INTEGER, depth INTEGER, area INTEGER, row BLOB NOT NULL, PRIMARY KEY(rule, depth, area)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS skipped(log_index INTEGER PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS declarations(log_index INTEGER PRIMARY KEY, source TEXT NOT NULL, entry TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES('indexed_size', 0);
INSERT OR IGNORE INTO meta_text(key, value) VALUES('aggregates', '');
)sql";

const char* kRejectsSchema = R"sql(
CREATE TABLE IF NOT EXISTS rejects(
  id INTEGER PRIMARY KEY, source TEXT NOT NULL, origin TEXT NOT NULL, field TEXT NOT NULL,
  reason TEXT NOT NULL, at TEXT NOT NULL);
)sql";

// tl_add_area_rows(stored, delta): the SQL face of add_area_rows (index/area_row.h).
void sql_add_area_rows(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto blob = [](sqlite3_value* v) {
    const void* p = sqlite3_value_blob(v);  // before sqlite3_value_bytes, as SQLite documents
    return std::string_view(static_cast<const char*>(p),
                            p ? static_cast<size_t>(sqlite3_value_bytes(v)) : 0);
  };
  auto sum = add_area_rows(blob(argv[0]), blob(argv[1]));
  if (!sum) {
    const std::string msg = sum.error().to_string();
    sqlite3_result_error(ctx, msg.data(), static_cast<int>(msg.size()));
    return;
  }
  sqlite3_result_blob64(ctx, sum->data(), sum->size(), SQLITE_TRANSIENT);
}

Result<SheetRecord> read_sheet_row(Stmt& s) {
  // columns: log_index, superseded_by, conflicted, corrects, entry
  return sheet_record_from_row(static_cast<uint64_t>(s.i64(0)), !s.is_null(1), s.i64(2) != 0, s.opt_u64(3), s.text(4));
}

constexpr const char* kSheetColumns =
    "SELECT s.log_index, s.superseded_by, s.conflicted, s.corrects, e.entry FROM sheets s "
    "JOIN entries e ON e.log_index = s.log_index ";

// Steps `s` to the end, calling fn for each row; stops at the first error.
template <typename Fn>
Status each_row(Stmt& s, Fn&& fn) {
  while (true) {
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    if (!row) return ok();
    if constexpr (std::is_same_v<std::invoke_result_t<Fn>, Status>) {
      TL_TRY(fn());
    } else {
      fn();
    }
  }
}

}  // namespace

SqliteIndex::Impl::~Impl() {
  checkpointer.reset();  // its hook is on the writer connection
  // Statements must be finalized before their connections close.
  for (Stmt* s : {&begin,       &commit,          &rollback,    &set_size,        &ins_election,
                  &ins_station, &ins_sheet,       &ins_entry,   &ins_source,      &set_standing,
                  &put_area,    &put_rule,        &put_totals,  &add_totals,      &get_totals,
                  &set_state,   &station_counts,  &ins_skipped, &ins_declaration, &r_size,
                  &r_station,   &r_station_count, &r_sheet_at,  &r_election,      &ins_reject})
    s->finalize();
  if (w) sqlite3_close_v2(w);
  if (r) sqlite3_close_v2(r);
  if (rej) sqlite3_close_v2(rej);
}

Status SqliteIndex::Impl::prepare_statements() {
  TL_TRY(begin.prepare(w, "BEGIN IMMEDIATE"));
  TL_TRY(commit.prepare(w, "COMMIT"));
  TL_TRY(rollback.prepare(w, "ROLLBACK"));
  TL_TRY(set_size.prepare(w, "UPDATE meta SET value=?1 WHERE key='indexed_size'"));
  TL_TRY(ins_election.prepare(w, "INSERT OR REPLACE INTO election(log_index, id, entry) VALUES(?1, ?2, ?3)"));
  TL_TRY(ins_station.prepare(
      w, "INSERT OR REPLACE INTO stations(code, log_index, registered, areas, name, parent) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  TL_TRY(ins_sheet.prepare(w,
                           "INSERT INTO sheets(log_index, station, source, identity, content, supersedes, corrects, "
                           "superseded_by, conflicted, counts, counts_error) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, ?10)"));
  TL_TRY(ins_entry.prepare(w, "INSERT INTO entries(log_index, entry) VALUES(?1, ?2)"));
  TL_TRY(ins_source.prepare(w, "INSERT OR IGNORE INTO sources(name) VALUES(?1)"));
  TL_TRY(set_standing.prepare(w, "UPDATE sheets SET superseded_by=?2, conflicted=?3 WHERE log_index=?1"));
  TL_TRY(put_area.prepare(w,
                          "INSERT OR REPLACE INTO areas(id, depth, code, name, parent, name_from, tables, voters, unknown) "
                          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  TL_TRY(put_rule.prepare(w, "INSERT OR REPLACE INTO rules(id, text) VALUES(?1, ?2)"));
  TL_TRY(put_totals.prepare(w, "INSERT OR REPLACE INTO area_totals(rule, depth, area, row) VALUES(?1, ?2, ?3, ?4)"));
  // One statement adds a batch's change to an area's totals (one B-tree search, the row updated
  // in place) where a read and an INSERT OR REPLACE took two searches and a delete. perf of a
  // server taking the bundled CSV over import <url>: the area totals were a third of the index
  // thread's samples with the two statements, a quarter with this one.
  TL_TRY(add_totals.prepare(
      w,
      "INSERT INTO area_totals(rule, depth, area, row) VALUES(?1, ?2, ?3, ?4) "
      "ON CONFLICT(rule, depth, area) DO UPDATE SET row = tl_add_area_rows(row, excluded.row)"));
  TL_TRY(get_totals.prepare(w, "SELECT row FROM area_totals WHERE rule=?1 AND depth=?2 AND area=?3"));
  TL_TRY(set_state.prepare(w, "UPDATE meta_text SET value=?1 WHERE key='aggregates'"));
  TL_TRY(station_counts.prepare(w,
                                "SELECT log_index, station, source, corrects, conflicted, counts, counts_error "
                                "FROM sheets WHERE station=?1 AND superseded_by IS NULL ORDER BY log_index"));
  TL_TRY(ins_skipped.prepare(w, "INSERT OR REPLACE INTO skipped(log_index, reason) VALUES(?1, ?2)"));
  TL_TRY(ins_declaration.prepare(w, "INSERT INTO declarations(log_index, source, entry) VALUES(?1, ?2, ?3)"));
  TL_TRY(r_size.prepare(r, "SELECT value FROM meta WHERE key='indexed_size'"));
  TL_TRY(r_station.prepare(r, "SELECT code, registered, areas FROM stations WHERE code=?1"));
  TL_TRY(r_station_count.prepare(r, "SELECT count(*) FROM stations"));
  TL_TRY(r_sheet_at.prepare(r, (std::string(kSheetColumns) + "WHERE s.log_index=?1").c_str()));
  TL_TRY(r_election.prepare(r, "SELECT entry FROM election ORDER BY log_index LIMIT 1"));
  TL_TRY(ins_reject.prepare(rej, "INSERT INTO rejects(source, origin, field, reason, at) VALUES(?1, ?2, ?3, ?4, ?5)"));
  return ok();
}

SqliteIndex::SqliteIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteIndex::~SqliteIndex() = default;

Result<std::unique_ptr<SqliteIndex>> SqliteIndex::open(const std::string& path, const std::string& rejects_path) {
  auto impl = std::make_unique<Impl>();
  TL_ASSIGN_OR_RETURN(impl->w, open_db(path));
  {
    // A store written by another schema is not migrated: it is derived, so it is rebuilt.
    Stmt v;
    if (v.prepare(impl->w, "SELECT value FROM meta WHERE key='schema_version'")) {
      TL_ASSIGN_OR_RETURN(bool row, v.step());
      if (row && v.i64(0) != kSqliteSchemaVersion) {
        return err(ErrorCode::kFailedPrecondition, path + ": index schema version " + std::to_string(v.i64(0)) +
                                                       " is not " + std::to_string(kSqliteSchemaVersion) +
                                                       "; rebuild it from the log with `tallylog reindex`");
      }
    }
  }
  // The index is derived: a commit need not wait for the disk. In WAL mode synchronous=NORMAL
  // keeps every commit atomic and the file consistent; a power cut may lose the last commits,
  // and then the index is simply behind the log (indexed_size is in the same transaction), which
  // open catches up from the log. A process crash (kill -9) loses nothing. Rejects (not in the
  // log) keep synchronous=FULL on their own connection.
  // A batch of 10,000 sheets writes ~1,500 pages: with SQLite's default (a checkpoint once the
  // WAL holds 1,000 pages) every batch commit also copied the WAL into the file and synced both.
  // Checkpointing every ~8,192 pages (32 MB of WAL at 4 KiB pages) copies a page rewritten by
  // several batches (area totals, B-tree interior pages) once and syncs ~6x less often; and the
  // checkpoints run on a thread of their own (sqlite_checkpointer.h), so a commit waits for one
  // only when the WAL reaches 128 MB. The durability argument above is unchanged (the index is
  // derived).
  TL_TRY(exec(impl->w, "PRAGMA synchronous=NORMAL;"));
  if (sqlite3_create_function_v2(impl->w, "tl_add_area_rows", 2,
                                 SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, nullptr,
                                 sql_add_area_rows, nullptr, nullptr, nullptr) != SQLITE_OK)
    return std::unexpected(sqlite::db_error(impl->w, "register tl_add_area_rows"));
  TL_TRY(exec(impl->w, kIndexSchema));
  TL_TRY(exec(impl->w, ("INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', " +
                        std::to_string(kSqliteSchemaVersion) + ")")
                           .c_str()));
  TL_ASSIGN_OR_RETURN(impl->r, open_db(path));
  TL_ASSIGN_OR_RETURN(impl->rej, open_db(rejects_path));
  TL_TRY(exec(impl->rej, kRejectsSchema));
  TL_TRY(impl->prepare_statements());
  TL_ASSIGN_OR_RETURN(impl->checkpointer, sqlite::WalCheckpointer::start(path, impl->w));
  std::unique_ptr<SqliteIndex> idx(new SqliteIndex(std::move(impl)));
  TL_ASSIGN_OR_RETURN(idx->impl_->indexed, idx->indexed_size());
  TL_ASSIGN_OR_RETURN(auto sources, idx->sources());
  idx->impl_->sources.insert(sources.begin(), sources.end());
  return idx;
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

Result<uint64_t> SqliteIndex::clear_rejects() {
  std::lock_guard lock(impl_->rejmu);
  TL_TRY(exec(impl_->rej, "DELETE FROM rejects"));
  return static_cast<uint64_t>(sqlite3_changes(impl_->rej));
}

Result<std::string> SqliteIndex::dump() {
  std::lock_guard lock(impl_->rmu);
  std::string out;
  const char* queries[] = {
      "SELECT 'meta', key, value FROM meta WHERE key != 'schema_version' ORDER BY key",
      "SELECT 'meta_text', key, value FROM meta_text ORDER BY key",
      "SELECT 'election', log_index, id, entry FROM election ORDER BY log_index",
      "SELECT 'station', code, log_index, registered, areas, name, parent FROM stations ORDER BY code",
      "SELECT 'area', id, depth, code, name, parent, name_from, tables, voters, unknown FROM areas ORDER BY id",
      ("SELECT 'sheet', log_index, station, source, hex(identity), hex(content), supersedes, corrects, superseded_by, "
       "conflicted, hex(counts), counts_error FROM sheets ORDER BY log_index"),  // one query (clang -Wstring-concatenation)
      "SELECT 'entry', log_index, entry FROM entries ORDER BY log_index",
      "SELECT 'source', name FROM sources ORDER BY name",
      "SELECT 'rule', id, text FROM rules ORDER BY id",
      "SELECT 'area_totals', rule, depth, area, hex(row) FROM area_totals ORDER BY rule, depth, area",
      "SELECT 'skipped', log_index, reason FROM skipped ORDER BY log_index",
      "SELECT 'declaration', log_index, source, entry FROM declarations ORDER BY log_index",
  };
  for (const char* q : queries) {
    Stmt s;
    TL_TRY(s.prepare(impl_->r, q));
    TL_TRY(each_row(s, [&] {
      int n = sqlite3_column_count(s.raw());
      for (int i = 0; i < n; ++i) {
        if (i) out.push_back('|');
        out += s.is_null(i) ? std::string_view("NULL") : s.text(i);
      }
      out.push_back('\n');
    }));
  }
  return out;
}

namespace {
// A read transaction on the reader connection, holding its mutex for as long as it lives.
class SqliteSnapshot final : public ReadSnapshot {
 public:
  explicit SqliteSnapshot(SqliteIndex::Impl& m) : m_(m), lock_(m.rmu) {}
  Status begin() {
    TL_TRY(exec(m_.r, "BEGIN"));
    // A deferred transaction starts reading at its first statement: read now, to pin the state.
    Stmt s;
    TL_TRY(s.prepare(m_.r, "SELECT value FROM meta WHERE key='indexed_size'"));
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    (void)row;
    open_ = true;
    return ok();
  }
  ~SqliteSnapshot() override {
    if (open_) (void)exec(m_.r, "COMMIT");
  }

 private:
  SqliteIndex::Impl& m_;
  std::unique_lock<std::recursive_mutex> lock_;
  bool open_ = false;
};
}  // namespace

Result<std::unique_ptr<ReadSnapshot>> SqliteIndex::snapshot() {
  auto s = std::make_unique<SqliteSnapshot>(*impl_);
  TL_TRY(s->begin());
  return std::unique_ptr<ReadSnapshot>(std::move(s));
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
  st.registered = s.opt_u64(1);
  auto areas = decode_station_areas(s.text(2), st.code);
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
  return each_row(s, [&]() -> Status {
    st.code = s.text(0);
    st.registered = s.opt_u64(1);
    TL_ASSIGN_OR_RETURN(st.areas, decode_station_areas(s.text(2), st.code));
    fn(st);
    return ok();
  });
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
  std::string q = std::string(kSheetColumns) + "WHERE s.superseded_by IS NULL " +
                  (source.empty() ? "" : "AND s.source=?1 ") + "ORDER BY s.station, s.source, s.log_index";
  TL_TRY(s.prepare(impl_->r, q.c_str()));
  if (!source.empty()) s.bind(1, source);
  return each_row(s, [&]() -> Status {
    TL_ASSIGN_OR_RETURN(SheetRecord rec, read_sheet_row(s));
    fn(rec);
    return ok();
  });
}

Result<std::vector<SheetRecord>> SqliteIndex::sheets_for_station(std::string_view station, std::string_view source) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, (std::string(kSheetColumns) +
                              "WHERE s.station=?1 AND (?2 = '' OR s.source=?2) ORDER BY s.log_index")
                                 .c_str()));
  s.bind(1, station).bind(2, source);
  std::vector<SheetRecord> out;
  TL_TRY(each_row(s, [&]() -> Status {
    TL_ASSIGN_OR_RETURN(SheetRecord rec, read_sheet_row(s));
    out.push_back(std::move(rec));
    return ok();
  }));
  return out;
}

Result<std::optional<SheetRecord>> SqliteIndex::sheet_at(uint64_t log_index) {
  std::lock_guard lock(impl_->rmu);
  auto& s = impl_->r_sheet_at.reset().bind(1, static_cast<int64_t>(log_index));
  TL_ASSIGN_OR_RETURN(bool row, s.step());
  if (!row) return std::optional<SheetRecord>();
  auto rec = read_sheet_row(s);
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
  TL_TRY(each_row(s, [&] {
    std::string_view st = s.text(0), so = s.text(1);
    if (out.empty() || out.back().station != st || out.back().source != so)
      out.push_back(Conflict{std::string(st), std::string(so), {}});
    out.back().log_indexes.push_back(static_cast<uint64_t>(s.i64(2)));
  }));
  return out;
}

Result<std::vector<std::string>> SqliteIndex::sources() {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT name FROM sources ORDER BY name"));
  std::vector<std::string> out;
  TL_TRY(each_row(s, [&] { out.emplace_back(s.text(0)); }));
  return out;
}

Result<std::vector<DeclarationRecord>> SqliteIndex::declarations() {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT log_index, entry FROM declarations ORDER BY log_index"));
  std::vector<DeclarationRecord> out;
  TL_TRY(each_row(s, [&]() -> Status {
    const uint64_t at = static_cast<uint64_t>(s.i64(0));
    auto e = election::decode_entry(s.text(1));
    if (!e) return std::unexpected(with_context(e.error(), "index: declaration at log index " + std::to_string(at)));
    auto* d = std::get_if<election::Declaration>(&e->record);
    if (!d) return err(ErrorCode::kCorrupt, "index: entry at log index " + std::to_string(at) + " is not a declaration");
    out.push_back(DeclarationRecord{at, std::move(*d)});
    return ok();
  }));
  return out;
}

Result<std::vector<Reject>> SqliteIndex::rejects(size_t limit) {
  std::lock_guard lock(impl_->rejmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->rej, "SELECT source, origin, field, reason, at FROM rejects ORDER BY id DESC LIMIT ?1"));
  s.bind(1, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<Reject> out;
  TL_TRY(each_row(s, [&] {
    out.push_back(Reject{std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)),
                         std::string(s.text(3)), std::string(s.text(4))});
  }));
  return out;
}

Status SqliteIndex::for_each_current_count(std::string_view source,
                                           const std::function<void(const CountRecord&)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  // A prefix ("witness:*") is compared in characters on both sides (length() and substr() count
  // characters of TEXT): rows of other sources are skipped without being read out.
  const bool prefix = source.ends_with('*');
  if (prefix) source.remove_suffix(1);
  std::string where;
  if (!source.empty()) where = prefix ? "AND substr(source, 1, length(?1)) = ?1 " : "AND source=?1 ";
  const std::string q =
      "SELECT log_index, station, source, corrects, conflicted, counts, counts_error FROM sheets "
      "WHERE superseded_by IS NULL " + where + "ORDER BY log_index";
  TL_TRY(s.prepare(impl_->r, q.c_str()));
  if (!source.empty()) s.bind(1, source);
  CountRecord rec;
  return each_row(s, [&] {
    rec.log_index = static_cast<uint64_t>(s.i64(0));
    rec.station = s.text(1);
    rec.source = s.text(2);
    rec.corrects = s.opt_u64(3);
    rec.conflicted = s.i64(4) != 0;
    rec.counts = s.blob(5);
    rec.counts_error = s.text(6);
    fn(rec);
  });
}

Result<std::vector<std::pair<std::string, uint64_t>>> SqliteIndex::current_sheets_by_source() {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r,
                   "SELECT source, count(*) FROM sheets WHERE superseded_by IS NULL GROUP BY source ORDER BY source"));
  std::vector<std::pair<std::string, uint64_t>> out;
  TL_TRY(each_row(s, [&] { out.emplace_back(std::string(s.text(0)), static_cast<uint64_t>(s.i64(1))); }));
  return out;
}

Status SqliteIndex::for_each_sheet_summary(const std::function<void(const SheetSummary&)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r,
                   "SELECT log_index, station, source, identity, content, superseded_by, conflicted FROM sheets "
                   "ORDER BY log_index"));
  SheetSummary sum;
  return each_row(s, [&] {
    sum.log_index = static_cast<uint64_t>(s.i64(0));
    sum.station = s.text(1);
    sum.source = s.text(2);
    sum.identity = s.blob(3);
    sum.content = s.blob(4);
    sum.superseded = !s.is_null(5);
    sum.conflicted = s.i64(6) != 0;
    fn(sum);
  });
}

namespace {
Status table_rows(Stmt& s, const std::function<void(const TableRow&)>& fn) {
  TableRow t;
  return each_row(s, [&] {
    t.code = s.text(0);
    t.name = s.text(1);
    t.registered = s.opt_u64(2);
    t.parent = s.is_null(3) ? kNoAreaId : static_cast<uint32_t>(s.i64(3));
    fn(t);
  });
}
}  // namespace

Status SqliteIndex::for_each_table(const std::function<void(const TableRow&)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT code, name, registered, parent FROM stations ORDER BY code"));
  return table_rows(s, fn);
}

Status SqliteIndex::for_each_table_in(uint32_t parent, const std::function<void(const TableRow&)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT code, name, registered, parent FROM stations WHERE parent=?1 ORDER BY code"));
  s.bind(1, static_cast<int64_t>(parent));
  return table_rows(s, fn);
}

Status SqliteIndex::for_each_area(int max_depth, const std::function<void(const AreaRow&)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r,
                   "SELECT id, depth, code, name, parent, name_from, tables, voters, unknown FROM areas WHERE depth <= ?1 "
                   "ORDER BY id"));
  s.bind(1, static_cast<int64_t>(max_depth));
  AreaRow a;
  return each_row(s, [&] {
    a.id = static_cast<uint32_t>(s.i64(0));
    a.depth = static_cast<int>(s.i64(1));
    a.code = s.text(2);
    a.name = s.text(3);
    a.parent = s.is_null(4) ? kNoAreaId : static_cast<uint32_t>(s.i64(4));
    a.name_from = s.text(5);
    a.tables_registered = static_cast<uint64_t>(s.i64(6));
    a.registered_voters = static_cast<uint64_t>(s.i64(7));
    a.tables_registered_unknown = static_cast<uint64_t>(s.i64(8));
    fn(a);
  });
}

Result<std::vector<std::string>> SqliteIndex::rules() {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT id, text FROM rules ORDER BY id"));
  std::vector<std::string> out;
  TL_TRY(each_row(s, [&]() -> Status {
    if (static_cast<uint64_t>(s.i64(0)) != out.size())
      return err(ErrorCode::kCorrupt, "index: rule ids are not dense (" + std::to_string(s.i64(0)) + ")");
    out.emplace_back(s.text(1));
    return ok();
  }));
  return out;
}

Status SqliteIndex::for_each_area_totals(uint32_t rule, int max_depth,
                                         const std::function<void(uint32_t, std::string_view)>& fn) {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT area, row FROM area_totals WHERE rule=?1 AND depth <= ?2 ORDER BY depth, area"));
  s.bind(1, static_cast<int64_t>(rule)).bind(2, static_cast<int64_t>(max_depth));
  return each_row(s, [&] { fn(static_cast<uint32_t>(s.i64(0)), s.blob(1)); });
}

Result<std::string> SqliteIndex::aggregates_state() {
  std::lock_guard lock(impl_->rmu);
  Stmt s;
  TL_TRY(s.prepare(impl_->r, "SELECT value FROM meta_text WHERE key='aggregates'"));
  TL_ASSIGN_OR_RETURN(bool row, s.step());
  return row ? std::string(s.text(0)) : std::string("no aggregates state");
}

}  // namespace tallylog::index
