// C2SP checkpoints (note/checkpoint.h): the signed tree head every reader, mirror and verifier
// trusts, as read from <data>/log/checkpoint or GET /log/checkpoint.
//
// Properties: a body that parses prints back byte for byte (one encoding per checkpoint); a
// checkpoint that opens with the log key has the key's name as origin; a parsed body whose origin
// can name a key, signed with such a key, opens to the same checkpoint.
#include <map>

#include "fuzz_support.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::fuzz {
namespace {

const note::Signer& log_key() {
  static const note::Signer* k = new note::Signer(fixed_signer("fuzz.example/log", 'a'));
  return *k;
}

void check_signed_round_trip(const note::Checkpoint& c) {
  if (!note::check_key_name(c.origin)) return;
  // Deriving a key costs more than the rest of the run: remember them by name.
  static std::map<std::string, note::Signer> signers;
  if (signers.size() > 1024) signers.clear();
  auto it = signers.find(c.origin);
  if (it == signers.end()) it = signers.emplace(c.origin, fixed_signer(c.origin, 'c')).first;
  const note::Signer& signer = it->second;
  auto text = note::sign_checkpoint(c, signer);
  if (!text) {
    check(text.error().code == ErrorCode::kInvalidArgument, "a checkpoint that cannot be signed is bad input",
          text.error().to_string());
    return;
  }
  auto back = note::open_checkpoint(*text, signer.verifier());
  check(back.has_value(), "a signed checkpoint opens", back ? "" : back.error().to_string());
  check(back->origin == c.origin && back->size == c.size && back->root == c.root && back->extensions == c.extensions,
        "a signed checkpoint opens to the same checkpoint", *text);
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  std::string_view text = as_text(data, size);
  if (auto c = note::Checkpoint::parse_body(text)) {
    check(c->body() == text, "a parsed checkpoint body prints back byte for byte", std::string(text.substr(0, 200)));
    if (size <= 4096) check_signed_round_trip(*c);
  }
  if (auto c = note::open_checkpoint(text, log_key().verifier())) {
    check(c->origin == log_key().name(), "an opened checkpoint's origin is the key name");
  }
  return 0;
}
