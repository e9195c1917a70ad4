// Shared helpers of the libFuzzer harnesses in fuzz/ (see docs/fuzzing.md).
//
// A harness calls a public parser on the fuzzer's bytes and then checks a property that must
// hold for every input (a round trip, a differential between two implementations, a bound).
// A broken property is reported with fuzz::check(), which prints what broke and aborts, so
// libFuzzer saves the input as a crash like any sanitizer report.
//
// Fixtures (the bundled ve2024 election and mapping) are read once from the source tree
// ($TALLYLOG_SOURCE_DIR, default: the checkout the harness was built from) and never change,
// so every crash reproduces by running the harness on the saved input alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tallylog/election/model.h"
#include "tallylog/ingest/mapping.h"
#include "tallylog/note/note.h"

namespace tallylog::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Prints "fuzz check failed: <what>" and the detail, then aborts.
[[noreturn]] void fail(std::string_view what, std::string_view detail = {});
inline void check(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

// A file of the source tree ("elections/ve2024/election.toml"); aborts when it is missing.
std::string repo_file(std::string_view relative_path);

// The bundled Venezuela 2024 election and its CSV mapping (elections/ve2024/).
const election::Election& ve2024_election();
const ingest::Mapping& ve2024_mapping();

// Deterministic 32-byte strings for keys and tokens, so saved inputs reproduce across runs.
std::string fixed_bytes(char fill);

// An Ed25519 note signer named `name` whose seed is fixed_bytes(fill): the same key on every run.
// Aborts when `name` is not a valid key name.
note::Signer fixed_signer(std::string_view name, char fill);

}  // namespace tallylog::fuzz
