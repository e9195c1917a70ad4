// The Merkle tree of one checkpoint size as published in tlog-tiles files (remote or local, read
// through log::LogFiles): complete-subtree hashes, roots at smaller sizes and consistency proofs,
// reading only the O(log n) tiles they need. Partial tiles are read at the width the size implies,
// falling back to the full tile (tlog-tiles lets a log delete a partial once the tile is full).
// Nothing read is trusted: callers check what they derive against a signed root.
//
// Errors name the file as `where` + "/" + path (the source's URL or directory).
// Not thread-safe (one LogFiles reader); tiles are cached for the object's life.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/log/verify.h"
#include "tallylog/merkle/hash.h"

namespace tallylog::mirror {

class RemoteTree {
 public:
  RemoteTree(log::LogFiles& files, std::string where, uint64_t size)
      : files_(files), where_(std::move(where)), size_(size) {}

  uint64_t size() const { return size_; }
  // Hash of the complete subtree (level, index) within the tree.
  Result<merkle::Hash> subtree_hash(unsigned level, uint64_t index);
  // Root of the first `size` leaves (size <= size()).
  Result<merkle::Hash> root(uint64_t size);
  // RFC 6962 consistency proof between two sizes <= size().
  Result<std::vector<merkle::Hash>> consistency_proof(uint64_t from, uint64_t to);
  // The first `width` hashes of tile (level, n).
  Result<std::shared_ptr<const std::vector<merkle::Hash>>> tile(unsigned level, uint64_t n, uint64_t width);
  // Tile files read so far.
  uint64_t tiles_read() const { return tiles_read_; }
  // Calls fn(level, n, hashes) for every tile read so far.
  template <typename Fn>
  void for_each_tile(Fn&& fn) const {
    for (const auto& [k, v] : cache_) fn(std::get<0>(k), std::get<1>(k), *v);
  }

 private:
  log::LogFiles& files_;
  std::string where_;
  uint64_t size_;
  uint64_t tiles_read_ = 0;
  std::map<std::tuple<unsigned, uint64_t, uint64_t>, std::shared_ptr<const std::vector<merkle::Hash>>> cache_;
};

}  // namespace tallylog::mirror
