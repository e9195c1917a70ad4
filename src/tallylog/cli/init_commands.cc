// `tallylog init <data> [--origin <name>] [--election <toml>]`: creates a data directory with a
// new log, appends the election record as entry 0 when --election is given (through
// ingest::Ingestor::log_election, which also starts the index), and prints the verifier key.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "tallylog/cli/command.h"
#include "tallylog/election/toml.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/log/log.h"

namespace tallylog::cli {
namespace {

struct InitArgs {
  std::string data_dir;
  std::string origin;
  std::string election;  // election TOML; its record becomes entry 0
};

// Creates <data>/ and its log (key pair, empty signed checkpoint); the log stays open for
// whatever init appends next.
std::unique_ptr<log::Log> create_log(const InitArgs& a) {
  return value_or_exit(log::Log::create(a.data_dir, {.origin = a.origin}));
}

void run_init(const InitArgs& given) {
  InitArgs a = given;
  std::optional<election::Election> el;
  if (!a.election.empty()) {
    el = value_or_exit(election::load_election_toml(a.election));
    if (a.origin.empty()) a.origin = ingest::Ingestor::default_origin(*el);
  }
  if (a.origin.empty()) {
    fail("init: give --origin, or --election to derive the origin from the election id");
    return;
  }
  auto log = create_log(a);
  if (el) check_or_exit(ingest::Ingestor::log_election(*log, a.data_dir, *el));
  check_or_exit(log->close());
  std::cout << log->verifier_key() << "\n";
}

void register_init_commands(CLI::App& app) {
  auto args = std::make_shared<InitArgs>();
  auto* cmd = app.add_subcommand("init", "Create a data directory with a new log and print its verifier key");
  cmd->add_option("data", args->data_dir, "data directory to create")->required();
  cmd->add_option("--origin", args->origin,
                  "log origin, e.g. tallylog.example/ve2024 (also the key name); default tallylog/<election id>");
  cmd->add_option("--election", args->election, "election TOML; its record becomes log entry 0")
      ->check(CLI::ExistingFile);
  cmd->callback([args] { run_init(*args); });
}

const CommandRegistrar kRegistrar(10, register_init_commands);

}  // namespace
}  // namespace tallylog::cli
