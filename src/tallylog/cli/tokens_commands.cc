// `tallylog tokens add|list|revoke <data>`: bearer tokens for the HTTP write side, stored hashed
// in <data>/tokens.json (see http/tokens.h). `add` prints the secret once.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/base/clock.h"
#include "tallylog/cli/command.h"
#include "tallylog/http/tokens.h"

namespace tallylog::cli {
namespace {

struct TokenArgs {
  std::string data_dir;
  std::string name;
  std::vector<std::string> sources;
};

void register_tokens_commands(CLI::App& app) {
  auto* t = app.add_subcommand("tokens", "Bearer tokens for submitting over HTTP");
  t->require_subcommand(1);

  auto add = std::make_shared<TokenArgs>();
  auto* a = t->add_subcommand("add", "Create a token for a submitter and print it (once)");
  a->add_option("data", add->data_dir, "data directory")->required()->check(CLI::ExistingDirectory);
  a->add_option("--name", add->name, "submitter name (recorded with each sheet)")->required();
  a->add_option("--source", add->sources, "source the token may submit for (repeatable; 'witness:*' allowed)")
      ->required();
  a->callback([add] {
    http::TokenStore store(add->data_dir);
    auto random = value_or_exit(http::random_token_bytes());
    auto secret = value_or_exit(store.add(add->name, add->sources, random, format_rfc3339(Clock::real().now())));
    std::cout << secret << "\n";
    std::cerr << "tallylog: token for '" << add->name << "' created; it is shown only now\n";
  });

  auto list = std::make_shared<TokenArgs>();
  auto* l = t->add_subcommand("list", "List tokens (names, sources, state; never the secrets)");
  l->add_option("data", list->data_dir, "data directory")->required()->check(CLI::ExistingDirectory);
  l->callback([list] {
    http::TokenStore store(list->data_dir);
    for (const auto& tok : value_or_exit(store.list())) {
      std::string sources;
      for (const auto& s : tok.sources) sources += (sources.empty() ? "" : ",") + s;
      std::cout << tok.name << "\t" << sources << "\t" << (tok.active() ? "active" : "revoked " + tok.revoked_at)
                << "\tcreated " << tok.created_at << "\tsha256:" << tok.sha256.substr(0, 12) << "\n";
    }
  });

  auto rev = std::make_shared<TokenArgs>();
  auto* r = t->add_subcommand("revoke", "Revoke the active token of a submitter");
  r->add_option("data", rev->data_dir, "data directory")->required()->check(CLI::ExistingDirectory);
  r->add_option("--name", rev->name, "submitter name")->required();
  r->callback([rev] {
    http::TokenStore store(rev->data_dir);
    check_or_exit(store.revoke(rev->name, format_rfc3339(Clock::real().now())));
    std::cerr << "tallylog: token of '" << rev->name << "' revoked\n";
  });
}

const CommandRegistrar kRegistrar(85, register_tokens_commands);

}  // namespace
}  // namespace tallylog::cli
