// Table-by-table reconciliation of two tabulations over the same Geography (two sources, or
// two rules): which tables match, which differ and in which counts (with both values), which
// only one side reports, and which are conflicted on either side. Per-area summaries at one
// level are sorted by the size of the difference, so the worst areas come first.
//
// Definitions (docs/formats/tally-json.md, "Compare"): a table is compared when both sides count
// it; it *matches* when every field and candidate count is equal, otherwise it *differs* and each
// unequal count is listed as {name, a, b} (fields by name, candidates by code). Conflicted tables
// (on either side) are reported apart and are neither matching nor differing.
//
// Pure: reads both tabulations, returns a value. Thread-safety: as the tabulations' reads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::tally {

struct FieldDifference {
  std::string name;  // a field ("valid", "null") or a candidate code ("EG")
  int64_t a = 0;
  int64_t b = 0;
};

struct TableDifference {
  AreaId table = kNoArea;
  std::string code;
  uint64_t log_index_a = 0;
  uint64_t log_index_b = 0;
  std::vector<FieldDifference> fields;  // fields first, then candidates, in definition order
  int64_t size = 0;                     // sum of |a - b| over the listed counts
};

struct AreaComparison {
  AreaId area = kNoArea;
  int64_t matching = 0;
  int64_t differing = 0;
  int64_t only_a = 0;
  int64_t only_b = 0;
  int64_t conflicted = 0;
  int64_t difference = 0;    // sum of TableDifference::size over its differing tables
  int64_t valid_only_a = 0;  // valid votes of tables only A reports
  int64_t valid_only_b = 0;
};

struct Comparison {
  std::string source_a;  // rule text
  std::string source_b;
  int64_t matching = 0;
  int64_t only_a = 0;
  int64_t only_b = 0;
  std::vector<TableDifference> differing;  // by table code
  std::vector<std::string> only_a_tables;  // codes, sorted
  std::vector<std::string> only_b_tables;
  std::vector<std::string> conflicted_tables;  // conflicted on either side
  int summary_depth = 1;
  // One per area of summary_depth with at least one table reported by either side, sorted by
  // difference, then tables only on one side, then code.
  std::vector<AreaComparison> areas;
};

// Fails with kInvalidArgument when the tabulations do not share one Geography or the depth is
// out of range. The same as summarize(*compare_tables(a, b), summary_depth).
Result<Comparison> compare(const Tabulation& a, const Tabulation& b, int summary_depth);

// The table-by-table part of a comparison, the same at every summary level, and what each table
// adds to its area's summary: computed once per pair of tabulations, then summarized at each
// level (issue 9: the server and the audit answer every pair at every level; the table loop and
// its lists were recomputed for each).
struct PairComparison {
  std::shared_ptr<const Geography> geography;
  // Every member but summary_depth and areas (empty).
  Comparison tables;
  // One per table reported by either side, in table order.
  enum class Kind : uint8_t { kMatching, kDiffering, kOnlyA, kOnlyB, kConflicted };
  struct TableFact {
    AreaId table = kNoArea;
    Kind kind = Kind::kMatching;
    int64_t amount = 0;  // kDiffering: the difference's size; kOnlyA/kOnlyB: the table's valid votes
  };
  std::vector<TableFact> facts;
};
// Fails with kInvalidArgument when the tabulations do not share one Geography.
Result<PairComparison> compare_tables(const Tabulation& a, const Tabulation& b);
// The comparison at one level: the pair's table part (copied) and its per-area summaries. Fails
// with kInvalidArgument when the depth is out of range.
Result<Comparison> summarize(const PairComparison& pair, int summary_depth);
// Only the per-area summaries at one level, sorted as Comparison::areas (no copy of the lists).
Result<std::vector<AreaComparison>> summarize_areas(const PairComparison& pair, int summary_depth);
// The same into `areas`, whose storage is reused: at the table level the summaries are one per
// table (tens of megabytes at national scale), asked for each pair of sources, and fresh memory
// for each cost a server 0.5 CPU-s of zeroed pages answering an audit (issue 9).
Status summarize_areas(const PairComparison& pair, int summary_depth, std::vector<AreaComparison>& areas);

}  // namespace tallylog::tally
