// `tallylog flags`: the current sheets that break a flag rule of the election, with the rule, its
// note and the numbers (tally/flags.h). Read-only, like tally. Flags, wiring and printing only.
#include <cstdio>
#include <memory>
#include <string>

#include "tallylog/cli/command.h"
#include "tallylog/cli/progress.h"
#include "tallylog/ingest/read_only.h"
#include "tallylog/tally/flags.h"
#include "tallylog/tally/from_index.h"

namespace tallylog::cli {
namespace {

struct FlagsArgs {
  std::string data_dir;
  std::string contest;
  std::string source;
  std::string format = "table";
};

void run_flags(const FlagsArgs& a) {
  auto rule = value_or_exit(tally::SourceRule::parse(a.source));
  auto data = open_for_reading_or_exit(a.data_dir, a.contest);
  auto geo = value_or_exit(tally::geography_from_index(*data.index));
  auto report = value_or_exit(tally::find_flags(*data.index, *geo, rule));
  std::string text = a.format == "json" ? tally::flags_to_json(report, *geo) + "\n" : tally::flags_to_text(report, *geo);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void register_flags_commands(CLI::App& app) {
  auto args = std::make_shared<FlagsArgs>();
  auto* cmd = app.add_subcommand("flags", "sheets that break a flag rule of the election (accepted and counted)");
  cmd->add_option("data", args->data_dir, "data directory")->required();
  cmd->add_option("--contest", args->contest, "the contest (an election with several needs one; default: the only one)");
  cmd->add_option("--source", args->source, "source rule: a name, a prefix (witness:*) or * (default: all)");
  cmd->add_option("--format", args->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([args] { run_flags(*args); });
}

const CommandRegistrar kRegistrar(55, register_flags_commands);

}  // namespace
}  // namespace tallylog::cli
