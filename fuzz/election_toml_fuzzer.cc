// Election TOML (election/toml.h), as `tallylog init --election` reads it.
//
// Properties: an election that parses compiles into a Validator (toml.h promises it), and its
// log entry decodes back to the same bytes: an operator cannot write an election that tallylog
// logs as entry 0 and then cannot read back (reindex and verify would fail forever).
#include "fuzz_support.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/toml.h"
#include "tallylog/election/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  auto e = election::parse_election_toml(as_text(data, size), "fuzz.toml");
  if (!e) return 0;
  auto v = election::Validator::create(*e);
  check(v.has_value(), "a parsed election compiles into a Validator", v ? "" : v.error().to_string());
  std::string bytes = election::encode_entry(*e);
  auto back = election::decode_entry(bytes);
  check(back.has_value(), "a parsed election's entry decodes", back ? "" : back.error().to_string() + "\n" + bytes);
  check(back->type == election::EntryType::kElection, "an election entry decodes as an election");
  check(election::encode_entry(std::get<election::Election>(back->record)) == bytes,
        "an election entry decodes unchanged", bytes);
  return 0;
}
