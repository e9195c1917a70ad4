// The only code that turns records into index writes: the ingestor (for records it is about to
// log), catch-up and `reindex` (for entries read back from the log) all go through a Deriver, so
// the same log always yields the same index, whichever path wrote it.
//
// It holds what deciding and deriving need in memory:
//   - the verdict rule's state (index::SheetLedger: every station and sheet, compact);
//   - the areas above the tables (ids, parents, names, registry totals), kept in the index so a
//     tally reads them instead of a million stations;
//   - the materialised source rules and the per-area totals being accumulated for the open
//     transaction (tally/aggregates.h).
// The index is told what to store (index::IndexTransaction); it decides nothing.
//
// Two sides, so the ingestor can check batch N+1 while batch N is written:
//   - rule side (decide/accept/accept_station): the caller's thread; touches the ledger and areas;
//   - store side (write_*/finish): the thread writing the transaction; touches the aggregator.
// accept_station() must not run while a write_sheet()/finish() of an earlier batch is in flight
// (the ingestor joins its index work before registering stations); otherwise the two sides share
// nothing mutable. apply_entry() does both, for catch-up and reindex.
//
// Area totals stay exact for every log the ingestor writes. Logs it would never write (a station
// registered twice or after sheets for it, an inconsistent area hierarchy, a sheet whose counts
// the election cannot hold) make the deriver mark them inexact, with the reason; readers then
// recompute from the per-sheet counts (tally/from_index.h), and `reindex` reaches the same state.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/index/ledger.h"
#include "tallylog/index/writer.h"
#include "tallylog/log/log.h"
#include "tallylog/tally/aggregates.h"
#include "tallylog/tally/count_vector.h"

namespace tallylog::ingest {

// What the identity digest of the sheet would be without `supersedes`: what the sheet says,
// whatever it corrects (32 bytes). Equal to `identity_digest` when supersedes is unset.
std::string sheet_content_digest(const election::Sheet& sheet, std::string_view identity_digest);

// A sheet the rule side accepted for logging at `log_index`, with what the store side needs.
struct AcceptedSheet {
  uint64_t log_index = 0;
  index::Digest identity{};
  index::Digest content{};
  index::SheetDecision decision;
  uint32_t parent = index::kNoAreaId;  // the table's parent area; kNoAreaId: not in the registry
  std::optional<uint64_t> registered;  // nullopt: unknown
  bool had_current = false;  // the station had a current sheet (of any source) before this one
};

// Contests (election/contest.h): a deriver derives the index of ONE contest, named by its tag
// ("" for a single-contest election). The election it stores is that contest's single-contest
// view; sheets and declarations of other contests are skipped (recorded as skipped, so the index still reflects
// every log entry); stations are every contest's. Deriving a log whose election has several
// contests with the tag "" fails, listing them.
class Deriver {
 public:
  // A deriver for an empty index (reindex).
  explicit Deriver(std::string contest = {});
  // Loads the state of an index (every station and sheet summary, areas, rules).
  static Result<std::unique_ptr<Deriver>> load(index::IndexReader& reader, std::string contest = {});
  const std::string& contest() const { return contest_; }
  ~Deriver();
  // For an index only ever read per sheet (tally::tabulate_index, tally::geography_from_index),
  // as the audit's private re-derivation is: no per-area totals are accumulated or stored
  // (areas, sheets, standings and rules are, as always). Such an index must not be read with
  // tally::stored_tally or served. Call before the election entry is applied.
  void skip_area_totals() { area_totals_ = false; }

  // ---- rule side ----
  const index::SheetLedger& ledger() const { return ledger_; }
  // The facts the rule needs of a sheet, given its identity digest (interns its source).
  index::SheetFacts facts(const election::Sheet& sheet, std::string_view identity_digest);
  // Decides a submission for a REGISTERED station.
  index::SheetDecision decide(index::SheetLedger::StationId station, const index::SheetFacts& facts,
                              std::string_view source) const;
  // Records a logged sheet (decision.logged()) in the ledger.
  AcceptedSheet accept(index::SheetLedger::StationId station, uint64_t log_index, const index::SheetFacts& facts,
                       index::SheetDecision decision);
  // The code of the area at `depth` (1 = the first level) above a REGISTERED station (its
  // registry record's), or empty when it has none there.
  std::string area_of(index::SheetLedger::StationId station, int depth) const;
  // Registers a station about to be logged; returns its parent area (areas created as needed).
  uint32_t accept_station(const election::Station& station);

  // ---- store side ----
  // `entry` is the sheet's canonical entry (its log bytes).
  Status write_sheet(index::IndexTransaction& tx, const election::Sheet& sheet, const AcceptedSheet& accepted,
                     std::string_view entry);
  Status write_station(index::IndexTransaction& tx, const election::Station& station, uint32_t parent);
  // A sheet of another contest than this deriver's: recorded as skipped.
  Status skip_sheet(index::IndexTransaction& tx, const election::Sheet& sheet);
  Status write_election(index::IndexTransaction& tx, const election::Election& election, std::string_view entry);
  // An authority's announced aggregate (election/declaration.h), already validated by the caller
  // when it is about to be logged; it touches no ledger, area or total. A declaration of another
  // contest than this deriver's is recorded as skipped, as sheets are.
  Status write_declaration(index::IndexTransaction& tx, const election::Declaration& declaration,
                           std::string_view entry);
  // Writes the areas, rules and area totals this transaction changed; call before commit().
  Status finish(index::IndexTransaction& tx);

  // ---- both: one entry read back from the log, at tx.next_index() ----
  Status apply_entry(index::IndexTransaction& tx, std::string_view entry);

 private:
  struct Areas;
  void not_exact(std::string why);  // the first reason wins
  uint32_t parent_of(uint32_t area) const;

  std::string contest_;
  index::SheetLedger ledger_;
  std::optional<election::Election> election_;
  tally::CountLayout layout_;
  tally::MaterialisedRules rules_;
  size_t rules_stored_ = 0;  // rules [0, rules_stored_) are in the index
  std::unique_ptr<Areas> areas_;
  std::unique_ptr<tally::AreaAggregator> aggregator_;
  bool area_totals_ = true;  // skip_area_totals()
  std::string why_not_exact_;
  bool state_dirty_ = false;
  std::vector<tally::CountVector> table_counts_;
  std::vector<tally::SourcedSheet> before_, after_;  // reused by write_sheet
  std::vector<std::string> before_sources_;
};

// Applies log entries [index's indexed_size, end) to `index` through `deriver`, in transactions
// of `chunk` entries. `end` defaults to the log's size. Fails when the index holds more entries
// than `end` (then the index does not belong to this log, or the log lost entries: rebuild it).
Status catch_up(index::Index& index, Deriver& deriver, const log::LogReader& log, uint64_t end = UINT64_MAX,
                const std::function<void(uint64_t, uint64_t)>& progress = {}, uint64_t chunk = 50000);

// Deletes the index named by `url` and rebuilds it from `log` alone (for the contest tagged
// `contest`).
Result<std::unique_ptr<index::Index>> rebuild_index(std::string_view url, const log::LogReader& log,
                                                    const std::function<void(uint64_t, uint64_t)>& progress = {},
                                                    const std::string& contest = {});

}  // namespace tallylog::ingest
