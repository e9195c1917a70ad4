// SHA-256 for the Merkle tree through OpenSSL's low-level SHA256_* functions: they skip the
// EVP provider lookup, which dominates the cost of hashing 65-byte node inputs.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "tallylog/merkle/hash.h"

#include <openssl/sha.h>

#include <cstring>

#include "tallylog/base/bytes.h"

namespace tallylog::merkle {

Hash leaf_hash(std::string_view entry) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  const unsigned char prefix = 0x00;
  SHA256_Update(&ctx, &prefix, 1);
  SHA256_Update(&ctx, entry.data(), entry.size());
  Hash h;
  SHA256_Final(h.data(), &ctx);
  return h;
}

Hash node_hash(const Hash& left, const Hash& right) {
  unsigned char buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, buf, sizeof buf);
  Hash h;
  SHA256_Final(h.data(), &ctx);
  return h;
}

Hash empty_root() {
  Hash h;
  SHA256(nullptr, 0, h.data());
  return h;
}

std::string hash_base64(const Hash& h) { return base64_encode(hash_bytes(h)); }
std::string hash_hex(const Hash& h) { return hex_encode(hash_bytes(h)); }

Result<Hash> hash_from_bytes(std::string_view bytes) {
  if (bytes.size() != 32) {
    return err(ErrorCode::kInvalidArgument, "a hash is 32 bytes, got " + std::to_string(bytes.size()));
  }
  Hash h;
  std::memcpy(h.data(), bytes.data(), 32);
  return h;
}

Result<Hash> hash_from_base64(std::string_view b64) {
  TL_ASSIGN_OR_RETURN(std::string raw, base64_decode(b64));
  return hash_from_bytes(raw);
}

}  // namespace tallylog::merkle
