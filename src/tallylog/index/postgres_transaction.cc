// The PostgreSQL backend's write side: one IndexTransaction = one PostgreSQL transaction on the
// writer connection. It stores rows as told; nothing here decides. Rows are buffered and sent in
// bulk (binary COPY) before any read that needs them and at commit.
#include <map>

#include "tallylog/index/postgres_index_impl.h"
#include "tallylog/index/station_areas.h"

namespace tallylog::index {
namespace {

using pg::Params;
using pg::Row;

struct BufferedSheet {
  uint64_t log_index = 0;
  std::string station, source, identity, content;
  std::optional<uint64_t> supersedes, corrects, superseded_by;
  bool conflicted = false;
  std::optional<std::string> counts, counts_error;
  std::string entry;
};

struct BufferedStation {
  uint64_t log_index = 0;
  std::optional<uint64_t> registered;
  std::string areas, name;
  uint32_t parent = kNoAreaId;
};

void put_parent(pg::CopyWriter& w, uint32_t parent) {
  if (parent == kNoAreaId) {
    w.null();
  } else {
    w.i64(parent);
  }
}

class PostgresTransaction final : public IndexTransaction {
 public:
  PostgresTransaction(PostgresImpl& m, uint64_t next) : m_(m), next_(next) {}
  ~PostgresTransaction() override {
    if (done_) return;
    std::lock_guard lock(m_.wmu);
    (void)m_.w.exec("ROLLBACK");
    m_.open_transaction = false;
  }

  uint64_t next_index() const override { return next_; }

  Status election(const election::Election& e, std::string_view entry) override {
    TL_TRY(m_.w.call("w_election", Params().u64(next_).bytes(e.id).bytes(entry)));
    ++next_;
    return ok();
  }

  Status station(const StationRow& row) override {
    const election::Station& s = row.station;
    BufferedStation& b = stations_[s.code];
    b.log_index = next_;
    b.registered = s.registered;
    b.areas = encode_station_areas(s.areas);
    b.name = s.areas.empty() ? std::string() : s.areas.back().name;
    b.parent = row.parent;
    ++next_;
    return ok();
  }

  Status sheet(const SheetRow& s) override {
    if (s.log_index != next_) {
      return err(ErrorCode::kInternal, "index: sheet row for log index " + std::to_string(s.log_index) +
                                           " given at " + std::to_string(next_));
    }
    BufferedSheet b;
    b.log_index = next_;
    b.station = s.station;
    b.source = s.source;
    b.identity = s.identity;
    b.content = s.content;
    b.supersedes = s.supersedes;
    b.corrects = s.corrects;
    b.conflicted = s.conflicted;
    if (s.counts_error.empty()) {
      b.counts = std::string(s.counts);
    } else {
      b.counts_error = std::string(s.counts_error);
    }
    b.entry = s.entry;
    buffered_at_[next_] = sheets_.size();
    sheets_.push_back(std::move(b));
    if (!m_.sources.contains(std::string(s.source)) && new_sources_.emplace(s.source).second) {
      TL_TRY(m_.w.call("w_source", Params().bytes(s.source)));
    }
    ++next_;
    return ok();
  }

  Status declaration(const election::Declaration& d, std::string_view entry) override {
    TL_TRY(m_.w.call("w_declaration", Params().u64(next_).bytes(d.source).bytes(entry)));
    ++next_;
    return ok();
  }

  Status skip(std::string_view why) override {
    TL_TRY(m_.w.call("w_skipped", Params().u64(next_).bytes(why)));
    ++next_;
    return ok();
  }

  Status set_standing(uint64_t log_index, std::optional<uint64_t> superseded_by, bool conflicted) override {
    if (auto it = buffered_at_.find(log_index); it != buffered_at_.end()) {
      sheets_[it->second].superseded_by = superseded_by;
      sheets_[it->second].conflicted = conflicted;
      return ok();
    }
    return m_.w.call("w_standing", Params().u64(log_index).opt(superseded_by).i64(conflicted ? 1 : 0))
        ;
  }

  Status put_area(const AreaRow& a) override {
    areas_[a.id] = a;
    return ok();
  }

  Status put_rule(uint32_t id, std::string_view text) override {
    return m_.w.call("w_rule", Params().u64(id).bytes(text));
  }

  Status put_area_totals(uint32_t rule, int depth, uint32_t area, std::string_view row) override {
    totals_[{rule, depth, area}] = std::string(row);
    return ok();
  }

  Status set_aggregates_state(std::string_view why_not_exact) override {
    return m_.w.call("w_state", Params().bytes(why_not_exact));
  }

  Result<std::optional<std::string>> area_totals(uint32_t rule, int depth, uint32_t area) override {
    const auto key = std::make_tuple(rule, depth, area);
    if (auto it = totals_.find(key); it != totals_.end()) return std::optional<std::string>(it->second);
    std::lock_guard lock(m_.wmu);
    if (!m_.totals_loaded) {
      // Every committed total at once (a few per area and rule): far cheaper than a round trip each.
      m_.totals.clear();
      TL_TRY(m_.w.stream("w_all_totals", {}, [&](const Row& s) -> Status {
        m_.totals[{static_cast<uint32_t>(s.i64(0)), static_cast<int>(s.i64(1)), static_cast<uint32_t>(s.i64(2))}] =
            std::string(s.bytes(3));
        return ok();
      }));
      m_.totals_loaded = true;
      m_.totals_at = next_at_begin_;
    }
    if (auto it = m_.totals.find(key); it != m_.totals.end()) return std::optional<std::string>(it->second);
    return std::optional<std::string>();
  }

  Status for_each_current_count(std::string_view station, const std::function<void(const CountRecord&)>& fn) override {
    TL_TRY(flush_sheets());
    CountRecord rec;
    return m_.w.stream("w_station_counts", Params().bytes(station), [&](const Row& s) -> Status {
      read_count_row(s, rec);
      fn(rec);
      return ok();
    });
  }

  Status commit() override {
    TL_TRY(flush_sheets());
    TL_TRY(flush_upserts());
    std::lock_guard lock(m_.wmu);
    // A reconnection since BEGIN means the server rolled this transaction back: whatever ran
    // after it ran on its own, so nothing here may commit (the caller catches up from the log).
    if (m_.w.generation() != generation_at_begin_)
      return err(ErrorCode::kUnavailable, "index: the connection to PostgreSQL was lost during the transaction");
    TL_TRY(m_.w.call("w_size", Params().u64(next_)));
    TL_TRY(m_.w.exec("COMMIT"));
    m_.open_transaction = false;
    m_.sources.merge(new_sources_);
    if (m_.totals_loaded) {
      for (auto& [k, v] : totals_) m_.totals[k] = std::move(v);
      m_.totals_at = next_;
    }
    done_ = true;
    return ok();
  }

  uint64_t next_at_begin_ = 0;
  uint64_t generation_at_begin_ = 0;

 private:
  Status flush_sheets() {
    if (sheets_.empty()) return ok();
    pg::CopyWriter w;
    for (const BufferedSheet& b : sheets_) {
      w.row(11);
      w.i64(static_cast<int64_t>(b.log_index));
      w.bytes(b.station);
      w.bytes(b.source);
      w.bytes(b.identity);
      w.bytes(b.content);
      w.opt(b.supersedes);
      w.opt(b.corrects);
      w.opt(b.superseded_by);
      w.i64(b.conflicted ? 1 : 0);
      if (b.counts) {
        w.bytes(*b.counts);
        w.null();
      } else {
        w.null();
        w.bytes(*b.counts_error);
      }
    }
    TL_TRY(m_.w.copy_in(
        "COPY sheets(log_index, station, source, identity, content, supersedes, corrects, superseded_by, conflicted, "
        "counts, counts_error) FROM STDIN (FORMAT binary)",
        w.finish()));
    for (const BufferedSheet& b : sheets_) {
      w.row(2);
      w.i64(static_cast<int64_t>(b.log_index));
      w.bytes(b.entry);
    }
    TL_TRY(m_.w.copy_in("COPY entries(log_index, entry) FROM STDIN (FORMAT binary)", w.finish()));
    sheets_.clear();
    buffered_at_.clear();
    return ok();
  }

  // Stations, areas and totals are upserts: COPY into a temporary table, then one INSERT ... ON
  // CONFLICT (each key appears once: the buffers are maps).
  Status flush_upserts() {
    pg::CopyWriter w;
    if (!stations_.empty()) {
      for (const auto& [code, b] : stations_) {
        w.row(6);
        w.bytes(code);
        w.i64(static_cast<int64_t>(b.log_index));
        w.opt(b.registered);
        w.bytes(b.areas);
        w.bytes(b.name);
        put_parent(w, b.parent);
      }
      TL_TRY(upsert("stations", "code, log_index, registered, areas, name, parent", "code",
                    "log_index=EXCLUDED.log_index, registered=EXCLUDED.registered, areas=EXCLUDED.areas, "
                    "name=EXCLUDED.name, parent=EXCLUDED.parent",
                    w.finish()));
      stations_.clear();
    }
    if (!areas_.empty()) {
      for (const auto& [id, a] : areas_) {
        w.row(9);
        w.i64(id);
        w.i64(a.depth);
        w.bytes(a.code);
        w.bytes(a.name);
        put_parent(w, a.parent);
        w.bytes(a.name_from);
        w.i64(static_cast<int64_t>(a.tables_registered));
        w.i64(static_cast<int64_t>(a.registered_voters));
        w.i64(static_cast<int64_t>(a.tables_registered_unknown));
      }
      TL_TRY(upsert("areas", "id, depth, code, name, parent, name_from, tables, voters, unknown", "id",
                    "depth=EXCLUDED.depth, code=EXCLUDED.code, name=EXCLUDED.name, parent=EXCLUDED.parent, "
                    "name_from=EXCLUDED.name_from, tables=EXCLUDED.tables, voters=EXCLUDED.voters, "
                    "unknown=EXCLUDED.unknown",
                    w.finish()));
      areas_.clear();
    }
    if (!totals_.empty()) {
      for (const auto& [k, row] : totals_) {
        w.row(4);
        w.i64(std::get<0>(k));
        w.i64(std::get<1>(k));
        w.i64(std::get<2>(k));
        w.bytes(row);
      }
      TL_TRY(upsert("area_totals", "rule, depth, area, row", "rule, depth, area", "row=EXCLUDED.row", w.finish()));
    }
    return ok();
  }

  Status upsert(const std::string& table, const std::string& columns, const std::string& key,
                const std::string& set, std::string_view data) {
    const std::string tmp = "pg_temp.new_" + table;
    TL_TRY(m_.w.exec("CREATE TEMPORARY TABLE IF NOT EXISTS new_" + table + " (LIKE " + table +
                     ") ON COMMIT DELETE ROWS"));
    TL_TRY(m_.w.copy_in("COPY " + tmp + "(" + columns + ") FROM STDIN (FORMAT binary)", data));
    return m_.w.exec("INSERT INTO " + table + "(" + columns + ") SELECT " + columns + " FROM " + tmp +
                     " ON CONFLICT (" + key + ") DO UPDATE SET " + set);
  }

  PostgresImpl& m_;
  uint64_t next_;
  bool done_ = false;
  std::unordered_set<std::string> new_sources_;
  std::vector<BufferedSheet> sheets_;
  std::map<uint64_t, size_t> buffered_at_;
  std::map<std::string, BufferedStation> stations_;
  std::map<uint32_t, AreaRow> areas_;
  std::map<std::tuple<uint32_t, int, uint32_t>, std::string> totals_;
};

}  // namespace

Status prepare_writer_statements(PostgresImpl& m) {
  const std::pair<const char*, const char*> writes[] = {
      {"w_lock_size", "SELECT value FROM meta WHERE key='indexed_size' FOR UPDATE"},
      {"w_size", "UPDATE meta SET value=$1 WHERE key='indexed_size'"},
      {"w_election",
       "INSERT INTO election(log_index, id, entry) VALUES($1, $2, $3) "
       "ON CONFLICT (log_index) DO UPDATE SET id=EXCLUDED.id, entry=EXCLUDED.entry"},
      {"w_source", "INSERT INTO sources(name) VALUES($1) ON CONFLICT DO NOTHING"},
      {"w_declaration", "INSERT INTO declarations(log_index, source, entry) VALUES($1, $2, $3)"},
      {"w_skipped",
       "INSERT INTO skipped(log_index, reason) VALUES($1, $2) ON CONFLICT (log_index) DO UPDATE SET reason=EXCLUDED.reason"},
      {"w_standing", "UPDATE sheets SET superseded_by=$2, conflicted=$3 WHERE log_index=$1"},
      {"w_rule", "INSERT INTO rules(id, text) VALUES($1, $2) ON CONFLICT (id) DO UPDATE SET text=EXCLUDED.text"},
      {"w_state", "UPDATE meta_text SET value=$1 WHERE key='aggregates'"},
      {"w_all_totals", "SELECT rule, depth, area, row FROM area_totals"},
      {"w_station_counts",
       "SELECT log_index, station, source, corrects, conflicted, counts, counts_error "
       "FROM sheets WHERE station=$1 AND superseded_by IS NULL ORDER BY log_index"},
  };
  for (const auto& [name, sql] : writes) TL_TRY(m.w.prepare(name, sql));
  return ok();
}

Result<std::unique_ptr<IndexTransaction>> begin_postgres_transaction(PostgresImpl& m) {
  std::lock_guard lock(m.wmu);
  if (m.open_transaction) return err(ErrorCode::kInternal, "index: a write transaction is already open");
  TL_TRY(m.w.exec("BEGIN"));
  // The meta row's lock makes writers (in any process) take turns; its value is where this
  // transaction starts.
  auto r = m.w.run("w_lock_size");
  if (!r) {
    (void)m.w.exec("ROLLBACK");
    return std::unexpected(r.error());
  }
  const uint64_t next = PQntuples(r->get()) ? static_cast<uint64_t>(Row(r->get(), 0).i64(0)) : 0;
  if (m.totals_loaded && m.totals_at != next) m.totals_loaded = false;  // someone else wrote
  m.open_transaction = true;
  auto tx = std::make_unique<PostgresTransaction>(m, next);
  tx->next_at_begin_ = next;
  tx->generation_at_begin_ = m.w.generation();
  return std::unique_ptr<IndexTransaction>(std::move(tx));
}

}  // namespace tallylog::index
