// The PostgreSQL backend: schema, open, and the read side (index/reader.h). Writes are in
// postgres_transaction.cc.
#include "tallylog/index/postgres_index.h"

#include <algorithm>

#include "tallylog/election/entry.h"
#include "tallylog/index/postgres_index_impl.h"
#include "tallylog/index/station_areas.h"

namespace tallylog::index {

using pg::Params;
using pg::Row;

namespace {

// Every integer is BIGINT (the binary protocol then always carries 8 bytes).
const char* kIndexSchema = R"sql(
CREATE SCHEMA IF NOT EXISTS tallylog_index;
SET search_path TO tallylog_index;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS meta_text(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS election(log_index BIGINT PRIMARY KEY, id TEXT NOT NULL, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stations(
  code TEXT COLLATE "C" PRIMARY KEY, log_index BIGINT NOT NULL, registered BIGINT, areas TEXT NOT NULL,
  name TEXT NOT NULL, parent BIGINT);
CREATE INDEX IF NOT EXISTS stations_by_parent ON stations(parent, code);
CREATE TABLE IF NOT EXISTS areas(
  id BIGINT PRIMARY KEY, depth BIGINT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, parent BIGINT,
  name_from TEXT NOT NULL, tables BIGINT NOT NULL, voters BIGINT NOT NULL, unknown BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sheets(
  log_index BIGINT PRIMARY KEY, station TEXT COLLATE "C" NOT NULL, source TEXT COLLATE "C" NOT NULL,
  identity BYTEA NOT NULL, content BYTEA NOT NULL, supersedes BIGINT, corrects BIGINT, superseded_by BIGINT,
  conflicted BIGINT NOT NULL, counts BYTEA, counts_error TEXT);
CREATE INDEX IF NOT EXISTS sheets_by_station ON sheets(station, source, log_index);
CREATE TABLE IF NOT EXISTS entries(log_index BIGINT PRIMARY KEY, entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources(name TEXT COLLATE "C" PRIMARY KEY);
CREATE TABLE IF NOT EXISTS rules(id BIGINT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS area_totals(
  rule BIGINT, depth BIGINT, area BIGINT, row BYTEA NOT NULL, PRIMARY KEY(rule, depth, area));
CREATE TABLE IF NOT EXISTS skipped(log_index BIGINT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS declarations(log_index BIGINT PRIMARY KEY, source TEXT NOT NULL, entry TEXT NOT NULL);
INSERT INTO meta(key, value) VALUES('indexed_size', 0) ON CONFLICT DO NOTHING;
INSERT INTO meta_text(key, value) VALUES('aggregates', '') ON CONFLICT DO NOTHING;
)sql";

const char* kRejectsSchema = R"sql(
CREATE SCHEMA IF NOT EXISTS tallylog_rejects;
CREATE TABLE IF NOT EXISTS tallylog_rejects.rejects(
  id BIGSERIAL PRIMARY KEY, source TEXT NOT NULL, origin TEXT NOT NULL, field TEXT NOT NULL,
  reason TEXT NOT NULL, at TEXT NOT NULL);
)sql";

constexpr const char* kSheetColumns =
    "SELECT s.log_index, s.superseded_by, s.conflicted, s.corrects, e.entry FROM sheets s "
    "JOIN entries e ON e.log_index = s.log_index ";

Result<SheetRecord> read_sheet_row(const Row& s) {
  return sheet_record_from_row(static_cast<uint64_t>(s.i64(0)), !s.is_null(1), s.i64(2) != 0, s.opt_u64(3), s.bytes(4));
}

// Connects and checks the schema version (when the database holds an index).
Status connect(pg::Conn& c, const std::string& url) {
  TL_TRY(c.connect(url));
  return c.set_session("SET search_path TO tallylog_index; SET synchronous_commit TO off;");
}

Result<std::optional<int64_t>> stored_version(pg::Conn& c) {
  TL_ASSIGN_OR_RETURN(auto has, c.query("SELECT to_regclass('tallylog_index.meta') IS NOT NULL"));
  if (!Row(has.get(), 0).i64(0)) return std::optional<int64_t>();
  TL_ASSIGN_OR_RETURN(auto v, c.query("SELECT value FROM tallylog_index.meta WHERE key='schema_version'"));
  if (PQntuples(v.get()) == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(Row(v.get(), 0).i64(0));
}

class PostgresIndex final : public Index {
 public:
  explicit PostgresIndex(std::unique_ptr<PostgresImpl> m) : m_(std::move(m)) {}

  Result<std::unique_ptr<IndexTransaction>> begin() override { return begin_postgres_transaction(*m_); }

  Status add_rejects(std::span<const Reject> rejects) override {
    std::lock_guard lock(m_->rejmu);
    if (rejects.empty()) return ok();
    pg::CopyWriter w;
    for (const auto& r : rejects) {
      w.row(5);
      for (const std::string* f : {&r.source, &r.origin, &r.field, &r.reason, &r.at}) w.bytes(*f);
    }
    // COPY is one statement: all of them or none.
    return m_->rej.copy_in("COPY tallylog_rejects.rejects(source, origin, field, reason, at) FROM STDIN (FORMAT binary)",
                           w.finish());
  }

  Result<uint64_t> clear_rejects() override {
    std::lock_guard lock(m_->rejmu);
    TL_ASSIGN_OR_RETURN(auto r, m_->rej.query("DELETE FROM tallylog_rejects.rejects"));
    return static_cast<uint64_t>(std::stoull(PQcmdTuples(r.get())));
  }

  Result<std::unique_ptr<ReadSnapshot>> snapshot() override;

  Result<uint64_t> indexed_size() override {
    std::lock_guard lock(m_->rmu);
    TL_ASSIGN_OR_RETURN(auto r, m_->r.run("r_size"));
    return PQntuples(r.get()) ? static_cast<uint64_t>(Row(r.get(), 0).i64(0)) : 0;
  }

  Result<election::Election> election() override {
    std::lock_guard lock(m_->rmu);
    TL_ASSIGN_OR_RETURN(auto r, m_->r.run("r_election"));
    if (PQntuples(r.get()) == 0)
      return err(ErrorCode::kFailedPrecondition, "index: no election record (is the log initialised?)");
    auto e = election::decode_entry(Row(r.get(), 0).bytes(0));
    if (!e) return std::unexpected(with_context(e.error(), "index: election entry"));
    auto* el = std::get_if<election::Election>(&e->record);
    if (!el) return err(ErrorCode::kCorrupt, "index: election entry is not an election");
    return std::move(*el);
  }

  Result<std::optional<election::Station>> station(std::string_view code) override {
    std::lock_guard lock(m_->rmu);
    TL_ASSIGN_OR_RETURN(auto r, m_->r.run("r_station", Params().bytes(code)));
    if (PQntuples(r.get()) == 0) return std::optional<election::Station>();
    TL_ASSIGN_OR_RETURN(auto st, station_of(Row(r.get(), 0)));
    return std::optional<election::Station>(std::move(st));
  }

  Status for_each_station(const std::function<void(const election::Station&)>& fn) override {
    std::lock_guard lock(m_->rmu);
    return m_->r.stream("r_stations", {}, [&](const Row& row) -> Status {
      TL_ASSIGN_OR_RETURN(auto st, station_of(row));
      fn(st);
      return ok();
    });
  }

  Result<uint64_t> station_count() override {
    std::lock_guard lock(m_->rmu);
    TL_ASSIGN_OR_RETURN(auto r, m_->r.run("r_station_count"));
    return static_cast<uint64_t>(Row(r.get(), 0).i64(0));
  }

  Status for_each_current_sheet(std::string_view source, const std::function<void(const SheetRecord&)>& fn) override {
    std::lock_guard lock(m_->rmu);
    return m_->r.stream("r_current_sheets", Params().bytes(source), [&](const Row& row) -> Status {
      TL_ASSIGN_OR_RETURN(SheetRecord rec, read_sheet_row(row));
      fn(rec);
      return ok();
    });
  }

  Result<std::vector<SheetRecord>> sheets_for_station(std::string_view station, std::string_view source) override {
    std::lock_guard lock(m_->rmu);
    std::vector<SheetRecord> out;
    TL_TRY(m_->r.stream("r_station_sheets", Params().bytes(station).bytes(source), [&](const Row& row) -> Status {
      TL_ASSIGN_OR_RETURN(SheetRecord rec, read_sheet_row(row));
      out.push_back(std::move(rec));
      return ok();
    }));
    return out;
  }

  Result<std::optional<SheetRecord>> sheet_at(uint64_t log_index) override {
    std::lock_guard lock(m_->rmu);
    TL_ASSIGN_OR_RETURN(auto r, m_->r.run("r_sheet_at", Params().u64(log_index)));
    if (PQntuples(r.get()) == 0) return std::optional<SheetRecord>();
    TL_ASSIGN_OR_RETURN(SheetRecord rec, read_sheet_row(Row(r.get(), 0)));
    return std::optional<SheetRecord>(std::move(rec));
  }

  Result<std::vector<Conflict>> conflicts() override {
    std::lock_guard lock(m_->rmu);
    std::vector<Conflict> out;
    TL_TRY(m_->r.stream("r_conflicts", {}, [&](const Row& s) -> Status {
      std::string_view st = s.bytes(0), so = s.bytes(1);
      if (out.empty() || out.back().station != st || out.back().source != so)
        out.push_back(Conflict{std::string(st), std::string(so), {}});
      out.back().log_indexes.push_back(static_cast<uint64_t>(s.i64(2)));
      return ok();
    }));
    return out;
  }

  Result<std::vector<std::string>> sources() override {
    std::lock_guard lock(m_->rmu);
    std::vector<std::string> out;
    TL_TRY(m_->r.stream("r_sources", {}, [&](const Row& s) -> Status {
      out.emplace_back(s.bytes(0));
      return ok();
    }));
    return out;
  }

  Result<std::vector<Reject>> rejects(size_t limit) override {
    std::lock_guard lock(m_->rejmu);
    TL_ASSIGN_OR_RETURN(auto r, m_->rej.query("SELECT source, origin, field, reason, at FROM tallylog_rejects.rejects "
                                              "ORDER BY id DESC LIMIT $1::bigint",
                                              Params().u64(std::min<size_t>(limit, INT64_MAX))));
    std::vector<Reject> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      Row s(r.get(), i);
      out.push_back(Reject{std::string(s.bytes(0)), std::string(s.bytes(1)), std::string(s.bytes(2)),
                           std::string(s.bytes(3)), std::string(s.bytes(4))});
    }
    return out;
  }

  Result<std::vector<DeclarationRecord>> declarations() override {
    std::lock_guard lock(m_->rmu);
    std::vector<DeclarationRecord> out;
    TL_TRY(m_->r.stream("r_declarations", {}, [&](const Row& s) -> Status {
      const uint64_t at = static_cast<uint64_t>(s.i64(0));
      auto e = election::decode_entry(s.bytes(1));
      if (!e) return std::unexpected(with_context(e.error(), "index: declaration at log index " + std::to_string(at)));
      auto* d = std::get_if<election::Declaration>(&e->record);
      if (!d) return err(ErrorCode::kCorrupt, "index: entry at log index " + std::to_string(at) + " is not a declaration");
      out.push_back(DeclarationRecord{at, std::move(*d)});
      return ok();
    }));
    return out;
  }

  Status for_each_current_count(std::string_view source, const std::function<void(const CountRecord&)>& fn) override {
    std::lock_guard lock(m_->rmu);
    CountRecord rec;
    return m_->r.stream("r_current_counts", Params().bytes(source), [&](const Row& s) -> Status {
      read_count_row(s, rec);
      fn(rec);
      return ok();
    });
  }

  Result<std::vector<std::pair<std::string, uint64_t>>> current_sheets_by_source() override {
    std::lock_guard lock(m_->rmu);
    std::vector<std::pair<std::string, uint64_t>> out;
    TL_TRY(m_->r.stream("r_by_source", {}, [&](const Row& s) -> Status {
      out.emplace_back(std::string(s.bytes(0)), static_cast<uint64_t>(s.i64(1)));
      return ok();
    }));
    return out;
  }

  Status for_each_sheet_summary(const std::function<void(const SheetSummary&)>& fn) override {
    std::lock_guard lock(m_->rmu);
    SheetSummary sum;
    return m_->r.stream("r_summaries", {}, [&](const Row& s) -> Status {
      sum.log_index = static_cast<uint64_t>(s.i64(0));
      sum.station = s.bytes(1);
      sum.source = s.bytes(2);
      sum.identity = s.bytes(3);
      sum.content = s.bytes(4);
      sum.superseded = !s.is_null(5);
      sum.conflicted = s.i64(6) != 0;
      fn(sum);
      return ok();
    });
  }

  Status for_each_table(const std::function<void(const TableRow&)>& fn) override {
    std::lock_guard lock(m_->rmu);
    return table_rows("r_tables", {}, fn);
  }

  Status for_each_table_in(uint32_t parent, const std::function<void(const TableRow&)>& fn) override {
    std::lock_guard lock(m_->rmu);
    return table_rows("r_tables_in", Params().u64(parent), fn);
  }

  Status for_each_area(int max_depth, const std::function<void(const AreaRow&)>& fn) override {
    std::lock_guard lock(m_->rmu);
    AreaRow a;
    return m_->r.stream("r_areas", Params().i64(max_depth), [&](const Row& s) -> Status {
      a.id = static_cast<uint32_t>(s.i64(0));
      a.depth = static_cast<int>(s.i64(1));
      a.code = s.bytes(2);
      a.name = s.bytes(3);
      a.parent = s.is_null(4) ? kNoAreaId : static_cast<uint32_t>(s.i64(4));
      a.name_from = s.bytes(5);
      a.tables_registered = static_cast<uint64_t>(s.i64(6));
      a.registered_voters = static_cast<uint64_t>(s.i64(7));
      a.tables_registered_unknown = static_cast<uint64_t>(s.i64(8));
      fn(a);
      return ok();
    });
  }

  Result<std::vector<std::string>> rules() override {
    std::lock_guard lock(m_->rmu);
    std::vector<std::string> out;
    TL_TRY(m_->r.stream("r_rules", {}, [&](const Row& s) -> Status {
      if (static_cast<uint64_t>(s.i64(0)) != out.size())
        return err(ErrorCode::kCorrupt, "index: rule ids are not dense (" + std::to_string(s.i64(0)) + ")");
      out.emplace_back(s.bytes(1));
      return ok();
    }));
    return out;
  }

  Status for_each_area_totals(uint32_t rule, int max_depth,
                              const std::function<void(uint32_t, std::string_view)>& fn) override {
    std::lock_guard lock(m_->rmu);
    return m_->r.stream("r_totals", Params().u64(rule).i64(max_depth), [&](const Row& s) -> Status {
      fn(static_cast<uint32_t>(s.i64(0)), s.bytes(1));
      return ok();
    });
  }

  Result<std::string> aggregates_state() override {
    std::lock_guard lock(m_->rmu);
    TL_ASSIGN_OR_RETURN(auto r, m_->r.run("r_aggregates"));
    return PQntuples(r.get()) ? std::string(Row(r.get(), 0).bytes(0)) : std::string("no aggregates state");
  }

  // The same text as the SQLite backend's dump, row for row (index/sqlite_index.cc).
  Result<std::string> dump() override {
    std::lock_guard lock(m_->rmu);
    std::string out;
    const char* queries[] = {
        "SELECT 'meta', key, value::text FROM meta WHERE key != 'schema_version' ORDER BY key",
        "SELECT 'meta_text', key, value FROM meta_text ORDER BY key",
        "SELECT 'election', log_index::text, id, entry FROM election ORDER BY log_index",
        "SELECT 'station', code, log_index::text, registered::text, areas, name, parent::text FROM stations ORDER BY code",
        ("SELECT 'area', id::text, depth::text, code, name, parent::text, name_from, tables::text, voters::text, "
         "unknown::text FROM areas ORDER BY id"),
        ("SELECT 'sheet', log_index::text, station, source, upper(encode(identity, 'hex')), "
         "upper(encode(content, 'hex')), supersedes::text, corrects::text, superseded_by::text, conflicted::text, "
         "coalesce(upper(encode(counts, 'hex')), ''), counts_error FROM sheets ORDER BY log_index"),
        "SELECT 'entry', log_index::text, entry FROM entries ORDER BY log_index",
        "SELECT 'source', name FROM sources ORDER BY name",
        "SELECT 'rule', id::text, text FROM rules ORDER BY id",
        ("SELECT 'area_totals', rule::text, depth::text, area::text, upper(encode(row, 'hex')) FROM area_totals "
         "ORDER BY rule, depth, area"),
        "SELECT 'skipped', log_index::text, reason FROM skipped ORDER BY log_index",
        "SELECT 'declaration', log_index::text, source, entry FROM declarations ORDER BY log_index",
    };
    for (const char* q : queries) {
      TL_ASSIGN_OR_RETURN(auto r, m_->r.query(q));
      for (int i = 0; i < PQntuples(r.get()); ++i) {
        Row s(r.get(), i);
        for (int c = 0; c < PQnfields(r.get()); ++c) {
          if (c) out.push_back('|');
          out += s.is_null(c) ? std::string_view("NULL") : s.bytes(c);
        }
        out.push_back('\n');
      }
    }
    return out;
  }

  PostgresImpl& impl() { return *m_; }

 private:
  static Result<election::Station> station_of(const Row& s) {
    election::Station st;
    st.code = s.bytes(0);
    st.registered = s.opt_u64(1);
    TL_ASSIGN_OR_RETURN(st.areas, decode_station_areas(s.bytes(2), st.code));
    return st;
  }

  Status table_rows(const std::string& stmt, const Params& p, const std::function<void(const TableRow&)>& fn) {
    TableRow t;
    return m_->r.stream(stmt, p, [&](const Row& s) -> Status {
      t.code = s.bytes(0);
      t.name = s.bytes(1);
      t.registered = s.opt_u64(2);
      t.parent = s.is_null(3) ? kNoAreaId : static_cast<uint32_t>(s.i64(3));
      fn(t);
      return ok();
    });
  }

  std::unique_ptr<PostgresImpl> m_;
};

// A REPEATABLE READ transaction on the reader connection, holding its mutex while it lives.
class PostgresSnapshot final : public ReadSnapshot {
 public:
  explicit PostgresSnapshot(PostgresImpl& m) : m_(m), lock_(m.rmu) {}
  Status begin() {
    // PostgreSQL takes the snapshot at the transaction's first query: run one now.
    TL_TRY(m_.r.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1;"));
    open_ = true;
    return ok();
  }
  ~PostgresSnapshot() override {
    if (open_) (void)m_.r.exec("COMMIT");
  }

 private:
  PostgresImpl& m_;
  std::unique_lock<std::recursive_mutex> lock_;
  bool open_ = false;
};

Result<std::unique_ptr<ReadSnapshot>> PostgresIndex::snapshot() {
  auto s = std::make_unique<PostgresSnapshot>(*m_);
  TL_TRY(s->begin());
  return std::unique_ptr<ReadSnapshot>(std::move(s));
}

}  // namespace

Status PostgresImpl::prepare_statements() {
  const std::pair<const char*, std::string> reads[] = {
      {"r_size", "SELECT value FROM meta WHERE key='indexed_size'"},
      {"r_election", "SELECT entry FROM election ORDER BY log_index LIMIT 1"},
      {"r_station", "SELECT code, registered, areas FROM stations WHERE code=$1"},
      {"r_stations", "SELECT code, registered, areas FROM stations ORDER BY code"},
      {"r_station_count", "SELECT count(*) FROM stations"},
      {"r_current_sheets", std::string(kSheetColumns) +
                               "WHERE s.superseded_by IS NULL AND ($1 = '' OR s.source = $1) "
                               "ORDER BY s.station, s.source, s.log_index"},
      {"r_station_sheets",
       std::string(kSheetColumns) + "WHERE s.station=$1 AND ($2 = '' OR s.source=$2) ORDER BY s.log_index"},
      {"r_sheet_at", std::string(kSheetColumns) + "WHERE s.log_index=$1"},
      {"r_conflicts",
       "SELECT station, source, log_index FROM sheets WHERE conflicted=1 AND superseded_by IS NULL "
       "ORDER BY station, source, log_index"},
      {"r_sources", "SELECT name FROM sources ORDER BY name"},
      {"r_declarations", "SELECT log_index, entry FROM declarations ORDER BY log_index"},
      {"r_current_counts",
       "SELECT log_index, station, source, corrects, conflicted, counts, counts_error FROM sheets "
       "WHERE superseded_by IS NULL AND ($1 = '' OR source = $1 OR "
       "(right($1, 1) = '*' AND left(source, length($1) - 1) = left($1, -1))) ORDER BY log_index"},
      {"r_by_source",
       "SELECT source, count(*) FROM sheets WHERE superseded_by IS NULL GROUP BY source ORDER BY source"},
      {"r_summaries",
       "SELECT log_index, station, source, identity, content, superseded_by, conflicted FROM sheets ORDER BY log_index"},
      {"r_tables", "SELECT code, name, registered, parent FROM stations ORDER BY code"},
      {"r_tables_in", "SELECT code, name, registered, parent FROM stations WHERE parent=$1 ORDER BY code"},
      {"r_areas",
       "SELECT id, depth, code, name, parent, name_from, tables, voters, unknown FROM areas WHERE depth <= $1 "
       "ORDER BY id"},
      {"r_rules", "SELECT id, text FROM rules ORDER BY id"},
      {"r_totals", "SELECT area, row FROM area_totals WHERE rule=$1 AND depth <= $2 ORDER BY depth, area"},
      {"r_aggregates", "SELECT value FROM meta_text WHERE key='aggregates'"},
  };
  for (const auto& [name, sql] : reads) TL_TRY(r.prepare(name, sql));
  return ok();
}

bool is_postgres_url(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

Result<std::unique_ptr<Index>> open_postgres_index(const std::string& url) {
  auto m = std::make_unique<PostgresImpl>();
  TL_TRY(connect(m->w, url));
  TL_ASSIGN_OR_RETURN(auto version, stored_version(m->w));
  if (version && *version != kPostgresSchemaVersion) {
    return err(ErrorCode::kFailedPrecondition,
               pg::redact_url(url) + ": index schema version " + std::to_string(*version) + " is not " +
                   std::to_string(kPostgresSchemaVersion) + "; rebuild it from the log with `tallylog reindex`");
  }
  if (!version) {
    // Two processes creating the schema at once must not collide: serialise on an advisory lock.
    TL_TRY(m->w.exec("SELECT pg_advisory_lock(7247756);"));
    Status created = m->w.exec(std::string("BEGIN;") + kIndexSchema +
                               "INSERT INTO meta(key, value) VALUES('schema_version', " +
                               std::to_string(kPostgresSchemaVersion) + ") ON CONFLICT DO NOTHING; COMMIT;");
    if (!created) (void)m->w.exec("ROLLBACK");
    (void)m->w.exec("SELECT pg_advisory_unlock(7247756);");
    TL_TRY(created);
  }
  TL_TRY(m->w.set_session("SET search_path TO tallylog_index;"));
  TL_TRY(connect(m->r, url));
  TL_TRY(m->rej.connect(url));
  TL_TRY(m->rej.exec(std::string("SELECT pg_advisory_lock(7247757);") + kRejectsSchema +
                     "SELECT pg_advisory_unlock(7247757);"));
  TL_TRY(m->prepare_statements());
  TL_TRY(prepare_writer_statements(*m));
  auto idx = std::make_unique<PostgresIndex>(std::move(m));
  TL_ASSIGN_OR_RETURN(auto sources, idx->sources());
  idx->impl().sources.insert(sources.begin(), sources.end());
  return std::unique_ptr<Index>(std::move(idx));
}

bool postgres_index_exists(const std::string& url) {
  pg::Conn c;
  if (!c.connect(url)) return false;
  auto v = stored_version(c);
  return v && v->has_value();
}

Status remove_postgres_index(const std::string& url) {
  pg::Conn c;
  TL_TRY(c.connect(url));
  return c.exec("DROP SCHEMA IF EXISTS tallylog_index CASCADE;");
}

}  // namespace tallylog::index
