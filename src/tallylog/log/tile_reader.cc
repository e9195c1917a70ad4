#include "tallylog/log/tile_reader.h"

#include "tallylog/merkle/tree.h"

namespace tallylog::log {
namespace {
constexpr size_t kCacheTiles = 1024;  // at most ~16 MiB with internal nodes

std::string tree_size_text(uint64_t size) { return "the signed checkpoint (tree size " + std::to_string(size) + ")"; }
}  // namespace

void TileReader::publish(uint64_t size, const merkle::Hash& root, std::string checkpoint) {
  std::lock_guard lock(mu_);
  head_ = Head{size, root};
  checkpoint_ = std::move(checkpoint);
  size_.store(size, std::memory_order_release);
}

TileReader::Head TileReader::head() const {
  std::lock_guard lock(mu_);
  return head_;
}

Result<std::string> TileReader::checkpoint() const {
  std::lock_guard lock(mu_);
  if (checkpoint_.empty()) return err(ErrorCode::kFailedPrecondition, "the log has no checkpoint yet");
  return checkpoint_;
}

Result<std::string> TileReader::read_file(const std::string& full, const std::string& partial) const {
  if (!partial.empty()) {
    auto r = storage_->read(partial);
    if (r || r.error().code != ErrorCode::kNotFound) return r;
    // The partial may have been deleted after the tile became full: its prefix is the same.
  }
  return storage_->read(full);
}

Result<std::shared_ptr<TileReader::CachedTile>> TileReader::load_tile(unsigned level, uint64_t n,
                                                                      uint64_t width) const {
  std::string full = tile_path(level, n, kTileWidth);
  std::string path = tile_path(level, n, width);
  TL_ASSIGN_OR_RETURN(std::string data, read_file(full, width == kTileWidth ? "" : path));
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
  return t;
}

void TileReader::cache_put(const CacheKey& key, std::shared_ptr<const CachedTile> t) const {
  std::lock_guard lock(mu_);
  if (cache_.count(key)) return;
  if (cache_.size() >= kCacheTiles) {
    cache_.erase(cache_order_.front());
    cache_order_.pop_front();
  }
  cache_.emplace(key, std::move(t));
  cache_order_.push_back(key);
}

Status TileReader::authenticate_edge(const Head& h) const {
  std::vector<std::vector<merkle::Hash>> edges(kMaxTileLevels);
  std::vector<std::pair<CacheKey, std::shared_ptr<CachedTile>>> loaded;
  std::string names;
  for (unsigned l = 0; l < kMaxTileLevels; ++l) {
    uint64_t count = h.size >> (kTileHeight * l);
    uint64_t w = count % kTileWidth;
    if (w == 0) continue;
    uint64_t n = count / kTileWidth;
    TL_ASSIGN_OR_RETURN(auto t, load_tile(l, n, w));
    edges[l] = *t->hashes;
    loaded.emplace_back(CacheKey{l, n, w}, std::move(t));
    names += (names.empty() ? "" : ", ") + tile_path(l, n, w);
  }
  TL_ASSIGN_OR_RETURN(auto b, TileBuilder::restore(h.size, std::move(edges)));
  if (b.root() != h.root) {
    return err(ErrorCode::kVerificationFailed, "the partial tiles " + names + " do not hash to the root of " +
                                                   tree_size_text(h.size) + ": a stored tile was altered");
  }
  for (auto& [key, t] : loaded) cache_put(key, std::move(t));
  return ok();
}

Result<std::shared_ptr<const TileReader::CachedTile>> TileReader::tile(const Head& h, unsigned level, uint64_t n) const {
  uint64_t width = tile_width(level, n, h.size);
  if (width == 0) {
    return err(ErrorCode::kInternal, "tile " + tile_path(level, n, kTileWidth) + " is beyond the tree of size " +
                                         std::to_string(h.size));
  }
  CacheKey key{level, n, width};
  auto cached = [&]() -> std::shared_ptr<const CachedTile> {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    return it == cache_.end() ? nullptr : it->second;
  };
  if (auto t = cached()) return t;
  if (width < kTileWidth) {
    // A partial tile of the tree is part of its right edge: authenticated by the root.
    TL_TRY(authenticate_edge(h));
    if (auto t = cached()) return t;
    TL_ASSIGN_OR_RETURN(auto t, load_tile(level, n, width));  // evicted meanwhile: it was authentic
    return std::shared_ptr<const CachedTile>(t);
  }
  // A full tile hashes to one hash of its parent tile, itself authenticated.
  TL_ASSIGN_OR_RETURN(auto t, load_tile(level, n, width));
  if (level + 1 >= kMaxTileLevels) return err(ErrorCode::kInternal, "tile level out of range");
  TL_ASSIGN_OR_RETURN(auto parent, tile(h, level + 1, n / kTileWidth));
  if ((*parent->hashes)[n % kTileWidth] != t->nodes[kTileHeight][0]) {
    return err(ErrorCode::kVerificationFailed,
               tile_path(level, n, width) + ": its hashes do not hash to hash " + std::to_string(n % kTileWidth) + " of " +
                   tile_path(level + 1, n / kTileWidth, tile_width(level + 1, n / kTileWidth, h.size)) + " in " +
                   tree_size_text(h.size) + ": a stored tile was altered");
  }
  cache_put(key, t);
  return std::shared_ptr<const CachedTile>(t);
}

Result<merkle::Hash> TileReader::subtree_hash(unsigned level, uint64_t index) const {
  Head h = head();
  unsigned tl = level / kTileHeight, r = level % kTileHeight;
  uint64_t first = index << r;
  uint64_t n = first / kTileWidth, off = first % kTileWidth, len = uint64_t{1} << r;
  uint64_t w = tile_width(tl, n, h.size);
  if (w < off + len) {
    return err(ErrorCode::kInternal, "subtree (" + std::to_string(level) + ", " + std::to_string(index) +
                                         ") is not complete in the tree of size " + std::to_string(h.size));
  }
  TL_ASSIGN_OR_RETURN(auto t, tile(h, tl, n));
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
  Head h = head();
  if (end > h.size || begin > end) {
    return err(ErrorCode::kNotFound, "entries [" + std::to_string(begin) + ", " + std::to_string(end) +
                                         ") are not within the log of size " + std::to_string(h.size));
  }
  for (uint64_t i = begin; i < end;) {
    uint64_t n = i / kTileWidth;
    uint64_t w = tile_width(0, n, h.size);
    std::string partial = w == kTileWidth ? "" : bundle_path(n, w);
    auto data = storage_->read(partial.empty() ? bundle_path(n, kTileWidth) : partial);
    std::string what = partial.empty() ? bundle_path(n, kTileWidth) : partial;
    if (!data && data.error().code == ErrorCode::kNotFound && !partial.empty()) {
      // The partial was deleted once the bundle became full: its first w entries are the same.
      what = bundle_path(n, kTileWidth);
      data = storage_->read(what);
    }
    if (!data) return std::unexpected(data.error());
    auto entries = parse_bundle(*data, what == bundle_path(n, kTileWidth) ? kTileWidth : w, what);
    if (!entries) return std::unexpected(entries.error());
    TL_ASSIGN_OR_RETURN(auto leaves, tile(h, 0, n));
    for (; i < end && i / kTileWidth == n; ++i) {
      std::string_view e = (*entries)[i % kTileWidth];
      if (merkle::leaf_hash(e) != (*leaves->hashes)[i % kTileWidth]) {
        return err(ErrorCode::kVerificationFailed, what + ": entry " + std::to_string(i) +
                                                       " does not match its leaf hash in " + tile_path(0, n, w) +
                                                       ", which " + tree_size_text(h.size) +
                                                       " commits to: the entry bundle was altered");
      }
      TL_TRY(fn(i, e));
    }
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
