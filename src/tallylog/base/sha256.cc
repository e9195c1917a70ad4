#include "tallylog/base/sha256.h"

// The one-shot SHA256_* API is deprecated in OpenSSL 3 in favour of EVP, but EVP costs a
// context allocation and provider lookup per message, which dominates for the 65-byte node
// hashes of a Merkle tree. Both paths end in the same assembly (SHA-NI where available).
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <openssl/sha.h>

#include "tallylog/base/bytes.h"

namespace tallylog {

struct Sha256::State {
  SHA256_CTX ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) { SHA256_Init(&state_->ctx); }
Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) { SHA256_Update(&state_->ctx, data.data(), data.size()); }
void Sha256::update(const void* data, size_t size) { SHA256_Update(&state_->ctx, data, size); }

Sha256Digest Sha256::finish() {
  Sha256Digest d;
  SHA256_Final(d.data(), &state_->ctx);
  SHA256_Init(&state_->ctx);
  return d;
}

Sha256Digest sha256(std::string_view data) {
  Sha256Digest d;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data());
  return d;
}

std::string sha256_hex(std::string_view data) { return hex_encode(as_bytes(sha256(data))); }

}  // namespace tallylog
