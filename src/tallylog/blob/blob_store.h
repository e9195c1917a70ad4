// Content-addressed store for sheet images and other evidence files:
//   <data>/blobs/sha256/<64 lowercase hex>
// The name is the SHA-256 of the content, so a blob can never change and storing the same
// bytes twice is a no-op. put() writes through Env::write_file_atomic(kSync) (temporary file,
// fsync, rename, fsync of the directory): after a crash a blob is either absent or complete,
// never half-written. The HTTP server serves blobs from here and stores POSTed images with put().
//
// Thread-safety: a BlobStore is immutable after open(); every method may be called from many
// threads (and processes) at once. The Env passed to open() must outlive the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"

namespace tallylog::blob {

class BlobStore {
 public:
  // Refuse blobs larger than this (default 64 MiB); put() fails with kResourceExhausted.
  static constexpr uint64_t kDefaultMaxBlobBytes = 64ull << 20;

  // Opens (creating directories as needed) the store under `data_dir`.
  static Result<BlobStore> open(Env& env, std::string data_dir,
                                uint64_t max_blob_bytes = kDefaultMaxBlobBytes);

  // Stores `bytes` durably and returns its lowercase hex SHA-256.
  Result<std::string> put(std::string_view bytes) const;

  // Reads a blob; kNotFound when absent, kInvalidArgument for a malformed digest,
  // kCorrupt when the stored bytes no longer hash to `hex_digest`.
  Result<std::string> get(std::string_view hex_digest) const;

  bool contains(std::string_view hex_digest) const;

  // "<data>/blobs/sha256/<hex>", or kInvalidArgument unless `hex_digest` is 64 lowercase hex
  // characters (so a digest from a URL can never name a path outside the store).
  Result<std::string> path_for(std::string_view hex_digest) const;

  const std::string& dir() const { return dir_; }

  static bool is_valid_digest(std::string_view hex_digest);

 private:
  BlobStore(Env& env, std::string dir, uint64_t max_blob_bytes)
      : env_(&env), dir_(std::move(dir)), max_(max_blob_bytes) {}
  Env* env_;
  std::string dir_;  // <data>/blobs/sha256
  uint64_t max_;
};

}  // namespace tallylog::blob
