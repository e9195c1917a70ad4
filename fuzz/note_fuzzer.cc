// C2SP signed notes and keys (note/note.h): what `tallylog verify`, a mirror or a witness reads
// from a log it does not control — signed notes, verifier keys (log.vkey) and private keys.
//
// Properties: a note that parses is rebuilt byte for byte from its text and signature lines; a
// note that opens carries only signatures by the given keys; a verifier or private key that
// parses prints back as the same text; a text the signer accepts, once signed, parses and opens
// with that key and gives the same text back.
#include <vector>

#include "fuzz_support.h"
#include "tallylog/note/note.h"

namespace tallylog::fuzz {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";

struct Keys {
  note::Signer a = fixed_signer("fuzz.example/log", 'a');
  note::Signer b = fixed_signer("witness.example", 'b');
  std::vector<note::Verifier> verifiers{a.verifier(), b.verifier()};
};

const Keys& keys() {
  static const Keys* k = new Keys;
  return *k;
}

void check_parse(std::string_view msg) {
  auto n = note::parse_note(msg);
  if (!n) return;
  std::string rebuilt = n->text + "\n";
  for (const auto& s : n->signatures) rebuilt += std::string(kSigPrefix) + s.name + " " + s.base64 + "\n";
  check(rebuilt == msg, "a parsed note is rebuilt byte for byte from its text and signature lines");
}

void check_open(std::string_view msg) {
  const auto& k = keys();
  auto n = note::open_note(msg, k.verifiers);
  if (!n) return;
  auto parsed = note::parse_note(msg);
  check(parsed.has_value() && parsed->text == n->text, "an opened note has the text parse_note gives");
  check(!n->signatures.empty(), "an opened note has a signature by a known key");
  for (const auto& s : n->signatures) {
    bool known = false;
    for (const auto& v : k.verifiers) known = known || (v.name() == s.name && v.key_id() == s.key_id);
    check(known, "an opened note keeps only signatures by the given keys", s.name);
  }
}

void check_keys(std::string_view text) {
  // The key hash's hex is read in either case (as Go's note package does) and printed in lower
  // case: the printed key is the canonical spelling, which parses to the same key and prints
  // back unchanged.
  if (auto v = note::Verifier::parse(text)) {
    auto again = note::Verifier::parse(v->text());
    check(again && again->text() == v->text() && again->name() == v->name() && again->key_id() == v->key_id(),
          "a parsed verifier key's text parses to the same key and prints back unchanged", text);
  }
  if (auto s = note::Signer::parse(text)) {
    // Like a verifier key: the hash's hex in either case (Go's note.NewSigner too), printed in
    // lower case; the printed form is canonical (parses to the same key, prints back unchanged)
    // and differs from the input at most in the case of the hash.
    auto again = note::Signer::parse(s->private_key_text());
    check(again && again->private_key_text() == s->private_key_text() && again->name() == s->name() &&
              again->key_id() == s->key_id(),
          "a parsed private key's text parses to the same key and prints back unchanged", text);
    std::string lowered(text);
    for (char& c : lowered)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    std::string printed = s->private_key_text();
    for (char& c : printed)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    check(printed == lowered, "a parsed private key prints back as given, up to the case of hex digits", text);
    check(note::Verifier::parse(s->verifier_key()).has_value(), "a parsed private key's verifier key parses");
  }
}

void check_sign(std::string_view text) {
  const auto& k = keys();
  auto signed_note = note::sign_note(text, k.a);
  if (!signed_note) return;
  auto n = note::parse_note(*signed_note);
  check(n.has_value(), "a signed note parses", n ? "" : n.error().to_string());
  check(n->text == text, "a signed note parses back to its text");
  check(n->signatures.size() == 1 && n->signatures[0].name == k.a.name() && n->signatures[0].key_id == k.a.key_id(),
        "a signed note carries the signer's signature");
  auto opened = note::open_note(*signed_note, k.verifiers);
  check(opened.has_value(), "a signed note opens with the signer's key", opened ? "" : opened.error().to_string());
  check(opened->text == text, "a signed note opens to its text");
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog::fuzz;
  std::string_view msg = as_text(data, size);
  check_parse(msg);
  check_open(msg);
  if (size <= 512) check_keys(msg);
  if (size <= 4096) check_sign(msg);
  return 0;
}
