// Declared results against the verified sheets (`tallylog check-declared`). For each logged
// declaration, each declared area and each declared figure (a candidate's votes or a field):
//
//   verified    the sum over the tables counted in the tabulation (the verified sheets);
//   lower       verified minus the largest contribution of the counted tables the declaration may
//               legitimately omit: with a coverage claim of C tables (or p % of all tables) out of
//               N = registry tables + tables absent from the registry, up to N - C tables may be
//               missing from the declaration, so the k = min(counted in the area, N - C) largest
//               contributions are subtracted. No coverage stated: nothing may be omitted (said so);
//   upper       verified plus every voter the tables not counted could hold: registered voters of
//               uncounted registry tables, plus the tables absent from the registry — per table
//               (unregistered_voters + unregistered_tables x cap, as `bound`) or, when the
//               election states an official registry total for the area, at most that total minus
//               the registry's voters there (the smaller of the two is used unless told otherwise);
//               an uncounted registry table whose registered voters are unknown counts as one more
//               table absent from the registry (x cap);
//
// and every declared figure outside [lower, upper] with its margin. Arithmetic forensics on the
// declared figures themselves: the smallest number of decimals d (0..3) for which every declared
// candidate figure is the nearest whole number to base x a d-decimal percentage (base = declared
// valid votes, or the sum of the candidate figures), and the probability of that by chance when
// each figure's position between two such grid points is uniform: (10^(d+2) / base) per free
// figure (one fewer when the base is the figures' own sum). Definitions: docs/forensics.md.
//
// Pure: reads the tabulation and the declarations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/index/reader.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::forensics {

struct FigureCheck {
  std::string name;  // candidate code or field name
  bool candidate = true;
  int64_t declared = 0;
  int64_t verified = 0;
  int64_t omitted_max = 0;  // largest contribution of the counted tables that may be omitted
  int64_t lower = 0;        // verified - omitted_max
  uint64_t upper = 0;       // verified + capacity
  int64_t below = 0;        // lower - declared, when declared < lower
  int64_t above = 0;        // declared - upper, when declared > upper
  bool contradicted() const { return below > 0 || above > 0; }
};

struct AreaCheck {
  std::string level, area, name;  // area "" for national
  uint64_t tables_registered = 0;
  uint64_t tables_counted = 0;
  uint64_t registered_not_counted = 0;  // voters of registry tables without a counted sheet
  uint64_t unregistered_capacity = 0;   // voters the tables absent from the registry may hold
  std::string unregistered_basis;       // "registry-total" or "per-table"
  uint64_t capacity = 0;                // registered_not_counted + unregistered_capacity
  uint64_t omittable = 0;               // counted tables here the declaration may omit
  std::vector<FigureCheck> figures;     // candidates in election order, then fields
};

struct RoundCheck {
  std::string level, area;
  std::string skipped;  // why the test was not run (e.g. fewer than one figure, base too small)
  int64_t base = 0;
  std::string base_name;  // "valid" or "sum of the candidate figures"
  int decimals = -1;      // smallest d in 0..3 that fits every figure; -1: none does
  std::vector<std::pair<std::string, std::string>> percents;  // figure -> percentage at `decimals`
  int free_figures = 0;
  double probability = 1;  // of fitting at `decimals` by chance, under the stated model
};

struct DeclarationCheck {
  uint64_t log_index = 0;
  election::Declaration declaration;
  uint64_t total_tables = 0;  // registry tables + tables absent from the registry
  uint64_t covered_min = 0;   // tables the declaration covers at least, by its own claim
  std::string coverage_note;
  std::vector<AreaCheck> areas;
  std::vector<RoundCheck> round;
  size_t contradicted = 0;  // figures outside their interval
};

// `unregistered` chooses the cap for tables absent from the registry (as `bound`).
Result<std::vector<DeclarationCheck>> check_declarations(const tally::Tabulation& tab,
                                                         const std::vector<index::DeclarationRecord>& declarations,
                                                         tally::UnregisteredBasis unregistered);

RoundCheck round_percent_check(const election::DeclaredArea& area);

// `context`: JSON members to put first (log size, source rule), or empty.
std::string declared_to_json(const std::vector<DeclarationCheck>& checks, const std::string& context);
std::string declared_to_text(const std::vector<DeclarationCheck>& checks);

}  // namespace tallylog::forensics
