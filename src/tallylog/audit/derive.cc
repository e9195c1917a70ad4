#include "tallylog/audit/derive.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "tallylog/audit/json_diff.h"
#include "tallylog/index/memory_index.h"
#include "tallylog/ingest/derive.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/from_index.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/local_race.h"
#include "tallylog/tally/source_rule.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::audit {
namespace {

class LogDerivation final : public Derivation {
 public:
  uint64_t size() const override { return size_; }

  Status prepare(const std::vector<std::string>& texts) override {
    std::vector<tally::SourceRule> todo;
    Status first = ok();
    for (const std::string& text : texts) {
      auto rule = tally::SourceRule::parse(text.empty() ? "*" : text);
      if (!rule) {
        if (first) first = std::unexpected(rule.error());
        continue;
      }
      if (tabs_.count(rule->to_string()) == 0 &&
          std::none_of(todo.begin(), todo.end(), [&](const auto& r) { return r.to_string() == rule->to_string(); }))
        todo.push_back(std::move(*rule));
    }
    // Each tabulation reads the index (thread-safe for readers) and the shared geography only.
    std::vector<std::optional<Result<tally::Tabulation>>> done(todo.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < todo.size();) done[i] = tally::tabulate_index(*index_, geo_, todo[i]);
    };
    std::vector<std::thread> threads;
    const size_t n = std::min<size_t>(todo.size(), std::max(1u, std::thread::hardware_concurrency()));
    for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    for (size_t i = 0; i < todo.size(); ++i) {
      if (!*done[i]) {
        if (first) first = std::unexpected(done[i]->error());
        continue;
      }
      tabs_.emplace(todo[i].to_string(), std::make_unique<tally::Tabulation>(std::move(**done[i])));
    }
    return first;
  }

  Result<std::string> answer(const std::string& path, const std::map<std::string, std::string>& q,
                             std::optional<uint64_t> log_size) override {
    std::string out;
    TL_TRY(answer_streamed(path, q, log_size, [&](std::string_view piece) { out += piece; }));
    return out;
  }

  Result<uint64_t> answer_streamed(const std::string& path, const std::map<std::string, std::string>& q,
                         std::optional<uint64_t> log_size, const std::function<void(std::string_view)>& sink) override {
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
      // A local race refuses levels above its decided one, as the server does (tally/local_race.h).
      TL_TRY(tally::check_report_depth(geo_->election(), d));
      const uint64_t figures = tally::tally_to_json(*t, d, log_size, sink);
      sink("\n");
      return figures;
    }
    if (path == "/api/v1/compare") {
      TL_ASSIGN_OR_RETURN(tally::Tabulation * a, tabulation(param("a")));
      TL_ASSIGN_OR_RETURN(tally::Tabulation * b, tabulation(param("b")));
      TL_ASSIGN_OR_RETURN(int d, depth());
      // Each pair is asked at every level: compared table by table once, its level-independent
      // JSON formatted once, then summarized per level (the same bytes as compare() at that level).
      const std::string key = a->rule_text() + "|" + b->rule_text() + "|" + (log_size ? std::to_string(*log_size) : "");
      auto it = pairs_.find(key);
      if (it == pairs_.end()) {
        if (pairs_.size() >= 2) pairs_.clear();  // bounded memory: the routes come pair by pair
        TL_ASSIGN_OR_RETURN(auto pair, tally::compare_tables(*a, *b));
        uint64_t head_figures = 0;
        std::string head = tally::compare_head_json(pair.tables, log_size, &head_figures);
        it = pairs_.emplace(key, Pair{std::move(pair), std::move(head), head_figures}).first;
      }
      std::vector<tally::AreaComparison>& areas = areas_scratch_;  // reused: a table-level one is tens of MB
      TL_TRY(tally::summarize_areas(it->second.pair, d, areas));
      const uint64_t figures = it->second.head_figures + tally::compare_to_json(it->second.head, d, areas, *geo_, sink);
      sink("\n");
      return figures;
    }
    if (path == "/api/v1/bound") {
      TL_ASSIGN_OR_RETURN(tally::Tabulation * t, tabulation(param("source")));
      if (tally::decided_depth(geo_->election()) >
          0) {  // a local race: one bound per area, as the server
        TL_ASSIGN_OR_RETURN(auto bounds, tally::outcome_bounds_per_area(*t));
        const std::string text = tally::bounds_to_json(bounds, *geo_, log_size) + "\n";
        sink(text);
        return count_figures(text);  // a few kilobytes
      }
      TL_ASSIGN_OR_RETURN(auto b, tally::outcome_bound(*t));
      const std::string text = tally::bound_to_json(b, *geo_, log_size) + "\n";
      sink(text);
      return count_figures(text);
    }
    return err(ErrorCode::kInvalidArgument, "no derivation for " + path);
  }

  // Entries [0, size) through the project's one derivation (ingest::Deriver: the verdict rule,
  // corrections, stations) into a fresh index of our own; nothing of the server's is read.
  Status replay(const log::LogReader& log, uint64_t size, const std::string& contest) {
    size_ = size;
    // In memory: nothing touches disk, and the whole log goes in ONE transaction (each transaction
    // of the memory backend copies the state).
    index_ = index::make_memory_index();
    ingest::Deriver deriver(contest);
    // The answers are derived per sheet (tally::tabulate_index): the per-area totals a server's
    // index keeps would be accumulated for nothing (AreaAggregator::add_row alone: 3.4 % of the
    // audit's samples at a million entries, docs/benchmarks.md).
    deriver.skip_area_totals();
    TL_TRY(ingest::catch_up(*index_, deriver, log, size, {}, UINT64_MAX));
    auto election = index_->election();
    if (!election)
      return err(ErrorCode::kFailedPrecondition, "the log has no election entry in its first " + std::to_string(size) + " entries");
    TL_ASSIGN_OR_RETURN(geo_, tally::geography_from_index(*index_));
    return ok();
  }

 private:
  // The tabulation of a rule, read from the derived index as the server reads its own.
  Result<tally::Tabulation*> tabulation(const std::string& text) {
    auto rule = tally::SourceRule::parse(text.empty() ? "*" : text);
    if (!rule) return std::unexpected(rule.error());
    auto key = rule->to_string();
    auto it = tabs_.find(key);
    if (it == tabs_.end()) {
      TL_ASSIGN_OR_RETURN(auto t, tally::tabulate_index(*index_, geo_, *rule));
      it = tabs_.emplace(key, std::make_unique<tally::Tabulation>(std::move(t))).first;
    }
    return it->second.get();
  }

  struct Pair {
    tally::PairComparison pair;
    std::string head;           // tally::compare_head_json
    uint64_t head_figures = 0;  // the numbers in it
  };

  uint64_t size_ = 0;
  std::map<std::string, Pair> pairs_;  // by "a|b|log size"
  std::vector<tally::AreaComparison> areas_scratch_;
  std::unique_ptr<index::Index> index_;
  std::shared_ptr<const tally::Geography> geo_;
  std::map<std::string, std::unique_ptr<tally::Tabulation>> tabs_;
};

}  // namespace

Result<std::unique_ptr<Derivation>> Derivation::build(const log::LogReader& log, uint64_t size,
                                                      const std::string& contest) {
  auto d = std::make_unique<LogDerivation>();
  TL_TRY(d->replay(log, size, contest));
  return std::unique_ptr<Derivation>(std::move(d));
}

}  // namespace tallylog::audit
