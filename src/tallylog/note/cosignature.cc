#include "tallylog/note/cosignature.h"

#include <chrono>

#include "tallylog/base/bytes.h"
#include "tallylog/base/clock.h"

namespace tallylog::note {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr uint64_t kMaxTimestamp = (uint64_t{1} << 63) - 1;

std::string key_name_id(const std::string& name, uint32_t id) { return name + "+" + hex8(id); }

}  // namespace

std::string cosignature_message(std::string_view checkpoint_body, uint64_t timestamp) {
  std::string m = "cosignature/v1\ntime " + std::to_string(timestamp) + "\n";
  m += checkpoint_body;
  return m;
}

Result<CosignatureVerifier> CosignatureVerifier::parse(std::string_view vkey) {
  TL_ASSIGN_OR_RETURN(VerifierKeyText k, parse_verifier_key_text(vkey));
  if (k.type != kCosignatureV1Type || k.key.size() != 32) {
    return err(ErrorCode::kInvalidArgument,
               "witness key " + k.name + " is not an Ed25519 cosignature/v1 key (type 0x04, 32 bytes)" +
                   (k.type == 0x01 ? "; this is a log (note signature) key: run `tallylog witness keygen` for a witness key" : ""));
  }
  CosignatureVerifier v;
  v.name_ = std::move(k.name);
  v.public_key_ = std::move(k.key);
  v.key_id_ = note::key_id(v.name_, kCosignatureV1Type, v.public_key_);
  if (v.key_id_ != k.key_id) {
    return err(ErrorCode::kInvalidArgument, "witness key ID " + hex8(k.key_id) + " does not match the key of " + v.name_);
  }
  return v;
}

std::string CosignatureVerifier::text() const {
  return format_verifier_key_text(name_, key_id_, kCosignatureV1Type, public_key_);
}

Result<uint64_t> CosignatureVerifier::verify(std::string_view checkpoint_body, std::string_view sig) const {
  const std::string who = "cosignature by " + key_name_id(name_, key_id_);
  if (sig.size() != 4 + 8 + 64) {
    return err(ErrorCode::kVerificationFailed, who + " is " + std::to_string(sig.size()) + " bytes, expected 76");
  }
  uint32_t id = (uint32_t{get_u16_be(sig)} << 16) | get_u16_be(sig.substr(2));
  if (id != key_id_) return err(ErrorCode::kVerificationFailed, who + " has key ID " + hex8(id));
  uint64_t ts = get_u64_be(sig.substr(4));
  if (ts > kMaxTimestamp) return err(ErrorCode::kVerificationFailed, who + " has a timestamp above 2^63-1");
  if (!ed25519_verify(public_key_, cosignature_message(checkpoint_body, ts), sig.substr(12))) {
    return err(ErrorCode::kVerificationFailed, who + " does not verify");
  }
  return ts;
}

Cosigner::Cosigner(Signer s)
    : signer_(std::move(s)), key_id_(note::key_id(signer_.name(), kCosignatureV1Type, signer_.verifier().public_key())) {}

Result<Cosigner> Cosigner::generate(std::string_view name) {
  TL_ASSIGN_OR_RETURN(Signer s, Signer::generate(name));
  return Cosigner(std::move(s));
}

Result<Cosigner> Cosigner::parse(std::string_view skey) {
  TL_ASSIGN_OR_RETURN(Signer s, Signer::parse(skey));
  return Cosigner(std::move(s));
}

std::string Cosigner::verifier_key() const {
  return format_verifier_key_text(signer_.name(), key_id_, kCosignatureV1Type, signer_.verifier().public_key());
}

CosignatureVerifier Cosigner::verifier() const { return CosignatureVerifier::parse(verifier_key()).value(); }

Result<std::string> Cosigner::cosign(std::string_view checkpoint_body, uint64_t timestamp) const {
  if (timestamp > kMaxTimestamp) return err(ErrorCode::kInvalidArgument, "cosignature timestamp above 2^63-1");
  TL_ASSIGN_OR_RETURN(std::string sig, signer_.sign(cosignature_message(checkpoint_body, timestamp)));
  std::string blob;
  put_u16_be(blob, static_cast<uint16_t>(key_id_ >> 16));
  put_u16_be(blob, static_cast<uint16_t>(key_id_ & 0xffff));
  put_u64_be(blob, timestamp);
  blob += sig;
  std::string line(kSigPrefix);
  line += signer_.name();
  line += " ";
  line += base64_encode(blob);
  line += "\n";
  return line;
}

Result<std::vector<Cosignature>> open_cosignatures(std::string_view signed_note,
                                                   std::span<const CosignatureVerifier> witnesses) {
  TL_ASSIGN_OR_RETURN(Note n, parse_note(signed_note));
  std::vector<Cosignature> found(witnesses.size());
  std::vector<bool> have(witnesses.size(), false);
  for (const Signature& s : n.signatures) {
    for (size_t i = 0; i < witnesses.size(); ++i) {
      const CosignatureVerifier& w = witnesses[i];
      if (w.name() != s.name || w.key_id() != s.key_id) continue;
      std::string blob = base64_decode(s.base64).value();  // parse_note checked it
      TL_ASSIGN_OR_RETURN(uint64_t ts, w.verify(n.text, blob));
      if (!have[i] || ts > found[i].timestamp) found[i] = Cosignature{s.name, s.key_id, ts};
      have[i] = true;
    }
  }
  std::vector<Cosignature> out;
  for (size_t i = 0; i < witnesses.size(); ++i) {
    if (have[i]) out.push_back(std::move(found[i]));
  }
  return out;
}

Result<PolicyCheck> check_witness_policy(std::string_view signed_note, const WitnessPolicy& policy) {
  PolicyCheck c;
  TL_ASSIGN_OR_RETURN(c.cosigned, open_cosignatures(signed_note, policy.witnesses));
  for (const auto& w : policy.witnesses) {
    bool seen = false;
    for (const auto& s : c.cosigned) seen = seen || (s.name == w.name() && s.key_id == w.key_id());
    if (!seen) c.missing.push_back(key_name_id(w.name(), w.key_id()));
  }
  c.met = c.cosigned.size() >= policy.quorum;
  return c;
}

std::string PolicyCheck::summary(size_t quorum) const {
  size_t total = cosigned.size() + missing.size();
  std::string s = std::to_string(cosigned.size()) + " of " + std::to_string(total) + " witnesses cosigned";
  if (quorum) s += " (quorum " + std::to_string(quorum) + (met ? ", met" : ", NOT met") + ")";
  for (size_t i = 0; i < cosigned.size(); ++i) {
    s += (i ? ", " : ": ") + key_name_id(cosigned[i].name, cosigned[i].key_id) + " at " + format_utc(cosigned[i].timestamp);
  }
  if (!missing.empty()) {
    s += "; missing: ";
    for (size_t i = 0; i < missing.size(); ++i) s += (i ? ", " : "") + missing[i];
  }
  return s;
}

std::string format_utc(uint64_t posix_seconds) {
  // Beyond year 9999 the RFC 3339 form has no room: print the number.
  if (posix_seconds > uint64_t{253402300799}) return std::to_string(posix_seconds);
  return format_rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(posix_seconds)));
}

}  // namespace tallylog::note
