#include "tallylog/log/tile_reader.h"

#include "tallylog/merkle/tree.h"

namespace tallylog::log {
namespace {
constexpr size_t kCacheTiles = 1024;  // at most ~16 MiB with internal nodes
}

void TileReader::publish(uint64_t size, std::string checkpoint) {
  std::lock_guard lock(mu_);
  checkpoint_ = std::move(checkpoint);
  size_.store(size, std::memory_order_release);
}

Result<std::string> TileReader::checkpoint() const {
  std::lock_guard lock(mu_);
  if (checkpoint_.empty()) return err(ErrorCode::kFailedPrecondition, "the log has no checkpoint yet");
  return checkpoint_;
}

Result<std::string> TileReader::read_tile_file(const std::string& full, const std::string& partial) const {
  if (!partial.empty()) {
    auto r = env_->read_file(join_path(log_dir_, partial));
    if (r || r.error().code != ErrorCode::kNotFound) return r;
    // The partial may have been deleted after the tile became full: its prefix is the same.
  }
  return env_->read_file(join_path(log_dir_, full));
}

Result<std::shared_ptr<const TileReader::CachedTile>> TileReader::cached_tile(unsigned level, uint64_t n,
                                                                             uint64_t width) const {
  CacheKey key{level, n, width};
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
  }
  std::string full = tile_path(level, n, kTileWidth);
  std::string path = tile_path(level, n, width);
  TL_ASSIGN_OR_RETURN(std::string data, read_tile_file(full, width == kTileWidth ? "" : path));
  // A full tile read in place of a deleted partial: its prefix is the partial.
  if (width < kTileWidth && data.size() == kTileWidth * 32) data.resize(width * 32);
  TL_ASSIGN_OR_RETURN(auto hashes, parse_tile(data, width, path));
  auto t = std::make_shared<CachedTile>();
  t->hashes = std::make_shared<const std::vector<merkle::Hash>>(std::move(hashes));
  const std::vector<merkle::Hash>* below = t->hashes.get();
  for (unsigned r = 1; r <= kTileHeight; ++r) {
    auto& cur = t->nodes[r];
    cur.resize(below->size() / 2);
    for (size_t i = 0; i < cur.size(); ++i) cur[i] = merkle::node_hash((*below)[2 * i], (*below)[2 * i + 1]);
    below = &cur;
  }
  std::lock_guard lock(mu_);
  if (cache_.size() >= kCacheTiles) {
    cache_.erase(cache_order_.front());
    cache_order_.pop_front();
  }
  if (cache_.emplace(key, t).second) cache_order_.push_back(key);
  return std::shared_ptr<const CachedTile>(t);
}

Result<std::shared_ptr<const std::vector<merkle::Hash>>> TileReader::tile(unsigned level, uint64_t n,
                                                                         uint64_t width) const {
  TL_ASSIGN_OR_RETURN(auto t, cached_tile(level, n, width));
  return t->hashes;
}

Result<std::string> TileReader::bundle(uint64_t n, uint64_t width) const {
  return read_tile_file(bundle_path(n, kTileWidth), width == kTileWidth ? "" : bundle_path(n, width));
}

Result<merkle::Hash> TileReader::subtree_hash(unsigned level, uint64_t index) const {
  unsigned tl = level / kTileHeight, r = level % kTileHeight;
  uint64_t first = index << r;
  uint64_t n = first / kTileWidth, off = first % kTileWidth, len = uint64_t{1} << r;
  uint64_t w = tile_width(tl, n, size());
  if (w < off + len) {
    return err(ErrorCode::kInternal, "subtree (" + std::to_string(level) + ", " + std::to_string(index) +
                                         ") is not complete in the tree of size " + std::to_string(size()));
  }
  TL_ASSIGN_OR_RETURN(auto t, cached_tile(tl, n, w));
  return r == 0 ? (*t->hashes)[off] : t->nodes[r][off >> r];
}

Status TileReader::check_within(uint64_t tree_size) const {
  if (tree_size > size()) {
    return err(ErrorCode::kNotFound, "tree size " + std::to_string(tree_size) + " is beyond the log size " +
                                         std::to_string(size()));
  }
  return ok();
}

Result<merkle::Hash> TileReader::root_hash(uint64_t tree_size) const {
  TL_TRY(check_within(tree_size));
  return merkle::root_from_subtrees(tree_size, [this](unsigned l, uint64_t i) { return subtree_hash(l, i); });
}

Result<std::string> TileReader::entry(uint64_t index) const {
  std::string out;
  TL_TRY(for_each_entry(index, index + 1, [&](uint64_t, std::string_view e) -> Status {
    out = std::string(e);
    return ok();
  }));
  return out;
}

Status TileReader::for_each_entry(uint64_t begin, uint64_t end,
                                  const std::function<Status(uint64_t, std::string_view)>& fn) const {
  uint64_t n_size = size();
  if (end > n_size || begin > end) {
    return err(ErrorCode::kNotFound, "entries [" + std::to_string(begin) + ", " + std::to_string(end) +
                                         ") are not within the log of size " + std::to_string(n_size));
  }
  for (uint64_t i = begin; i < end;) {
    uint64_t n = i / kTileWidth;
    uint64_t w = tile_width(0, n, n_size);
    TL_ASSIGN_OR_RETURN(std::string data, bundle(n, w));
    std::string what = bundle_path(n, w);
    // A full bundle read in place of a deleted partial holds more entries than w.
    auto entries = parse_bundle(data, w, what);
    if (!entries && w < kTileWidth) entries = parse_bundle(data, kTileWidth, bundle_path(n, kTileWidth));
    if (!entries) return std::unexpected(entries.error());
    for (; i < end && i / kTileWidth == n; ++i) TL_TRY(fn(i, (*entries)[i % kTileWidth]));
  }
  return ok();
}

Result<std::vector<merkle::Hash>> TileReader::inclusion_proof(uint64_t index, uint64_t tree_size) const {
  TL_TRY(check_within(tree_size));
  return merkle::inclusion_proof(index, tree_size, [this](unsigned l, uint64_t i) { return subtree_hash(l, i); });
}

Result<std::vector<merkle::Hash>> TileReader::consistency_proof(uint64_t from_size, uint64_t to_size) const {
  TL_TRY(check_within(to_size));
  return merkle::consistency_proof(from_size, to_size, [this](unsigned l, uint64_t i) { return subtree_hash(l, i); });
}

}  // namespace tallylog::log
