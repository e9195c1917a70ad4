// `tallylog tally`, `compare`, `bound` and `export`: read the index of <data> (read-only, so they
// run beside a live server or importer), tabulate with tally/, print with tally/format.h (the
// same text the HTTP server serves). Flags, wiring and printing only.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/cli/command.h"
#include "tallylog/cli/progress.h"
#include "tallylog/index/sqlite_index.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/format.h"
#include "tallylog/tally/from_index.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::cli {
namespace {

struct Opened {
  std::unique_ptr<index::SqliteIndex> index;
  std::shared_ptr<const tally::Geography> geo;
};

Result<Opened> open_data(const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(index::index_path(data_dir), ec)) {
    return err(ErrorCode::kNotFound, data_dir + ": no index.sqlite here; is it a tallylog data directory (tallylog init)?");
  }
  Opened o;
  TL_ASSIGN_OR_RETURN(o.index, index::SqliteIndex::open(data_dir));
  TL_ASSIGN_OR_RETURN(o.geo, tally::geography_from_index(*o.index));
  return o;
}

Result<tally::Tabulation> tabulate(Opened& o, const tally::SourceRule& rule) {
  Progress progress("tabulating sheets", 0);
  return tally::tabulate_index(*o.index, o.geo, rule, [&](uint64_t n) { progress.update(n); });
}

int depth_or_exit(const tally::Geography& g, const std::string& level) {
  if (level.empty()) return g.depth_count() > 1 ? 1 : 0;
  if (auto d = g.depth_of(level)) return *d;
  std::string known = "national";
  for (int d = 1; d < g.depth_count(); ++d) known += ", " + std::string(g.depth_name(d));
  fail("unknown level \"" + level + "\"; this election has: " + known);
  throw CLI::RuntimeError(exit_code());
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

struct TallyArgs {
  std::string data_dir;
  std::string source;
  std::string level;
  std::string format = "table";
};

void run_tally(const TallyArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  Opened o = value_or_exit(open_data(a.data_dir));
  const int depth = depth_or_exit(*o.geo, a.level);
  tally::Tabulation tab = value_or_exit(tabulate(o, rule));
  if (a.format == "json") {
    print(tally::tally_to_json(tab, depth));
  } else if (a.format == "csv") {
    print(tally::tally_to_csv(tab, depth));
  } else {
    print(tally::tally_to_text(tab, depth));
  }
}

struct CompareArgs {
  std::string data_dir;
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
  Opened o = value_or_exit(open_data(a.data_dir));
  const int depth = depth_or_exit(*o.geo, a.level);
  tally::Tabulation ta = value_or_exit(tabulate(o, rule_a));
  tally::Tabulation tb = value_or_exit(tabulate(o, rule_b));
  tally::Comparison c = value_or_exit(tally::compare(ta, tb, depth));
  print(a.format == "json" ? tally::compare_to_json(c, *o.geo) : tally::compare_to_text(c, *o.geo));
}

struct BoundArgs {
  std::string data_dir;
  std::string source;
  std::string turnout_level;
  std::string unregistered = "registry-total";
  std::string format = "table";
};

void run_bound(const BoundArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  Opened o = value_or_exit(open_data(a.data_dir));
  tally::BoundOptions options;
  if (!a.turnout_level.empty()) options.turnout_depth = depth_or_exit(*o.geo, a.turnout_level);
  if (a.unregistered == "per-table") options.unregistered = tally::UnregisteredBasis::kPerTable;
  tally::Tabulation tab = value_or_exit(tabulate(o, rule));
  tally::OutcomeBound b = value_or_exit(tally::outcome_bound(tab, options));
  print(a.format == "json" ? tally::bound_to_json(b, *o.geo) : tally::bound_to_text(b, *o.geo));
}

struct ExportArgs {
  std::string data_dir;
  std::string source;
  std::string format;
};

void run_export(const ExportArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  Opened o = value_or_exit(open_data(a.data_dir));
  tally::SheetExporter ex(*o.geo, a.format == "json" ? tally::ExportFormat::kJson : tally::ExportFormat::kCsv);
  const std::string filter = rule.kind() == tally::SourceRule::Kind::kExact ? rule.to_string() : "";
  std::string buf = ex.begin();
  check_or_exit(o.index->for_each_current_sheet(filter, [&](const index::SheetRecord& r) {
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
    cmd->add_option("--source", args->source, source_help);
    cmd->add_option("--level", args->level, "national or a level of the election (default: the first level)");
    cmd->add_option("--format", args->format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
    cmd->callback([args] { run_tally(*args); });
  }
  {
    auto args = std::make_shared<CompareArgs>();
    auto* cmd = app.add_subcommand("compare", "compare two sources table by table");
    cmd->add_option("data", args->data_dir, "data directory")->required();
    cmd->add_option("--source", args->sources, "source rule A, then B (give --source twice)")->required();
    cmd->add_option("--level", args->level, "level of the per-area summary (default: the first level)");
    cmd->add_option("--format", args->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->callback([args] { run_compare(*args); });
  }
  {
    auto args = std::make_shared<BoundArgs>();
    auto* cmd = app.add_subcommand("bound", "is the outcome decided? leader, leads and the unreported maximum");
    cmd->add_option("data", args->data_dir, "data directory")->required();
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
    cmd->add_option("--format", args->format, "csv or json")->required()->check(CLI::IsMember({"csv", "json"}));
    cmd->add_option("--source", args->source, source_help);
    cmd->callback([args] { run_export(*args); });
  }
}

const CommandRegistrar kRegistrar(50, register_tally_commands);

}  // namespace
}  // namespace tallylog::cli
