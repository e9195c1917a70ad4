// `tallylog declare`, `check-declared` and `forensics`: flags, wiring and printing only. The
// declaration is read and checked by election/declaration.h and logged by the Ingestor; the
// checks and statistics are forensics/declared.h and forensics/forensics.h (pure), fed from the
// index like `tally` is.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/progress.h"
#include "tallylog/election/declaration.h"
#include "tallylog/forensics/declared.h"
#include "tallylog/forensics/format.h"
#include "tallylog/forensics/from_tabulation.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/ingest/read_only.h"
#include "tallylog/tally/from_index.h"

namespace tallylog::cli {
namespace {

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

// Read side as in `tally` (ingest/read_only.h): only the published log and its key are needed;
// the index is brought up to date when nobody writes, and every answer states the log size.
struct Opened {
  ingest::ReadOnlyData data;
  std::shared_ptr<const tally::Geography> geo;

  index::IndexReader& index() { return *data.index; }
  uint64_t log_size() const { return data.indexed_size; }
};

Opened open_data(const std::string& data_dir, const std::string& contest) {
  Opened o;
  o.data = open_for_reading_or_exit(data_dir, contest);
  o.geo = value_or_exit(tally::geography_from_index(o.index()));
  return o;
}

tally::Tabulation tabulate(Opened& o, const tally::SourceRule& rule) {
  Progress progress("tabulating sheets", 0);
  return value_or_exit(tally::tabulate_index(o.index(), o.geo, rule, [&](uint64_t n) { progress.update(n); }));
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// ---- declare --------------------------------------------------------------------------------

struct DeclareArgs {
  std::string data_dir, contest, file, source, title, announced_at, reference, coverage, submitted_by;
  uint64_t coverage_tables = 0;
};

void run_declare(const DeclareArgs& a) {
  election::Declaration base;
  base.source = a.source;
  base.title = a.title;
  base.announced_at = a.announced_at;
  base.reference = a.reference;
  base.coverage_percent = a.coverage;
  if (a.coverage_tables) base.coverage_tables = a.coverage_tables;
  base.submitted_by = a.submitted_by.empty() ? "declare:" + std::filesystem::path(a.file).filename().string() : a.submitted_by;
  const std::string text = value_or_exit(Env::posix().read_file(a.file));
  ingest::IngestorOptions io;
  io.contest = a.contest;  // several contests: the declaration is about the one named (else the usual error)
  auto ing = value_or_exit(ingest::Ingestor::open(a.data_dir, io));
  election::Declaration d =
      a.file.ends_with(".csv") ? value_or_exit(election::parse_declaration_csv(text, a.file, ing->election(), base))
                               : value_or_exit(election::parse_declaration_toml(text, a.file, base));
  auto at = ing->add_declaration(std::move(d));
  check_or_exit(ing->close());
  if (!at) {
    fail(a.file + ": rejected: " + at.error().message);
    return;
  }
  std::cout << "declaration logged at index " << *at << std::endl;
}

// ---- check-declared -------------------------------------------------------------------------

struct CheckArgs {
  std::string data_dir, contest, source, unregistered = "registry-total", format = "table";
};

void run_check_declared(const CheckArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  Opened o = open_data(a.data_dir, a.contest);
  auto decls = value_or_exit(o.index().declarations());
  tally::Tabulation tab = tabulate(o, rule);
  auto basis = a.unregistered == "per-table" ? tally::UnregisteredBasis::kPerTable : tally::UnregisteredBasis::kRegistryTotal;
  auto checks = value_or_exit(forensics::check_declarations(tab, decls, basis));
  if (a.format == "json") {
    print(forensics::declared_to_json(checks, "\"log_size\":" + std::to_string(o.log_size()) +
                                                  ",\"source\":" + json_string(rule.to_string())));
  } else {
    print("log size " + std::to_string(o.log_size()) + "; verified sheets: source " + rule.to_string() + "\n\n" +
          forensics::declared_to_text(checks));
  }
}

// ---- forensics ------------------------------------------------------------------------------

struct ForensicsArgs {
  std::string data_dir, contest, source, level, format = "table", plots;
  uint32_t resamples = 1000;
  uint64_t seed = 20120101;
  unsigned threads = 0;
  bool per_source = true;
};

void run_forensics(const ForensicsArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  Opened o = open_data(a.data_dir, a.contest);
  const tally::Geography& g = *o.geo;
  int depth = g.depth_count() > 2 ? 1 : 0;
  if (!a.level.empty()) {
    auto d = g.depth_of(a.level);
    if (!d || *d == g.table_depth()) {
      std::string known = "national";
      for (int k = 1; k < g.table_depth(); ++k) known += ", " + std::string(g.depth_name(k));
      fail("unknown or unusable level \"" + a.level + "\" for areas; use one of: " + known);
      return;
    }
    depth = *d;
  }
  forensics::Options opt;
  opt.resamples = a.resamples;
  opt.seed = a.seed;
  opt.threads = a.threads ? a.threads : std::max(1u, std::thread::hardware_concurrency());
  tally::Tabulation tab = tabulate(o, rule);
  auto sample = value_or_exit(forensics::sample_from_tabulation(tab, depth));
  forensics::Report report = forensics::analyse(sample, opt);
  std::vector<forensics::SourceReport> sources;
  if (a.per_source) {
    auto names = value_or_exit(o.index().sources());
    if (names.size() > 1) {
      for (const std::string& s : names) {
        if (!rule.matches(s)) continue;
        tally::Tabulation ts = tabulate(o, value_or_exit(tally::SourceRule::parse(s)));
        auto ss = value_or_exit(forensics::sample_from_tabulation(ts, 0));
        sources.push_back({s, forensics::analyse(ss, opt), {}});
      }
      forensics::mark_sources(sources);
    }
  }
  if (!a.plots.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.plots, ec);
    const std::string title = g.election().name + " (" + rule.to_string() + ")";
    for (auto [name, svg] : {std::pair{"fingerprint.svg", forensics::fingerprint_svg(report, "Election fingerprint: " + title)},
                             std::pair{"integer.svg", forensics::integer_svg(report, "Round percentages: " + title)},
                             std::pair{"shpilkin.svg", forensics::shpilkin_svg(report, "Votes by turnout: " + title)}}) {
      const std::string path = join_path(a.plots, name);
      check_or_exit(Env::posix().write_file_atomic(path, svg, Durability::kNoSync));
      std::cerr << "wrote " << path << "\n";
    }
  }
  if (a.format == "json") {
    print(forensics::report_to_json(report, sources, "\"log_size\":" + std::to_string(o.log_size()) +
                                                        ",\"source\":" + json_string(rule.to_string())));
  } else {
    print("log size " + std::to_string(o.log_size()) + "; source " + rule.to_string() + "\n" +
          forensics::report_to_text(report, sources));
  }
}

void register_forensics_commands(CLI::App& app) {
  const std::string source_help =
      "source rule of the verified sheets: a name (official), a prefix (witness:*) or * (default: latest "
      "non-conflicting across all)";
  const std::string contest_help = "the contest (an election with several needs one; default: the only one)";
  {
    auto a = std::make_shared<DeclareArgs>();
    auto* cmd = app.add_subcommand("declare", "log an authority's announced results (a bulletin) as a declaration");
    cmd->add_option("data", a->data_dir, "data directory")->required();
    cmd->add_option("file", a->file, "declaration: .toml, or .csv with level,area,name,count")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--source", a->source, "the authority, e.g. official or official:cne")->required();
    cmd->add_option("--title", a->title, "title (CSV; a TOML file's title wins)");
    cmd->add_option("--announced-at", a->announced_at, "when it was announced, RFC 3339 (CSV)");
    cmd->add_option("--reference", a->reference, "where: URL, gazette number (CSV)");
    cmd->add_option("--coverage", a->coverage, "coverage claimed, percent of tables, e.g. 96.87 (CSV)");
    cmd->add_option("--coverage-tables", a->coverage_tables, "coverage claimed as a number of tables (CSV)");
    cmd->add_option("--submitted-by", a->submitted_by, "who logs it (default declare:<file>)");
    cmd->add_option("--contest", a->contest, contest_help + "; check-declared --contest holds it against that contest only");
    cmd->callback([a] { run_declare(*a); });
  }
  {
    auto a = std::make_shared<CheckArgs>();
    auto* cmd = app.add_subcommand("check-declared", "hold every declaration against what the verified sheets prove");
    cmd->add_option("data", a->data_dir, "data directory")->required();
    cmd->add_option("--source", a->source, source_help);
    cmd->add_option("--contest", a->contest, contest_help);
    cmd->add_option("--unregistered", a->unregistered,
                    "cap for tables absent from the registry: registry-total (the official total, when the election "
                    "states one) or per-table (worst case per table)")
        ->check(CLI::IsMember({"registry-total", "per-table"}));
    cmd->add_option("--format", a->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->callback([a] { run_check_declared(*a); });
  }
  {
    auto a = std::make_shared<ForensicsArgs>();
    auto* cmd = app.add_subcommand("forensics", "statistical fingerprints of fabricated counts, per area and source");
    cmd->add_option("data", a->data_dir, "data directory")->required();
    cmd->add_option("--source", a->source, source_help);
    cmd->add_option("--contest", a->contest, contest_help);
    cmd->add_option("--level", a->level, "level of the per-area results (default: the first level)");
    cmd->add_option("--format", a->format, "table or json")->check(CLI::IsMember({"table", "json"}));
    cmd->add_option("--plots", a->plots, "write fingerprint.svg, integer.svg and shpilkin.svg into this directory");
    cmd->add_option("--resamples", a->resamples, "Monte Carlo resamples of the integer test")->capture_default_str();
    cmd->add_option("--seed", a->seed, "Monte Carlo seed")->capture_default_str();
    cmd->add_option("--threads", a->threads, "threads for the Monte Carlo test (default: all cores)");
    cmd->callback([a] { run_forensics(*a); });
  }
}

const CommandRegistrar kRegistrar(55, register_forensics_commands);

}  // namespace
}  // namespace tallylog::cli
