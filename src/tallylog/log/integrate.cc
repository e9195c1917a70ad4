#include "tallylog/log/integrate.h"

#include "tallylog/merkle/tree.h"

namespace tallylog::log {

Result<Integrator> Integrator::restore(uint64_t size, const ReadAtLeast& read) {
  auto context = [&](Error e) {
    return std::unexpected(with_context(std::move(e), "restoring the right edge at size " + std::to_string(size)));
  };
  std::vector<std::vector<merkle::Hash>> edges(kMaxTileLevels);
  for (unsigned l = 0; l < kMaxTileLevels; ++l) {
    uint64_t count = size >> (kTileHeight * l);
    uint64_t w = count % kTileWidth;
    if (w == 0) continue;
    uint64_t n = count / kTileWidth;
    auto data = read(l, n, w);
    if (!data) return context(data.error());
    if (data->size() > w * 32 && data->size() % 32 == 0) data->resize(w * 32);  // a wider file's prefix
    auto hashes = parse_tile(*data, w, tile_path(l, n, w));
    if (!hashes) return context(hashes.error());
    edges[l] = std::move(*hashes);
  }
  Integrator out;
  TL_ASSIGN_OR_RETURN(out.builder_, TileBuilder::restore(size, std::move(edges)));
  if (uint64_t w = size % kTileWidth; w != 0) {
    uint64_t n = size / kTileWidth;
    auto data = read(kEntriesLevel, n, w);
    if (!data) return context(data.error());
    std::vector<std::string_view> entries;
    // A wider bundle: its first w entries.
    std::string_view rest = *data;
    while (entries.size() < w && rest.size() >= 2) {
      size_t len = (static_cast<unsigned char>(rest[0]) << 8) | static_cast<unsigned char>(rest[1]);
      if (rest.size() - 2 < len) break;
      entries.push_back(rest.substr(2, len));
      rest.remove_prefix(2 + len);
    }
    if (entries.size() < w) {
      return context(Error{ErrorCode::kCorrupt, bundle_path(n, w) + ": holds fewer than " + std::to_string(w) + " entries"});
    }
    for (auto e : entries) out.bundle_.emplace_back(e);
  }
  out.partials_size_ = size;
  return out;
}

Status Integrator::add(std::span<const std::string_view> entries, const std::function<Status(TileFile&&)>& emit) {
  auto on_full = [&](unsigned level, uint64_t n, std::span<const merkle::Hash> hashes) -> Status {
    return emit(TileFile{tile_path(level, n, kTileWidth), encode_tile(hashes), tile_partials_dir(level, n)});
  };
  for (std::string_view e : entries) {
    uint64_t index = builder_.size();
    bundle_.emplace_back(e);
    if (bundle_.size() == kTileWidth) {
      uint64_t n = index / kTileWidth;
      TL_TRY(emit(TileFile{bundle_path(n, kTileWidth), encode_bundle(bundle_), bundle_partials_dir(n)}));
      bundle_.clear();
    }
    TL_TRY(builder_.add_leaf(merkle::leaf_hash(e), on_full));
  }
  return ok();
}

std::vector<TileFile> Integrator::partials() {
  std::vector<TileFile> out;
  uint64_t size = builder_.size();
  if (size == partials_size_) return out;
  if (!bundle_.empty()) out.push_back(TileFile{bundle_path(size / kTileWidth, bundle_.size()), encode_bundle(bundle_), {}});
  for (unsigned l = 0; l < kMaxTileLevels; ++l) {
    uint64_t count = builder_.count(l);
    if (count == partials_size_ >> (kTileHeight * l) || count % kTileWidth == 0) continue;
    out.push_back(TileFile{tile_path(l, count / kTileWidth, count % kTileWidth), encode_tile(builder_.edge(l)), {}});
  }
  partials_size_ = size;
  return out;
}

}  // namespace tallylog::log
