// C2SP signed-note (https://c2sp.org/signed-note), byte-compatible with Go's
// golang.org/x/mod/sumdb/note, with Ed25519 keys (type 0x01) through OpenSSL 3.
//
//   verifier key:  <name>+<hex8 key ID>+<base64(0x01 || 32-byte public key)>
//   private key:   PRIVATE+KEY+<name>+<hex8 key ID>+<base64(0x01 || 32-byte seed)>   (Go's form)
//   key ID:        first 4 bytes (big-endian) of SHA-256(name || 0x0A || 0x01 || public key)
//   note:          <text ending in \n> \n  then one line per signature:
//                  "— " <name> " " base64(key ID || 64-byte signature) \n
//
// Signer and Verifier are immutable values after construction; safe to share between threads.
// Private key bytes never appear in error messages.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog::note {

// Key names: non-empty, valid UTF-8, no whitespace, no '+'.
Status check_key_name(std::string_view name);
// SHA-256(name || 0x0A || type || public key)[:4], big-endian: the key ID of every signature type
// (0x01 note signatures, 0x04 cosignatures, see cosignature.h).
uint32_t key_id(std::string_view name, unsigned char type, std::string_view public_key);
uint32_t key_id(std::string_view name, std::string_view public_key);  // type 0x01

// The fields of a verifier key text "<name>+<hex8 key ID>+<base64(type || key)>", with the name
// checked and the key ID parsed, but neither the type nor the ID checked against the key.
struct VerifierKeyText {
  std::string name;
  uint32_t key_id = 0;
  unsigned char type = 0;
  std::string key;  // the bytes after the type byte
};
Result<VerifierKeyText> parse_verifier_key_text(std::string_view vkey);
// "<name>+<hex8>+<base64(type || key)>".
std::string format_verifier_key_text(std::string_view name, uint32_t id, unsigned char type, std::string_view key);
std::string hex8(uint32_t v);

// Raw Ed25519 (RFC 8032) through OpenSSL: 32-byte public keys and seeds, 64-byte signatures.
bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature);

class Verifier {
 public:
  // Parses "<name>+<hex8>+<base64>", checking the key type and that the key ID matches.
  static Result<Verifier> parse(std::string_view vkey);
  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  const std::string& public_key() const { return public_key_; }  // 32 raw bytes
  std::string text() const;                                      // the vkey form
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::string public_key_;
};

class Signer {
 public:
  static Result<Signer> generate(std::string_view name);
  // Parses Go's "PRIVATE+KEY+<name>+<hex8>+<base64(0x01||seed)>".
  static Result<Signer> parse(std::string_view skey);
  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  std::string private_key_text() const;  // the skey form; write it to a 0600 file only
  std::string verifier_key() const;      // the vkey form
  Verifier verifier() const;
  // Raw 64-byte Ed25519 signature over message.
  Result<std::string> sign(std::string_view message) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::string seed_;
  std::string public_key_;
};

struct Signature {
  std::string name;
  uint32_t key_id = 0;
  std::string base64;  // base64(key ID || signature), as on the line
};

struct Note {
  std::string text;                  // ends with "\n"
  std::vector<Signature> signatures;  // in note order
};

// Checks the text rules (UTF-8, no control characters but \n, ends with \n) and signs it.
Result<std::string> sign_note(std::string_view text, std::span<const Signer* const> signers);
Result<std::string> sign_note(std::string_view text, const Signer& signer);

// Parses the note structure without checking any signature.
Result<Note> parse_note(std::string_view msg);

// Parses and verifies: every signature whose (name, key ID) matches a known verifier must be
// valid (kVerificationFailed otherwise); signatures by unknown keys are ignored; at least one
// known signature is required (kVerificationFailed "no signature by a known key ...").
// Returns the note with only the verified signatures.
Result<Note> open_note(std::string_view msg, std::span<const Verifier> verifiers);

}  // namespace tallylog::note
