#include "tallylog/mirror/remote_tree.h"

#include <span>

#include "tallylog/log/tiles.h"
#include "tallylog/merkle/tree.h"

namespace tallylog::mirror {

Result<std::shared_ptr<const std::vector<merkle::Hash>>> RemoteTree::tile(unsigned level, uint64_t n, uint64_t width) {
  auto key = std::make_tuple(level, n, width);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  std::string rel = log::tile_path(level, n, width);
  auto data = files_.read(rel);
  ++tiles_read_;
  if (!data && data.error().code == ErrorCode::kNotFound && width < log::kTileWidth) {
    // The partial may be gone now that the tile is full: its prefix is the partial.
    rel = log::tile_path(level, n, log::kTileWidth);
    data = files_.read(rel);
    ++tiles_read_;
    if (data && data->size() == log::kTileWidth * 32) data->resize(width * 32);
  }
  if (!data) return std::unexpected(with_context(data.error(), where_ + "/" + rel));
  TL_ASSIGN_OR_RETURN(auto hashes, log::parse_tile(*data, width, where_ + "/" + rel));
  auto t = std::make_shared<const std::vector<merkle::Hash>>(std::move(hashes));
  cache_.emplace(key, t);
  return t;
}

Result<merkle::Hash> RemoteTree::subtree_hash(unsigned level, uint64_t index) {
  unsigned tl = level / log::kTileHeight, r = level % log::kTileHeight;
  uint64_t first = index << r;
  uint64_t n = first / log::kTileWidth, off = first % log::kTileWidth, len = uint64_t{1} << r;
  uint64_t w = log::tile_width(tl, n, size_);
  if (w < off + len) {
    return err(ErrorCode::kInternal, "subtree (" + std::to_string(level) + ", " + std::to_string(index) +
                                         ") is not complete in the tree of size " + std::to_string(size_));
  }
  TL_ASSIGN_OR_RETURN(auto t, tile(tl, n, w));
  return merkle::root_of(std::span<const merkle::Hash>(t->data() + off, len));
}

Result<merkle::Hash> RemoteTree::root(uint64_t size) {
  if (size > size_) return err(ErrorCode::kInternal, "root at " + std::to_string(size) + " beyond the tree of " + std::to_string(size_));
  return merkle::root_from_subtrees(size, [this](unsigned l, uint64_t i) { return subtree_hash(l, i); });
}

Result<std::vector<merkle::Hash>> RemoteTree::consistency_proof(uint64_t from, uint64_t to) {
  if (to > size_) return err(ErrorCode::kInternal, "proof to " + std::to_string(to) + " beyond the tree of " + std::to_string(size_));
  return merkle::consistency_proof(from, to, [this](unsigned l, uint64_t i) { return subtree_hash(l, i); });
}

}  // namespace tallylog::mirror
