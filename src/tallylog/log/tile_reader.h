// TileReader implements LogReader over a published tlog-tiles directory through Env: the writer
// (Log) and read-only openers share it. It answers for the tree size set by publish(); tiles
// are read with the width that size implies, falling back to the full tile when a partial has
// been deleted. Full tiles are cached (they never change).
//
// Thread-safe: any number of readers; publish() is called by the single writer.
#pragma once

#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "tallylog/base/env.h"
#include "tallylog/log/log.h"
#include "tallylog/log/tiles.h"

namespace tallylog::log {

class TileReader final : public LogReader {
 public:
  TileReader(Env* env, std::string log_dir) : env_(env), log_dir_(std::move(log_dir)) {}

  // Makes (size, signed checkpoint text) the tree this reader answers for.
  void publish(uint64_t size, std::string checkpoint);

  uint64_t size() const override { return size_.load(std::memory_order_acquire); }
  Result<std::string> checkpoint() const override;
  Result<merkle::Hash> root_hash(uint64_t tree_size) const override;
  Result<std::string> entry(uint64_t index) const override;
  Status for_each_entry(uint64_t begin, uint64_t end,
                        const std::function<Status(uint64_t, std::string_view)>& fn) const override;
  Result<std::vector<merkle::Hash>> inclusion_proof(uint64_t index, uint64_t tree_size) const override;
  Result<std::vector<merkle::Hash>> consistency_proof(uint64_t from_size, uint64_t to_size) const override;

  // Hash of the complete subtree (level, index), which must lie within the published tree.
  Result<merkle::Hash> subtree_hash(unsigned level, uint64_t index) const;
  // The first `width` hashes of tile (level, n), reading a file of at least that width.
  Result<std::shared_ptr<const std::vector<merkle::Hash>>> tile(unsigned level, uint64_t n, uint64_t width) const;
  // The raw bundle n holding at least `width` entries, and the entries parsed from it.
  Result<std::string> bundle(uint64_t n, uint64_t width) const;

 private:
  struct CachedTile {
    std::shared_ptr<const std::vector<merkle::Hash>> hashes;
    // Internal nodes of the tile: nodes[r] holds the width >> r complete nodes r levels up.
    std::array<std::vector<merkle::Hash>, kTileHeight + 1> nodes;
  };
  using CacheKey = std::tuple<unsigned, uint64_t, uint64_t>;  // level, n, width
  Result<std::string> read_tile_file(const std::string& full, const std::string& partial) const;
  // kNotFound when tree_size is beyond the published size.
  Status check_within(uint64_t tree_size) const;
  // Tile (level, n) cut to `width` hashes (a full tile when width is 256), with its internal
  // nodes; cached, since a tile of a given width never changes.
  Result<std::shared_ptr<const CachedTile>> cached_tile(unsigned level, uint64_t n, uint64_t width) const;

  Env* env_;
  std::string log_dir_;
  std::atomic<uint64_t> size_{0};
  mutable std::mutex mu_;
  std::string checkpoint_;
  mutable std::map<CacheKey, std::shared_ptr<const CachedTile>> cache_;
  mutable std::list<CacheKey> cache_order_;
};

}  // namespace tallylog::log
