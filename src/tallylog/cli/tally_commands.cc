// `tallylog tally`, `compare`, `bound` and `export`: open <data> for reading (ingest/read_only.h:
// only the published log and its verifier key are needed; the index is brought up to date when
// nobody writes, so they run beside a live server or importer and on a mirror), tabulate with
// tally/, print with tally/format.h (the same text the HTTP server serves). JSON answers state the
// log size they reflect. Flags, wiring and printing only.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tallylog/cli/command.h"
#include "tallylog/cli/progress.h"
#include "tallylog/ingest/read_only.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/from_index.h"
#include "tallylog/tally/local_race.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::cli {
namespace {

struct Opened {
  ingest::ReadOnlyData data;
  // Every read below sees one state of the index (a writer may be committing meanwhile), the one
  // whose size the answers state.
  std::unique_ptr<index::ReadSnapshot> snapshot;
  uint64_t indexed_size = 0;
  election::Election election;
  std::shared_ptr<const tally::Geography> geo;  // every table; loaded by full_geography()

  index::IndexReader& index() { return *data.index; }
  uint64_t log_size() const { return indexed_size; }
  const tally::Geography& full_geography() {
    if (!geo) geo = value_or_exit(tally::geography_from_index(index()));
    return *geo;
  }
};

Opened open_data(const std::string& data_dir, const std::string& contest, const std::string& index_url) {
  Opened o;
  o.data = open_for_reading_or_exit(data_dir, contest, index_url);
  o.snapshot = value_or_exit(o.index().snapshot());
  o.indexed_size = value_or_exit(o.index().indexed_size());
  o.election = value_or_exit(o.index().election());
  return o;
}

Result<tally::Tabulation> tabulate(Opened& o, const tally::SourceRule& rule) {
  const tally::Geography& g = o.full_geography();
  (void)g;
  Progress progress("tabulating sheets", 0);
  return tally::tabulate_index(o.index(), o.geo, rule, [&](uint64_t n) { progress.update(n); });
}

// Depth of a level name in the election (0 national); exits naming the known levels.
int depth_or_exit(const election::Election& e, const std::string& level) {
  if (level.empty()) return e.levels.empty() ? 0 : 1;
  if (level == "national") return 0;
  for (size_t i = 0; i < e.levels.size(); ++i) {
    if (e.levels[i].code == level) return static_cast<int>(i + 1);
  }
  std::string known = "national";
  for (const auto& l : e.levels) known += ", " + l.code;
  fail("unknown level \"" + level + "\"; this election has: " + known);
  throw CLI::RuntimeError(exit_code());
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

const char* const kContestHelp = "the contest (an election with several needs one; default: the only one)";

struct TallyArgs {
  std::string index_url;  // --index
  std::string data_dir;
  std::string contest;
  std::string source;
  std::string level;
  std::string format = "table";
};

void print_tally(const tally::TallyView& view, int depth, const std::string& format, uint64_t log_size) {
  if (format == "json") {
    print(tally::tally_to_json(view, depth, log_size));
  } else if (format == "csv") {
    print(tally::tally_to_csv(view, depth));
  } else {
    print(tally::tally_to_text(view, depth));
  }
}

void run_tally(const TallyArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  Opened o = open_data(a.data_dir, a.contest, a.index_url);
  // A local race (tally/local_race.h): by default its decided level; above it, refused.
  const int depth = a.level.empty() && tally::decided_depth(o.election) > 0 ? tally::decided_depth(o.election)
                                                                             : depth_or_exit(o.election, a.level);
  check_or_exit(tally::check_report_depth(o.election, depth));
  // Above the table level the index's stored per-area totals answer without reading a sheet.
  if (depth < static_cast<int>(o.election.levels.size())) {
    if (auto upper = value_or_exit(tally::upper_geography_from_index(o.index(), depth))) {
      if (auto stored = value_or_exit(tally::stored_tally(o.index(), *upper, rule))) {
        print_tally(*stored, depth, a.format, o.log_size());
        return;
      }
    }
  }
  tally::Tabulation tab = value_or_exit(tabulate(o, rule));
  print_tally(tab, depth, a.format, o.log_size());
}

struct CompareArgs {
  std::string index_url;  // --index
  std::string data_dir;
  std::string contest;
  std::vector<std::string> sources;
  std::string level;
  std::string format = "table";
};

void run_compare(const CompareArgs& a) {
  if (a.sources.size() != 2) {
    fail("compare needs exactly two --source options (A and B), got " + std::to_string(a.sources.size()));
    throw CLI::RuntimeError(exit_code());
  }
  auto rule_a = value_or_exit(tally::SourceRule::parse(a.sources[0]));
  auto rule_b = value_or_exit(tally::SourceRule::parse(a.sources[1]));
  Opened o = open_data(a.data_dir, a.contest, a.index_url);
  const int depth = depth_or_exit(o.election, a.level);
  tally::Tabulation ta = value_or_exit(tabulate(o, rule_a));
  tally::Tabulation tb = value_or_exit(tabulate(o, rule_b));
  tally::Comparison c = value_or_exit(tally::compare(ta, tb, depth));
  print(a.format == "json" ? tally::compare_to_json(c, *o.geo, o.log_size()) : tally::compare_to_text(c, *o.geo));
}

struct BoundArgs {
  std::string index_url;  // --index
  std::string data_dir;
  std::string contest;
  std::string source;
  std::string turnout_level;
  std::string unregistered = "registry-total";
  std::string format = "table";
};

void run_bound(const BoundArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  Opened o = open_data(a.data_dir, a.contest, a.index_url);
  tally::BoundOptions options;
  if (!a.turnout_level.empty()) options.turnout_depth = depth_or_exit(o.election, a.turnout_level);
  if (a.unregistered == "per-table") options.unregistered = tally::UnregisteredBasis::kPerTable;
  tally::Tabulation tab = value_or_exit(tabulate(o, rule));
  // A local race is decided per area of its decided level (tally/local_race.h).
  if (tally::decided_depth(o.election) > 0) {
    auto bounds = value_or_exit(tally::outcome_bounds_per_area(tab, options));
    print(a.format == "json" ? tally::bounds_to_json(bounds, *o.geo, o.log_size()) : tally::bounds_to_text(bounds, *o.geo));
    return;
  }
  tally::OutcomeBound b = value_or_exit(tally::outcome_bound(tab, options));
  print(a.format == "json" ? tally::bound_to_json(b, *o.geo, o.log_size()) : tally::bound_to_text(b, *o.geo));
}

struct ExportArgs {
  std::string index_url;  // --index
  std::string data_dir;
  std::string contest;
  std::string source;
  std::string format;
};

void run_export(const ExportArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  Opened o = open_data(a.data_dir, a.contest, a.index_url);
  tally::SheetExporter ex(o.full_geography(), a.format == "json" ? tally::ExportFormat::kJson : tally::ExportFormat::kCsv);
  const std::string filter = rule.kind() == tally::SourceRule::Kind::kExact ? rule.to_string() : "";
  std::string buf = ex.begin();
  check_or_exit(o.index().for_each_current_sheet(filter, [&](const index::SheetRecord& r) {
    if (!rule.matches(r.sheet.source)) return;
    buf += ex.row(r);
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), stdout);
      buf.clear();
    }
  }));
  buf += ex.end();
  std::fwrite(buf.data(), 1, buf.size(), stdout);
  std::fflush(stdout);
}

void register_tally_commands(CLI::App& app) {
  const std::string source_help =
      "source rule: a name (official), a prefix (witness:*) or * for all sources (default: latest "
      "non-conflicting across all)";
  {
    auto args = std::make_shared<TallyArgs>();
    auto* cmd = app.add_subcommand("tally", "totals, coverage and turnout per area at one level");
    cmd->add_option("data", args->data_dir, "data directory")->required();
    cmd->add_option("--contest", args->contest, kContestHelp);
    cmd->add_option("--index", args->index_url, kIndexHelp);
    cmd->add_option("--source", args->source, source_help);
    cmd->add_option("--level", args->level, "national or a level of the election (default: the first level)");
    cmd->add_option("--format", args->format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
    cmd->callback([args] { run_tally(*args); });
  }
  {
    auto args = std::make_shared<CompareArgs>();
    auto* cmd = app.add_subcommand("compare", "compare two sources table by table");
    cmd->add_option("data", args->data_dir, "data directory")->required();
    cmd->add_option("--contest", args->contest, kContestHelp);
    cmd->add_option("--index", args->index_url, kIndexHelp);
    cmd->add_option("--source", args->sources, "source rule A, then B (give --source twice)")->required();
    cmd->add_option("--level", args->level, "level of the per-area summary (default: the first level)");
    cmd->add_option("--format", args->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->callback([args] { run_compare(*args); });
  }
  {
    auto args = std::make_shared<BoundArgs>();
    auto* cmd = app.add_subcommand("bound", "is the outcome decided? leader, leads and the unreported maximum");
    cmd->add_option("data", args->data_dir, "data directory")->required();
    cmd->add_option("--contest", args->contest, kContestHelp);
    cmd->add_option("--index", args->index_url, kIndexHelp);
    cmd->add_option("--source", args->source, source_help);
    cmd->add_option("--turnout-level", args->turnout_level,
                    "level whose highest observed turnout bounds its unreported tables (default: two above the table)");
    cmd->add_option("--unregistered", args->unregistered,
                    "cap for tables absent from the registry: registry-total (the election's official registry "
                    "total, when it states one) or per-table (worst case per table)")
        ->check(CLI::IsMember({"registry-total", "per-table"}));
    cmd->add_option("--format", args->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->callback([args] { run_bound(*args); });
  }
  {
    auto args = std::make_shared<ExportArgs>();
    auto* cmd = app.add_subcommand("export", "every current sheet, one row per table and source, with its log index");
    cmd->add_option("data", args->data_dir, "data directory")->required();
    cmd->add_option("--contest", args->contest, kContestHelp);
    cmd->add_option("--index", args->index_url, kIndexHelp);
    cmd->add_option("--format", args->format, "csv or json")->required()->check(CLI::IsMember({"csv", "json"}));
    cmd->add_option("--source", args->source, source_help);
    cmd->callback([args] { run_export(*args); });
  }
}

const CommandRegistrar kRegistrar(50, register_tally_commands);

}  // namespace
}  // namespace tallylog::cli
