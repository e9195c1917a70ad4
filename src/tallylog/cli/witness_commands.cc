// `tallylog witness keygen|vkey|serve`: an independent C2SP tlog-witness (see witness/witness.h).
// Flags, wiring and printing only.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/verify_args.h"
#include "tallylog/http/server.h"
#include "tallylog/note/cosignature.h"
#include "tallylog/witness/server.h"
#include "tallylog/witness/state.h"
#include "tallylog/witness/witness.h"

namespace tallylog::cli {
namespace {

struct KeygenArgs {
  std::string key_file;
  std::string name;
};

struct ServeArgs {
  std::string key_file;
  std::vector<std::string> logs;
  std::string listen = "127.0.0.1:8081";
  std::string state_dir;
  int worker_threads = 64;
};

note::Cosigner cosigner_or_exit(const std::string& key_file) {
  std::string text = value_or_exit(Env::posix().read_file(key_file));
  auto c = note::Cosigner::parse(trim_key_text(text));
  if (!c) {
    fail(key_file + ": " + c.error().message);
    throw CLI::RuntimeError(exit_code());
  }
  return std::move(*c);
}

void run_serve(const ServeArgs& a) {
  note::Cosigner key = cosigner_or_exit(a.key_file);
  std::vector<note::Verifier> logs;
  for (const auto& line : key_lines(a.logs)) logs.push_back(log_key_or_exit(line, "--log"));
  if (logs.empty()) {
    fail("witness serve needs at least one --log <vkey> (the logs this witness follows)");
    throw CLI::RuntimeError(2);
  }
  http::ServerOptions so;
  parse_listen_or_exit(a.listen, so);
  // Each add-checkpoint waits for a shared fdatasync: enough workers to batch many logs at once.
  so.worker_threads = a.worker_threads;
  std::string state_dir = a.state_dir.empty() ? join_path(dir_name(a.key_file), "witness-state") : a.state_dir;
  auto state = value_or_exit(witness::WitnessState::open(Env::posix(), state_dir));
  witness::Witness w(key, logs, *state, Clock::real());
  http::Server server(so, witness::witness_handler(w, *state), witness::witness_body_limit());
  check_or_exit(server.start());
  std::cerr << "tallylog: witness " << key.verifier_key() << " following " << logs.size() << " log(s) on http://"
            << so.host << ":" << server.port() << "/ (state in " << state_dir << ")\n";
  server.run_until_signal();
}

void register_witness_commands(CLI::App& app) {
  auto* w = app.add_subcommand("witness", "An independent witness: cosigns checkpoints consistent with what it saw before");
  w->require_subcommand(1);

  auto gen = std::make_shared<KeygenArgs>();
  auto* g = w->add_subcommand("keygen", "Create a witness key file (mode 0600) and print its verifier key (type 0x04)");
  g->add_option("key-file", gen->key_file, "where to write the private key")->required();
  g->add_option("--name", gen->name, "the witness's name, e.g. witness.example.org/w1")->required();
  g->callback([gen] {
    auto c = value_or_exit(note::Cosigner::generate(gen->name));
    check_or_exit(Env::posix().write_new_file_private(gen->key_file, c.private_key_text() + "\n", 0600));
    std::cout << c.verifier_key() << "\n";
  });

  auto vk = std::make_shared<KeygenArgs>();
  auto* v = w->add_subcommand("vkey", "Print the verifier key (type 0x04) of a witness key file");
  v->add_option("key-file", vk->key_file, "the witness's private key file")->required();
  v->callback([vk] { std::cout << cosigner_or_exit(vk->key_file).verifier_key() << "\n"; });

  auto serve = std::make_shared<ServeArgs>();
  auto* s = w->add_subcommand("serve", "Answer POST /add-checkpoint (C2SP tlog-witness) for the given logs");
  s->add_option("--key", serve->key_file, "the witness's private key file (witness keygen)")->required();
  s->add_option("--log", serve->logs, "verifier key of a log to follow, or a file of them (repeatable)")->required();
  s->add_option("--listen", serve->listen, "host:port to listen on")->capture_default_str();
  s->add_option("--state", serve->state_dir, "directory of the witness's durable state (default: witness-state beside the key)");
  s->add_option("--worker-threads", serve->worker_threads, "threads answering requests")->capture_default_str();
  s->callback([serve] { run_serve(*serve); });
}

const CommandRegistrar kRegistrar(72, register_witness_commands);

}  // namespace
}  // namespace tallylog::cli
