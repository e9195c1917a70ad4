// The C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles) with tile height 8 (256 hashes):
// paths, entry-bundle and hash-tile encodings, and TileBuilder, which turns a stream of leaf
// hashes into full tiles while keeping only the right edge (< 256 hashes per level) in memory.
//
//   hash tile     tile/<L>/<N>          256 hashes of tree level 8L, nodes [256N, 256N+256)
//   partial tile  tile/<L>/<N>.p/<W>    the first W (1..255) of them
//   entry bundle  tile/entries/<N>[.p/<W>]  entries [256N, 256N+W), each uint16 BE length ‖ bytes
//   <N>           3-digit groups, all but the last prefixed by 'x': 1234067 -> x001/x234/067
//
// Free functions are pure. TileBuilder is a plain value used by one thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/merkle/hash.h"

namespace tallylog::log {

inline constexpr unsigned kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;
inline constexpr unsigned kMaxTileLevels = 8;  // 8 * 8 = 64 tree levels

std::string tile_index_path(uint64_t n);                              // "x001/x234/067"
std::string tile_path(unsigned level, uint64_t n, uint64_t width);    // width 256 = full
std::string bundle_path(uint64_t n, uint64_t width);
// The directory holding the partials of a tile or bundle: "tile/0/067.p".
std::string tile_partials_dir(unsigned level, uint64_t n);
std::string bundle_partials_dir(uint64_t n);

// Width (1..256) of tile (level, n) in a tree of tree_size leaves; 0 if it has no hashes yet.
uint64_t tile_width(unsigned level, uint64_t n, uint64_t tree_size);

// Every hash tile and entry bundle a checkpoint of tree_size commits to, at the width it gives
// each (its last tile per level partial unless full), level by level, bundles beside level 0's.
std::vector<std::string> tree_files(uint64_t tree_size);

std::string encode_bundle(std::span<const std::string> entries);
// Splits a bundle into exactly `count` entries; kCorrupt naming `what` otherwise.
Result<std::vector<std::string_view>> parse_bundle(std::string_view data, uint64_t count, std::string_view what);

std::string encode_tile(std::span<const merkle::Hash> hashes);
// Exactly `count` hashes; kCorrupt naming `what` otherwise.
Result<std::vector<merkle::Hash>> parse_tile(std::string_view data, uint64_t count, std::string_view what);

class TileBuilder {
 public:
  using FullTileFn = std::function<Status(unsigned level, uint64_t n, std::span<const merkle::Hash> hashes)>;

  TileBuilder() = default;
  // Restores the right edge of a tree of `size` leaves: edges[L] are the hashes of the
  // incomplete tile at level L (exactly (size >> 8L) % 256 of them).
  static Result<TileBuilder> restore(uint64_t size, std::vector<std::vector<merkle::Hash>> edges);

  // Adds one leaf hash; calls on_full for each tile it completes, bottom-up.
  Status add_leaf(const merkle::Hash& leaf, const FullTileFn& on_full);
  uint64_t size() const { return size_; }
  // Hashes stored so far at tile level L: size() >> 8L.
  uint64_t count(unsigned level) const { return level >= kMaxTileLevels ? 0 : size_ >> (kTileHeight * level); }
  const std::vector<merkle::Hash>& edge(unsigned level) const { return edges_[level]; }
  merkle::Hash root() const;

 private:
  uint64_t size_ = 0;
  std::array<std::vector<merkle::Hash>, kMaxTileLevels> edges_;
};

}  // namespace tallylog::log
