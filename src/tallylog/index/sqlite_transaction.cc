// The SQLite backend's write side: one IndexTransaction = one SQLite transaction (BEGIN
// IMMEDIATE ... COMMIT) on the writer connection. It stores rows as told; nothing here decides.
#include "tallylog/election/entry.h"
#include "tallylog/index/area_row.h"
#include "tallylog/index/sqlite_index_impl.h"
#include "tallylog/index/station_areas.h"

namespace tallylog::index {
namespace {

class SqliteTransaction final : public IndexTransaction {
 public:
  SqliteTransaction(SqliteIndex::Impl& m, uint64_t next) : m_(m), next_(next) {}
  ~SqliteTransaction() override {
    if (done_) return;
    std::lock_guard lock(m_.wmu);
    (void)m_.rollback.reset().run();
    m_.open_transaction = false;
  }

  uint64_t next_index() const override { return next_; }

  Status election(const election::Election& e, std::string_view entry) override {
    TL_TRY(m_.ins_election.reset().bind(1, index()).bind(2, e.id).bind(3, entry).run());
    ++next_;
    return ok();
  }

  Status station(const StationRow& row) override {
    const election::Station& s = row.station;
    const std::string areas = encode_station_areas(s.areas);
    const std::string_view name = s.areas.empty() ? std::string_view() : std::string_view(s.areas.back().name);
    m_.ins_station.reset()
        .bind(1, s.code)
        .bind(2, index())
        .bind_opt(3, s.registered)
        .bind(4, areas)
        .bind(5, name);
    if (row.parent == kNoAreaId) {
      m_.ins_station.bind_null(6);
    } else {
      m_.ins_station.bind(6, static_cast<int64_t>(row.parent));
    }
    TL_TRY(m_.ins_station.run());
    ++next_;
    return ok();
  }

  Status sheet(const SheetRow& s) override {
    if (s.log_index != next_) {
      return err(ErrorCode::kInternal, "index: sheet row for log index " + std::to_string(s.log_index) +
                                           " given at " + std::to_string(next_));
    }
    m_.ins_sheet.reset()
        .bind(1, index())
        .bind(2, s.station)
        .bind(3, s.source)
        .bind_blob(4, s.identity)
        .bind_blob(5, s.content)
        .bind_opt(6, s.supersedes)
        .bind_opt(7, s.corrects)
        .bind(8, s.conflicted ? 1 : 0);
    if (s.counts_error.empty()) {
      m_.ins_sheet.bind_blob(9, s.counts).bind_null(10);
    } else {
      m_.ins_sheet.bind_null(9).bind(10, s.counts_error);
    }
    TL_TRY(m_.ins_sheet.run());
    TL_TRY(m_.ins_entry.reset().bind(1, index()).bind(2, s.entry).run());
    if (!m_.sources.contains(std::string(s.source)) && new_sources_.emplace(s.source).second) {
      TL_TRY(m_.ins_source.reset().bind(1, s.source).run());
    }
    ++next_;
    return ok();
  }

  Status declaration(const election::Declaration& d, std::string_view entry) override {
    TL_TRY(m_.ins_declaration.reset().bind(1, index()).bind(2, d.source).bind(3, entry).run());
    ++next_;
    return ok();
  }

  Status skip(std::string_view why) override {
    TL_TRY(m_.ins_skipped.reset().bind(1, index()).bind(2, why).run());
    ++next_;
    return ok();
  }

  Status set_standing(uint64_t log_index, std::optional<uint64_t> superseded_by, bool conflicted) override {
    return m_.set_standing.reset()
        .bind(1, static_cast<int64_t>(log_index))
        .bind_opt(2, superseded_by)
        .bind(3, conflicted ? 1 : 0)
        .run();
  }

  Status put_area(const AreaRow& a) override {
    m_.put_area.reset()
        .bind(1, static_cast<int64_t>(a.id))
        .bind(2, static_cast<int64_t>(a.depth))
        .bind(3, a.code)
        .bind(4, a.name)
        .bind(6, a.name_from)
        .bind(7, static_cast<int64_t>(a.tables_registered))
        .bind(8, static_cast<int64_t>(a.registered_voters))
        .bind(9, static_cast<int64_t>(a.tables_registered_unknown));
    if (a.parent == kNoAreaId) {
      m_.put_area.bind_null(5);
    } else {
      m_.put_area.bind(5, static_cast<int64_t>(a.parent));
    }
    return m_.put_area.run();
  }

  Status put_rule(uint32_t id, std::string_view text) override {
    return m_.put_rule.reset().bind(1, static_cast<int64_t>(id)).bind(2, text).run();
  }

  Status put_area_totals(uint32_t rule, int depth, uint32_t area, std::string_view row) override {
    return area_key(m_.put_totals, rule, depth, area).bind_blob(4, row).run();
  }

  Status set_aggregates_state(std::string_view why_not_exact) override {
    return m_.set_state.reset().bind(1, why_not_exact).run();
  }

  Status add_area_totals(uint32_t rule, int depth, uint32_t area, std::span<const int64_t> delta) override {
    const std::string row = encode_area_row(delta);  // bound SQLITE_STATIC: lives past run()
    return area_key(m_.add_totals, rule, depth, area).bind_blob(4, row).run();
  }

  Result<std::optional<std::string>> area_totals(uint32_t rule, int depth, uint32_t area) override {
    auto& s = area_key(m_.get_totals, rule, depth, area);
    TL_ASSIGN_OR_RETURN(bool row, s.step());
    std::optional<std::string> out;
    if (row) out = std::string(s.blob(0));
    s.reset();
    return out;
  }

  Status for_each_current_count(std::string_view station, const std::function<void(const CountRecord&)>& fn) override {
    auto& s = m_.station_counts.reset().bind(1, station);
    CountRecord rec;
    while (true) {
      TL_ASSIGN_OR_RETURN(bool row, s.step());
      if (!row) break;
      rec.log_index = static_cast<uint64_t>(s.i64(0));
      rec.station = s.text(1);
      rec.source = s.text(2);
      rec.corrects = s.opt_u64(3);
      rec.conflicted = s.i64(4) != 0;
      rec.counts = s.blob(5);
      rec.counts_error = s.text(6);
      fn(rec);
    }
    s.reset();
    return ok();
  }

  Status commit() override {
    std::lock_guard lock(m_.wmu);
    TL_TRY(m_.set_size.reset().bind(1, index()).run());
    TL_TRY(m_.commit.reset().run());
    m_.indexed = next_;
    m_.open_transaction = false;
    m_.sources.merge(new_sources_);
    done_ = true;
    return ok();
  }

 private:
  int64_t index() const { return static_cast<int64_t>(next_); }
  // `s` reset, with an area totals row's key bound to ?1 (rule), ?2 (depth) and ?3 (area).
  static sqlite::Stmt& area_key(sqlite::Stmt& s, uint32_t rule, int depth, uint32_t area) {
    return s.reset()
        .bind(1, static_cast<int64_t>(rule))
        .bind(2, static_cast<int64_t>(depth))
        .bind(3, static_cast<int64_t>(area));
  }

  SqliteIndex::Impl& m_;
  uint64_t next_;
  bool done_ = false;
  std::unordered_set<std::string> new_sources_;
};

}  // namespace

Result<std::unique_ptr<IndexTransaction>> SqliteIndex::begin() {
  std::lock_guard lock(impl_->wmu);
  if (impl_->open_transaction) return err(ErrorCode::kInternal, "index: a write transaction is already open");
  TL_TRY(impl_->begin.reset().run());
  impl_->open_transaction = true;
  return std::unique_ptr<IndexTransaction>(new SqliteTransaction(*impl_, impl_->indexed));
}

}  // namespace tallylog::index
