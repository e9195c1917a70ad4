#include "tallylog/log/tiles.h"

#include <cstdio>
#include <cstring>

#include "tallylog/base/bytes.h"
#include "tallylog/merkle/tree.h"

namespace tallylog::log {

std::string tile_index_path(uint64_t n) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(n % 1000));
  std::string out = buf;
  for (n /= 1000; n > 0; n /= 1000) {
    std::snprintf(buf, sizeof buf, "x%03u/", static_cast<unsigned>(n % 1000));
    out = buf + out;
  }
  return out;
}

std::string tile_path(unsigned level, uint64_t n, uint64_t width) {
  std::string p = "tile/" + std::to_string(level) + "/" + tile_index_path(n);
  if (width < kTileWidth) p += ".p/" + std::to_string(width);
  return p;
}

std::string bundle_path(uint64_t n, uint64_t width) {
  std::string p = "tile/entries/" + tile_index_path(n);
  if (width < kTileWidth) p += ".p/" + std::to_string(width);
  return p;
}

std::string tile_partials_dir(unsigned level, uint64_t n) {
  return "tile/" + std::to_string(level) + "/" + tile_index_path(n) + ".p";
}
std::string bundle_partials_dir(uint64_t n) { return "tile/entries/" + tile_index_path(n) + ".p"; }

uint64_t tile_width(unsigned level, uint64_t n, uint64_t tree_size) {
  if (level >= kMaxTileLevels) return 0;
  uint64_t count = tree_size >> (kTileHeight * level);
  if (count <= n * kTileWidth) return 0;
  uint64_t w = count - n * kTileWidth;
  return w > kTileWidth ? kTileWidth : w;
}

std::vector<std::string> tree_files(uint64_t tree_size) {
  std::vector<std::string> out;
  for (unsigned level = 0; level < kMaxTileLevels && (tree_size >> (kTileHeight * level)) > 0; ++level) {
    for (uint64_t n = 0, w; (w = tile_width(level, n, tree_size)) != 0; ++n) {
      out.push_back(tile_path(level, n, w));
      if (level == 0) out.push_back(bundle_path(n, w));
    }
  }
  return out;
}

std::string encode_bundle(std::span<const std::string> entries) {
  size_t total = 0;
  for (const auto& e : entries) total += 2 + e.size();
  std::string out;
  out.reserve(total);
  for (const auto& e : entries) {
    put_u16_be(out, static_cast<uint16_t>(e.size()));
    out += e;
  }
  return out;
}

Result<std::vector<std::string_view>> parse_bundle(std::string_view data, uint64_t count, std::string_view what) {
  std::vector<std::string_view> out;
  out.reserve(count);
  size_t pos = 0;
  while (pos < data.size()) {
    if (out.size() == count) {
      return err(ErrorCode::kCorrupt, std::string(what) + ": " + std::to_string(data.size() - pos) +
                                          " trailing bytes after entry " + std::to_string(count - 1));
    }
    if (data.size() - pos < 2) {
      return err(ErrorCode::kCorrupt, std::string(what) + ": truncated length of entry " + std::to_string(out.size()));
    }
    size_t len = get_u16_be(data.substr(pos));
    pos += 2;
    if (data.size() - pos < len) {
      return err(ErrorCode::kCorrupt, std::string(what) + ": entry " + std::to_string(out.size()) + " is truncated (" +
                                          std::to_string(len) + " bytes declared, " + std::to_string(data.size() - pos) +
                                          " present)");
    }
    out.push_back(data.substr(pos, len));
    pos += len;
  }
  if (out.size() != count) {
    return err(ErrorCode::kCorrupt, std::string(what) + ": holds " + std::to_string(out.size()) + " entries, expected " +
                                        std::to_string(count));
  }
  return out;
}

std::string encode_tile(std::span<const merkle::Hash> hashes) {
  std::string out(hashes.size() * 32, '\0');
  for (size_t i = 0; i < hashes.size(); ++i) std::memcpy(out.data() + 32 * i, hashes[i].data(), 32);
  return out;
}

Result<std::vector<merkle::Hash>> parse_tile(std::string_view data, uint64_t count, std::string_view what) {
  if (data.size() != count * 32) {
    return err(ErrorCode::kCorrupt, std::string(what) + ": " + std::to_string(data.size()) + " bytes, expected " +
                                        std::to_string(count * 32) + " (" + std::to_string(count) + " hashes)");
  }
  std::vector<merkle::Hash> out(count);
  for (size_t i = 0; i < count; ++i) std::memcpy(out[i].data(), data.data() + 32 * i, 32);
  return out;
}

Result<TileBuilder> TileBuilder::restore(uint64_t size, std::vector<std::vector<merkle::Hash>> edges) {
  TileBuilder b;
  b.size_ = size;
  for (unsigned l = 0; l < kMaxTileLevels; ++l) {
    uint64_t want = b.count(l) % kTileWidth;
    size_t have = l < edges.size() ? edges[l].size() : 0;
    if (have != want) {
      return err(ErrorCode::kInternal, "right edge of level " + std::to_string(l) + " has " + std::to_string(have) +
                                           " hashes, expected " + std::to_string(want));
    }
    if (have) b.edges_[l] = std::move(edges[l]);
  }
  return b;
}

Status TileBuilder::add_leaf(const merkle::Hash& leaf, const FullTileFn& on_full) {
  merkle::Hash h = leaf;
  uint64_t index = size_;  // index of h at the current level
  ++size_;
  for (unsigned l = 0; l < kMaxTileLevels; ++l) {
    auto& e = edges_[l];
    e.push_back(h);
    if (e.size() < kTileWidth) return ok();
    uint64_t n = index / kTileWidth;
    if (on_full) TL_TRY(on_full(l, n, e));
    h = merkle::root_of(e);
    e.clear();
    index = n;
  }
  return ok();
}

merkle::Hash TileBuilder::root() const {
  if (size_ == 0) return merkle::empty_root();
  // The right edge is the list of complete subtrees of the tree, largest first: walk the
  // levels top-down, splitting each level's partial tile into its power-of-two runs.
  std::vector<merkle::Hash> subtrees;
  for (unsigned l = kMaxTileLevels; l-- > 0;) {
    std::span<const merkle::Hash> e = edges_[l];
    size_t pos = 0;
    for (int bit = 7; bit >= 0; --bit) {
      size_t run = size_t{1} << bit;
      if (e.size() & run) {
        subtrees.push_back(merkle::root_of(e.subspan(pos, run)));
        pos += run;
      }
    }
  }
  merkle::Hash r = subtrees.back();
  for (size_t i = subtrees.size() - 1; i-- > 0;) r = merkle::node_hash(subtrees[i], r);
  return r;
}

}  // namespace tallylog::log
