// RFC 6962 / RFC 9162 Merkle tree hashing, the vocabulary of the whole log:
//   leaf hash  = SHA-256(0x00 || entry)
//   node hash  = SHA-256(0x01 || left || right)
//   empty tree = SHA-256("")
// Indexes are 0-based. Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog::merkle {

using Hash = std::array<uint8_t, 32>;

Hash leaf_hash(std::string_view entry);
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_root();

inline std::string_view hash_bytes(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }
std::string hash_base64(const Hash& h);
std::string hash_hex(const Hash& h);
// Strict decoders: exactly 32 bytes, canonical base64.
Result<Hash> hash_from_bytes(std::string_view bytes);
Result<Hash> hash_from_base64(std::string_view b64);

}  // namespace tallylog::merkle
