// C2SP tlog-cosignature v1 with Ed25519 (https://c2sp.org/tlog-cosignature): the timestamped
// signature a witness adds to a checkpoint it has verified, and the policy a reader applies to
// the cosignatures a checkpoint carries.
//
//   witness vkey   <name>+<hex8 key ID>+<base64(0x04 || 32-byte Ed25519 public key)>
//   key ID         SHA-256(name || 0x0A || 0x04 || public key)[:4]
//   signed message "cosignature/v1\n" "time " <decimal timestamp> "\n" <checkpoint body>
//   note line      "— " <name> " " base64(key ID || uint64 BE timestamp || 64-byte signature) "\n"
//   witness skey   Go's note form, PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>, as
//                  golang.org/x/mod/sumdb/note.GenerateKey writes it and transparency-dev's
//                  NewSignerForCosignatureV1 reads it (the 0x01 key ID; the 0x04 one is derived).
//
// The timestamp is POSIX seconds, below 2^63. The body is the whole note text of the checkpoint,
// extension lines included. Cosigner and CosignatureVerifier are immutable values, safe to share
// between threads; private key bytes never appear in error messages.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/note/note.h"

namespace tallylog::note {

inline constexpr unsigned char kCosignatureV1Type = 0x04;

// "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint body.
std::string cosignature_message(std::string_view checkpoint_body, uint64_t timestamp);

class CosignatureVerifier {
 public:
  // Parses a type 0x04 vkey, checking that the key ID matches the name and key.
  static Result<CosignatureVerifier> parse(std::string_view vkey);
  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  const std::string& public_key() const { return public_key_; }
  std::string text() const;  // the vkey form
  // Checks the decoded signature bytes of a note line (key ID || timestamp || signature) over
  // `checkpoint_body`; returns the timestamp, or kVerificationFailed saying what was wrong.
  Result<uint64_t> verify(std::string_view checkpoint_body, std::string_view signature_bytes) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::string public_key_;
};

class Cosigner {
 public:
  static Result<Cosigner> generate(std::string_view name);
  static Result<Cosigner> parse(std::string_view skey);
  const std::string& name() const { return signer_.name(); }
  uint32_t key_id() const { return key_id_; }
  std::string private_key_text() const { return signer_.private_key_text(); }  // 0600 files only
  std::string verifier_key() const;  // type 0x04
  CosignatureVerifier verifier() const;
  // The note signature line "— <name> <base64>\n" cosigning `checkpoint_body` at `timestamp`.
  Result<std::string> cosign(std::string_view checkpoint_body, uint64_t timestamp) const;

 private:
  explicit Cosigner(Signer s);
  Signer signer_;
  uint32_t key_id_ = 0;
};

struct Cosignature {
  std::string name;
  uint32_t key_id = 0;
  uint64_t timestamp = 0;
};

// The cosignatures in `signed_note` by the given witnesses, in witness order (one per witness at
// most). Lines by other keys are ignored; a line that names a given witness (name and key ID) but
// does not verify fails the whole note with kVerificationFailed (the signed-note rule).
Result<std::vector<Cosignature>> open_cosignatures(std::string_view signed_note,
                                                   std::span<const CosignatureVerifier> witnesses);

// Which of the configured witnesses must have cosigned: at least `quorum` of `witnesses`.
struct WitnessPolicy {
  std::vector<CosignatureVerifier> witnesses;
  size_t quorum = 0;  // 0: report only, never a shortfall
};

struct PolicyCheck {
  std::vector<Cosignature> cosigned;  // valid cosignatures by configured witnesses
  std::vector<std::string> missing;   // "<name>+<hex8>" of configured witnesses that did not cosign
  bool met = true;                    // cosigned.size() >= quorum
  // "2 of 3 witnesses cosigned (quorum 2): w1.example (2026-12-02T03:04:05Z), w2.example (...); missing: w3.example+0a1b2c3d"
  std::string summary(size_t quorum) const;
};

// Opens the cosignatures of `signed_note` under `policy`; fails only on an invalid cosignature
// (a shortfall is reported in `met`, the caller decides whether it is an error).
Result<PolicyCheck> check_witness_policy(std::string_view signed_note, const WitnessPolicy& policy);

// RFC 3339 UTC ("2026-12-02T03:04:05Z") of a POSIX timestamp.
std::string format_utc(uint64_t posix_seconds);

}  // namespace tallylog::note
