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
#include "tallylog/store/store.h"

namespace tallylog::cli {
namespace {

struct InitArgs {
  std::string data_dir;
  std::string origin;
  std::string election;  // election TOML; its record becomes entry 0
  std::string store;     // --store postgresql://...: the log lives in that database
};

// Creates <data>/ and its log (key pair, empty signed checkpoint); the log stays open for
// whatever init appends next.
// With --store, the database gets the log's schema first and <data>/store.url names it; every
// command then reads and appends the log there (store/store.h).
std::unique_ptr<log::Log> create_log(const InitArgs& a) {
  Env& env = Env::posix();
  if (!a.store.empty()) {
    if (!(a.store.starts_with("postgresql://") || a.store.starts_with("postgres://"))) {
      fail("--store: expected a postgresql:// URL, got \"" + a.store.substr(0, 40) + "\"");
      throw CLI::RuntimeError(2);
    }
    if (env.exists(join_path(a.data_dir, "log.key")) || env.exists(join_path(a.data_dir, "store.url"))) {
      fail("init: a log already exists in " + a.data_dir);
      throw CLI::RuntimeError(exit_code());
    }
    check_or_exit(env.create_dirs(a.data_dir));
    check_or_exit(store::create_postgres_store(a.store));
    check_or_exit(env.write_file_atomic(join_path(a.data_dir, "store.url"), a.store + "\n", Durability::kSync));
  }
  return value_or_exit(log::Log::create(a.data_dir, {.origin = a.origin}, value_or_exit(store::open_log_options(a.data_dir))));
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
  cmd->add_option("--store", args->store,
                  "keep the log (tiles, bundles, checkpoint, journal) in this PostgreSQL database instead of "
                  "<data>/log/ (postgresql://...; several server nodes then share it, docs/deploy.md)");
  cmd->add_option("--election", args->election, "election TOML; its record becomes log entry 0")
      ->check(CLI::ExistingFile);
  cmd->callback([args] { run_init(*args); });
}

const CommandRegistrar kRegistrar(10, register_init_commands);

}  // namespace
}  // namespace tallylog::cli
