// TileReader implements LogReader over the published files of a LogStorage: the writer (Log)
// and read-only openers share it. It answers for the tree set by publish() — a size, its root
// and the signed checkpoint — and AUTHENTICATES everything it reads against that root: a hash
// tile is used only once its hashes hash up to the signed root (a full tile through its parent,
// the partial tiles of the right edge through the root itself), and every entry it returns
// (entry, for_each_entry: what reindex and catch-up read) is checked against its leaf hash. A
// stored file altered after signing is kVerificationFailed naming the file and the index,
// never a wrong answer. Tiles are read with the width the size implies, falling back to the full
// tile when a partial has been deleted. Authenticated tiles are cached (they never change).
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

#include "tallylog/log/log.h"
#include "tallylog/log/storage.h"
#include "tallylog/log/tiles.h"

namespace tallylog::log {

class TileReader final : public LogReader {
 public:
  explicit TileReader(std::shared_ptr<const LogStorage> storage) : storage_(std::move(storage)) {}

  // Makes (size, root, signed checkpoint text) the tree this reader answers for. The caller has
  // checked the checkpoint's signature and that it commits to (size, root).
  void publish(uint64_t size, const merkle::Hash& root, std::string checkpoint);

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

 private:
  struct CachedTile {
    std::shared_ptr<const std::vector<merkle::Hash>> hashes;
    // Internal nodes of the tile: nodes[r] holds the width >> r complete nodes r levels up.
    std::array<std::vector<merkle::Hash>, kTileHeight + 1> nodes;
  };
  using CacheKey = std::tuple<unsigned, uint64_t, uint64_t>;  // level, n, width
  struct Head {
    uint64_t size = 0;
    merkle::Hash root{};
  };

  Head head() const;
  Result<std::string> read_file(const std::string& full, const std::string& partial) const;
  // kNotFound when tree_size is beyond the published size.
  Status check_within(uint64_t tree_size) const;
  // Tile (level, n) cut to `width` hashes, read and parsed but not yet authenticated.
  Result<std::shared_ptr<CachedTile>> load_tile(unsigned level, uint64_t n, uint64_t width) const;
  // Tile (level, n) of the tree `h` (width implied by its size), authenticated, cached.
  Result<std::shared_ptr<const CachedTile>> tile(const Head& h, unsigned level, uint64_t n) const;
  // Authenticates the partial tiles of the right edge of `h` against its root and caches them.
  Status authenticate_edge(const Head& h) const;
  void cache_put(const CacheKey& key, std::shared_ptr<const CachedTile> t) const;

  std::shared_ptr<const LogStorage> storage_;
  std::atomic<uint64_t> size_{0};
  mutable std::mutex mu_;
  Head head_;
  std::string checkpoint_;
  mutable std::map<CacheKey, std::shared_ptr<const CachedTile>> cache_;
  mutable std::list<CacheKey> cache_order_;
};

}  // namespace tallylog::log
