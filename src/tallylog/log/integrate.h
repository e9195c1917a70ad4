// Integration: turns sequenced entries into the tlog-tiles files that publish them (entry
// bundles and hash tiles), keeping only the right edge in memory. Pure (no I/O): every storage
// driver and recovery share it (tessera's "one integrate for every driver").
//
// For any way of splitting the same entries into add() calls the files are identical: a full
// tile or bundle is emitted once, when it completes; partials() gives the partial files of the
// current size, which depend only on the size. So recovery may integrate a whole journal in one
// go and compare with what is stored, without rewriting every intermediate partial.
//
// A plain value used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/log/tiles.h"
#include "tallylog/merkle/hash.h"

namespace tallylog::log {

struct TileFile {
  std::string path;   // relative to the log, e.g. "tile/0/001" or "tile/entries/001.p/7"
  std::string data;
  // For a full file: the ".p" directory of its partials, superseded now (deletable).
  std::string superseded_partials;
};

class Integrator {
 public:
  // Reads the stored file of tile `level` (kEntriesLevel for the entry bundle) number `n`
  // holding AT LEAST `width` hashes or entries (the exact partial, a wider one or the full
  // file); restore() uses its prefix.
  static constexpr unsigned kEntriesLevel = ~0u;
  using ReadAtLeast = std::function<Result<std::string>(unsigned level, uint64_t n, uint64_t width)>;

  Integrator() = default;
  // The right edge of the tree of `size` entries, from stored files.
  static Result<Integrator> restore(uint64_t size, const ReadAtLeast& read);

  // Adds entries; calls emit for each full bundle and tile they complete.
  Status add(std::span<const std::string_view> entries, const std::function<Status(TileFile&&)>& emit);
  // The partial files of the current size that changed since the last call (levels whose
  // count moved, with a non-zero partial width).
  std::vector<TileFile> partials();

  uint64_t size() const { return builder_.size(); }
  merkle::Hash root() const { return builder_.root(); }
  const TileBuilder& builder() const { return builder_; }

 private:
  TileBuilder builder_;
  std::vector<std::string> bundle_;  // entries of the incomplete bundle
  uint64_t partials_size_ = 0;       // size at the last partials() call (or restore)
};

}  // namespace tallylog::log
