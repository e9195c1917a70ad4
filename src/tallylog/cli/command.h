// How a subcommand joins the `tallylog` binary. Each area has one file cli/<area>_commands.cc
// (picked up by the build automatically) that defines a registration function and registers it:
//
//   namespace tallylog::cli {
//   namespace {
//   void register_log_commands(CLI::App& app) { ... }
//   const CommandRegistrar kRegistrar(20, register_log_commands);
//   }
//   }
//
// Subcommand callbacks report failure through fail()/set_exit_code(); main() returns that code.
// The CLI only parses flags, wires modules together and prints: no logic lives here.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "tallylog/base/error.h"

namespace tallylog::cli {

using RegisterFn = void (*)(CLI::App& app);

struct CommandRegistrar {
  // Lower `order` registers first (and lists first in --help).
  CommandRegistrar(int order, RegisterFn fn);
};

// Prints "tallylog: <message>" to stderr and sets the exit code (1 unless given).
void fail(const Error& e, int exit_code = 1);
void fail(const std::string& message, int exit_code = 1);
void set_exit_code(int code);
int exit_code();

// Unwraps a Result or fails and throws CLI::RuntimeError to end the command.
template <typename T>
T value_or_exit(Result<T> r) {
  if (!r) {
    fail(r.error());
    throw CLI::RuntimeError(exit_code());
  }
  return std::move(r).value();
}
inline void check_or_exit(const Status& s) {
  if (!s) {
    fail(s.error());
    throw CLI::RuntimeError(exit_code());
  }
}

}  // namespace tallylog::cli
