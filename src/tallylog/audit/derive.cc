#include "tallylog/audit/derive.h"

#include <vector>

#include "tallylog/election/entry.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/source_rule.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::audit {
namespace {

class LogDerivation final : public Derivation {
 public:
  uint64_t size() const override { return size_; }

  Result<std::string> answer(const std::string& path, const std::map<std::string, std::string>& q) override {
    auto param = [&](const char* k) -> std::string {
      auto it = q.find(k);
      return it == q.end() ? "" : it->second;
    };
    auto depth = [&]() -> Result<int> {
      std::string level = param("level");
      if (level.empty()) return std::min(1, geo_->depth_count() - 1);
      auto d = geo_->depth_of(level);
      if (!d) return err(ErrorCode::kInvalidArgument, "level: unknown level '" + level + "'");
      return *d;
    };
    if (path == "/api/v1/tally") {
      TL_ASSIGN_OR_RETURN(tally::Tabulation * t, tabulation(param("source")));
      TL_ASSIGN_OR_RETURN(int d, depth());
      return tally::tally_to_json(*t, d) + "\n";
    }
    if (path == "/api/v1/compare") {
      TL_ASSIGN_OR_RETURN(tally::Tabulation * a, tabulation(param("a")));
      TL_ASSIGN_OR_RETURN(tally::Tabulation * b, tabulation(param("b")));
      TL_ASSIGN_OR_RETURN(int d, depth());
      TL_ASSIGN_OR_RETURN(auto c, tally::compare(*a, *b, d));
      return tally::compare_to_json(c, *geo_) + "\n";
    }
    if (path == "/api/v1/bound") {
      TL_ASSIGN_OR_RETURN(tally::Tabulation * t, tabulation(param("source")));
      TL_ASSIGN_OR_RETURN(auto b, tally::outcome_bound(*t));
      return tally::bound_to_json(b, *geo_) + "\n";
    }
    return err(ErrorCode::kInvalidArgument, "no derivation for " + path);
  }

  Status replay(const log::LogReader& log, uint64_t size) {
    size_ = size;
    std::optional<election::Election> election;
    std::map<std::string, election::Station> stations;
    TL_TRY(log.for_each_entry(0, size, [&](uint64_t i, std::string_view bytes) -> Status {
      if (!election::is_record_entry(bytes)) return ok();  // not one of our records: the index skips it too
      auto e = election::decode_entry(bytes);
      if (!e) return err(ErrorCode::kCorrupt, "log entry " + std::to_string(i) + ": " + e.error().message);
      switch (e->type) {
        case election::EntryType::kElection:
          if (!election) election = std::get<election::Election>(std::move(e->record));
          break;
        case election::EntryType::kStation: {
          auto& s = std::get<election::Station>(e->record);
          std::string code = s.code;
          stations.insert_or_assign(std::move(code), std::move(s));
          break;
        }
        case election::EntryType::kSheet: {
          index::SheetRecord r;
          r.log_index = i;
          r.sheet = std::get<election::Sheet>(std::move(e->record));
          sheets_.push_back(std::move(r));
          break;
        }
        default:
          break;  // other record types publish no total
      }
      return ok();
    }));
    if (!election) return err(ErrorCode::kFailedPrecondition, "the log has no election entry in its first " + std::to_string(size) + " entries");
    std::vector<election::Station> list;
    list.reserve(stations.size());
    for (auto& [code, s] : stations) list.push_back(std::move(s));
    TL_ASSIGN_OR_RETURN(geo_, tally::Geography::build(*election, list));
    return ok();
  }

 private:
  Result<tally::Tabulation*> tabulation(const std::string& text) {
    auto rule = tally::SourceRule::parse(text.empty() ? "*" : text);
    if (!rule) return std::unexpected(rule.error());
    auto key = rule->to_string();
    auto it = tabs_.find(key);
    if (it == tabs_.end()) {
      auto t = std::make_unique<tally::Tabulation>(geo_, *rule);
      // In log order, as the live server applies them: a correction retracts what it supersedes.
      for (const auto& r : sheets_) TL_TRY(t->add_deferred(r));
      t->recompute_totals();
      it = tabs_.emplace(key, std::move(t)).first;
    }
    return it->second.get();
  }

  uint64_t size_ = 0;
  std::shared_ptr<const tally::Geography> geo_;
  std::vector<index::SheetRecord> sheets_;
  std::map<std::string, std::unique_ptr<tally::Tabulation>> tabs_;
};

}  // namespace

Result<std::unique_ptr<Derivation>> Derivation::build(const log::LogReader& log, uint64_t size) {
  auto d = std::make_unique<LogDerivation>();
  TL_TRY(d->replay(log, size));
  return std::unique_ptr<Derivation>(std::move(d));
}

}  // namespace tallylog::audit
