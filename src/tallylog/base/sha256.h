// SHA-256 through OpenSSL 3 (which uses the CPU's SHA extensions when present).
// Sha256 is a streaming hasher; sha256() hashes one buffer. Not thread-safe per object;
// use one Sha256 per thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tallylog {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  void update(const void* data, size_t size);
  Sha256Digest finish();  // resets the hasher for reuse

 private:
  struct State;
  std::unique_ptr<State> state_;
};

Sha256Digest sha256(std::string_view data);
std::string sha256_hex(std::string_view data);  // lowercase hex
inline std::string_view as_bytes(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace tallylog
