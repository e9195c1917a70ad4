// Signed notes and Ed25519 through OpenSSL 3 EVP. OpenSSL objects never leave this file.
#include "tallylog/note/note.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <memory>
#include <set>

#include "tallylog/base/bytes.h"
#include "tallylog/base/sha256.h"

namespace tallylog::note {
namespace {

constexpr unsigned char kAlgEd25519 = 0x01;
constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr size_t kMaxSignatures = 100;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// "<name>+<hex8 key ID>+<base64(0x01 || key)>": the shared tail of verifier and private key texts.
std::string key_text(const std::string& name, uint32_t id, std::string_view key) {
  return format_verifier_key_text(name, id, kAlgEd25519, key);
}

Result<uint32_t> parse_hex8(std::string_view s) {
  if (s.size() != 8) return err(ErrorCode::kInvalidArgument, "key ID must be 8 lowercase hex digits");
  auto raw = hex_decode(s);
  if (!raw) return err(ErrorCode::kInvalidArgument, "key ID must be 8 lowercase hex digits");
  uint32_t v = 0;
  for (unsigned char c : *raw) v = (v << 8) | c;
  return v;
}

Result<std::string> public_from_seed(std::string_view seed) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!key) return err(ErrorCode::kInvalidArgument, "invalid Ed25519 private key");
  std::string pub(32, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) != 1 || len != 32) {
    return err(ErrorCode::kInternal, "OpenSSL could not derive an Ed25519 public key");
  }
  return pub;
}

// Splits "a+b+c" style keys into exactly n fields where the last may contain '+'.
std::vector<std::string_view> split_plus(std::string_view s, size_t n) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < n) {
    size_t p = s.find('+');
    if (p == std::string_view::npos) break;
    out.push_back(s.substr(0, p));
    s.remove_prefix(p + 1);
  }
  out.push_back(s);
  return out;
}

Status check_text(std::string_view text) {
  if (text.empty() || text.back() != '\n') return err(ErrorCode::kInvalidArgument, "note text must end with a newline");
  if (!is_valid_utf8(text)) return err(ErrorCode::kInvalidArgument, "note text is not valid UTF-8");
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f) {
      return err(ErrorCode::kInvalidArgument, "note text has control character 0x" + hex_encode(text.substr(i, 1)) +
                                                  " at byte " + std::to_string(i));
    }
  }
  return ok();
}

}  // namespace

std::string hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::string format_verifier_key_text(std::string_view name, uint32_t id, unsigned char type, std::string_view key) {
  return std::string(name) + "+" + hex8(id) + "+" + base64_encode(std::string(1, static_cast<char>(type)) + std::string(key));
}

Result<VerifierKeyText> parse_verifier_key_text(std::string_view vkey) {
  auto f = split_plus(vkey, 3);
  if (f.size() != 3) return err(ErrorCode::kInvalidArgument, "verifier key must be <name>+<hex8>+<base64>");
  TL_TRY(check_key_name(f[0]));
  VerifierKeyText out;
  out.name = std::string(f[0]);
  TL_ASSIGN_OR_RETURN(out.key_id, parse_hex8(f[1]));
  auto raw = base64_decode(f[2]);
  if (!raw) return err(ErrorCode::kInvalidArgument, "verifier key: " + raw.error().message);
  if (raw->empty()) return err(ErrorCode::kInvalidArgument, "verifier key has no key bytes");
  out.type = static_cast<unsigned char>((*raw)[0]);
  out.key = raw->substr(1);
  return out;
}

bool ed25519_verify(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (signature.size() != 64 || public_key.size() != 32) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           reinterpret_cast<const unsigned char*>(public_key.data()), public_key.size()));
  if (!key) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

Status check_key_name(std::string_view name) {
  if (name.empty()) return err(ErrorCode::kInvalidArgument, "key name is empty");
  if (!is_valid_utf8(name)) return err(ErrorCode::kInvalidArgument, "key name is not valid UTF-8");
  for (unsigned char c : name) {
    if (c == '+' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c < 0x20 || c == 0x7f) {
      return err(ErrorCode::kInvalidArgument, "key name \"" + std::string(name) + "\" contains '+', whitespace or a control character");
    }
  }
  // Non-ASCII whitespace (U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028/9, U+202F, U+205F, U+3000).
  for (std::string_view ws : {"\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF",
                              "\xE2\x81\x9F", "\xE3\x80\x80"}) {
    if (name.find(ws) != std::string_view::npos) return err(ErrorCode::kInvalidArgument, "key name contains whitespace");
  }
  for (unsigned char c = 0x80; c <= 0x8A; ++c) {
    std::string ws = "\xE2\x80";
    ws.push_back(static_cast<char>(c));
    if (name.find(ws) != std::string_view::npos) return err(ErrorCode::kInvalidArgument, "key name contains whitespace");
  }
  return ok();
}

uint32_t key_id(std::string_view name, std::string_view public_key) { return key_id(name, kAlgEd25519, public_key); }

uint32_t key_id(std::string_view name, unsigned char type, std::string_view public_key) {
  Sha256 h;
  h.update(name);
  const unsigned char sep[2] = {'\n', type};
  h.update(sep, 2);
  h.update(public_key);
  auto d = h.finish();
  return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
}

Result<Verifier> Verifier::parse(std::string_view vkey) {
  TL_ASSIGN_OR_RETURN(VerifierKeyText k, parse_verifier_key_text(vkey));
  if (k.key.size() != 32 || k.type != kAlgEd25519) {
    return err(ErrorCode::kInvalidArgument, "verifier key is not an Ed25519 key (type 0x01, 32 bytes)");
  }
  Verifier v;
  v.name_ = std::move(k.name);
  v.public_key_ = std::move(k.key);
  v.key_id_ = note::key_id(v.name_, v.public_key_);
  if (v.key_id_ != k.key_id) return err(ErrorCode::kInvalidArgument, "verifier key ID " + hex8(k.key_id) + " does not match the key");
  return v;
}

std::string Verifier::text() const { return key_text(name_, key_id_, public_key_); }

bool Verifier::verify(std::string_view message, std::string_view signature) const {
  return ed25519_verify(public_key_, message, signature);
}

Result<Signer> Signer::generate(std::string_view name) {
  TL_TRY(check_key_name(name));
  std::string seed(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), 32) != 1) {
    return err(ErrorCode::kInternal, "OpenSSL could not produce random bytes for a key");
  }
  Signer s;
  s.name_ = std::string(name);
  s.seed_ = std::move(seed);
  TL_ASSIGN_OR_RETURN(s.public_key_, public_from_seed(s.seed_));
  s.key_id_ = note::key_id(s.name_, s.public_key_);
  return s;
}

Result<Signer> Signer::parse(std::string_view skey) {
  auto f = split_plus(skey, 5);
  if (f.size() != 5 || f[0] != "PRIVATE" || f[1] != "KEY") {
    return err(ErrorCode::kInvalidArgument, "private key must be PRIVATE+KEY+<name>+<hex8>+<base64>");
  }
  TL_TRY(check_key_name(f[2]));
  TL_ASSIGN_OR_RETURN(uint32_t id, parse_hex8(f[3]));
  auto raw = base64_decode(f[4]);
  if (!raw || raw->size() != 33 || static_cast<unsigned char>((*raw)[0]) != kAlgEd25519) {
    return err(ErrorCode::kInvalidArgument, "private key is not an Ed25519 key (type 0x01, 32-byte seed)");
  }
  Signer s;
  s.name_ = std::string(f[2]);
  s.seed_ = raw->substr(1);
  TL_ASSIGN_OR_RETURN(s.public_key_, public_from_seed(s.seed_));
  s.key_id_ = note::key_id(s.name_, s.public_key_);
  if (s.key_id_ != id) return err(ErrorCode::kInvalidArgument, "private key ID does not match the key");
  return s;
}

std::string Signer::private_key_text() const { return "PRIVATE+KEY+" + key_text(name_, key_id_, seed_); }

std::string Signer::verifier_key() const { return key_text(name_, key_id_, public_key_); }

Verifier Signer::verifier() const { return Verifier::parse(verifier_key()).value(); }

Result<std::string> Signer::sign(std::string_view message) const {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                            reinterpret_cast<const unsigned char*>(seed_.data()), seed_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return err(ErrorCode::kInternal, "OpenSSL could not set up Ed25519 signing");
  }
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != 64) {
    return err(ErrorCode::kInternal, "OpenSSL Ed25519 signing failed");
  }
  return sig;
}

Result<std::string> sign_note(std::string_view text, std::span<const Signer* const> signers) {
  TL_TRY(check_text(text));
  std::string out(text);
  out += "\n";
  for (const Signer* s : signers) {
    TL_ASSIGN_OR_RETURN(std::string sig, s->sign(text));
    std::string blob;
    put_u16_be(blob, static_cast<uint16_t>(s->key_id() >> 16));
    put_u16_be(blob, static_cast<uint16_t>(s->key_id() & 0xffff));
    blob += sig;
    out += kSigPrefix;
    out += s->name();
    out += " ";
    out += base64_encode(blob);
    out += "\n";
  }
  return out;
}

Result<std::string> sign_note(std::string_view text, const Signer& signer) {
  const Signer* one[] = {&signer};
  return sign_note(text, one);
}

Result<Note> parse_note(std::string_view msg) {
  size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) {
    return err(ErrorCode::kInvalidArgument, "malformed note: no blank line before the signatures");
  }
  Note n;
  n.text = std::string(msg.substr(0, split + 1));
  TL_TRY(check_text(n.text));
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return err(ErrorCode::kInvalidArgument, "malformed note: signature block is empty or lacks its final newline");
  }
  size_t line_no = 0;
  while (!sigs.empty()) {
    ++line_no;
    size_t nl = sigs.find('\n');
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    std::string where = "signature line " + std::to_string(line_no);
    if (!line.starts_with(kSigPrefix)) return err(ErrorCode::kInvalidArgument, where + " does not start with \"— \"");
    line.remove_prefix(kSigPrefix.size());
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return err(ErrorCode::kInvalidArgument, where + " has no signature after the name");
    std::string_view name = line.substr(0, sp), b64 = line.substr(sp + 1);
    if (auto s = check_key_name(name); !s) return err(ErrorCode::kInvalidArgument, where + ": " + s.error().message);
    auto blob = base64_decode(b64);
    if (!blob) return err(ErrorCode::kInvalidArgument, where + ": " + blob.error().message);
    if (blob->size() < 5) return err(ErrorCode::kInvalidArgument, where + ": signature too short");
    if (n.signatures.size() >= kMaxSignatures) return err(ErrorCode::kInvalidArgument, "note has too many signatures");
    Signature s;
    s.name = std::string(name);
    s.key_id = (uint32_t{get_u16_be(*blob)} << 16) | get_u16_be(std::string_view(*blob).substr(2));
    s.base64 = std::string(b64);
    n.signatures.push_back(std::move(s));
  }
  return n;
}

Result<Note> open_note(std::string_view msg, std::span<const Verifier> verifiers) {
  TL_ASSIGN_OR_RETURN(Note n, parse_note(msg));
  Note out;
  out.text = n.text;
  std::set<std::pair<std::string, uint32_t>> seen;
  for (const Signature& s : n.signatures) {
    for (const Verifier& v : verifiers) {
      if (v.name() != s.name || v.key_id() != s.key_id) continue;
      std::string blob = base64_decode(s.base64).value();
      if (!v.verify(n.text, std::string_view(blob).substr(4))) {
        return err(ErrorCode::kVerificationFailed, "invalid signature by key " + s.name + "+" + hex8(s.key_id));
      }
      if (seen.insert({s.name, s.key_id}).second) out.signatures.push_back(s);
    }
  }
  if (out.signatures.empty()) {
    std::string known;
    for (const Verifier& v : verifiers) known += (known.empty() ? "" : ", ") + v.name() + "+" + hex8(v.key_id());
    return err(ErrorCode::kVerificationFailed, "note has no signature by a known key (known: " + known + ")");
  }
  return out;
}

}  // namespace tallylog::note
