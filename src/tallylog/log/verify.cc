#include "tallylog/log/verify.h"

#include <charconv>
#include <optional>

#include "tallylog/log/storage.h"
#include "tallylog/log/tiles.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::log {
namespace {

class LocalLogFiles final : public LogFiles {
 public:
  LocalLogFiles(Env& env, std::string dir) : env_(env), dir_(std::move(dir)) {}
  Result<std::string> read(const std::string& rel) override { return env_.read_file(join_path(dir_, rel)); }
  std::optional<std::vector<std::string>> list(const std::string& rel) override {
    auto r = env_.list_dir(join_path(dir_, rel));
    if (!r) return std::vector<std::string>{};
    return std::move(*r);
  }

 private:
  Env& env_;
  std::string dir_;
};

class StorageLogFiles final : public LogFiles {
 public:
  explicit StorageLogFiles(const LogStorage& s) : s_(s) {}
  Result<std::string> read(const std::string& rel) override { return s_.read(rel); }
  std::optional<std::vector<std::string>> list(const std::string& rel) override {
    auto r = s_.list(rel);
    if (!r) return std::vector<std::string>{};
    return std::move(*r);
  }

 private:
  const LogStorage& s_;
};

std::unexpected<Error> mismatch(std::string msg) { return err(ErrorCode::kVerificationFailed, std::move(msg)); }

std::string node_name(unsigned level, uint64_t index) {
  if (level == 0) return "entry " + std::to_string(index);
  return "node " + std::to_string(index) + " of tree level " + std::to_string(level * kTileHeight);
}

// Widths of the partial files in a ".p" directory; leftover temporaries are reported, anything
// else there is an error.
Result<std::vector<uint64_t>> partial_widths(LogFiles& files, const std::string& dir, VerifyReport& report) {
  std::vector<uint64_t> out;
  auto names = files.list(dir);
  if (!names) return out;
  for (const auto& n : *names) {
    if (is_leftover_temporary(n)) {
      report.leftover_temporaries.push_back(dir + "/" + n);
      continue;
    }
    uint64_t w = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), w);
    if (ec != std::errc() || p != n.data() + n.size() || w == 0 || w >= kTileWidth || n[0] == '0') {
      return err(ErrorCode::kCorrupt, dir + "/" + n + ": unexpected file in a partial-tile directory");
    }
    out.push_back(w);
  }
  return out;
}

class Verifier {
 public:
  Verifier(LogFiles& files, VerifyReport& report) : files_(files), report_(report) {}

  // Compares the hash tile file `rel` (holding `expected.size()` hashes) with the recomputed ones.
  Status check_tile_file(unsigned level, uint64_t n, const std::string& rel, std::span<const merkle::Hash> expected) {
    auto data = files_.read(rel);
    if (!data) {
      if (data.error().code == ErrorCode::kNotFound) return err(ErrorCode::kNotFound, rel + ": hash tile is missing");
      return std::unexpected(with_context(data.error(), rel));
    }
    if (data->size() != expected.size() * 32) {
      return err(ErrorCode::kCorrupt, rel + ": " + std::to_string(data->size()) + " bytes, expected " +
                                          std::to_string(expected.size() * 32));
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      if (std::string_view(*data).substr(32 * i, 32) != merkle::hash_bytes(expected[i])) {
        return mismatch(rel + ": hash " + std::to_string(i) + " (" + node_name(level, n * kTileWidth + i) +
                        ") differs from the one recomputed from the entry bundles");
      }
    }
    ++report_.tiles_checked;
    return ok();
  }

  // Checks tile (level, n) of which `hashes` are the first `width` hashes in the checkpoint's
  // tree, and every other partial of it present.
  Status check_tile(unsigned level, uint64_t n, std::span<const merkle::Hash> hashes) {
    uint64_t width = hashes.size();
    TL_TRY(check_tile_file(level, n, tile_path(level, n, width), hashes));
    TL_ASSIGN_OR_RETURN(auto widths, partial_widths(files_, tile_partials_dir(level, n), report_));
    for (uint64_t w : widths) {
      if (w == width) continue;
      if (width == kTileWidth) report_.superseded_partials.push_back(tile_path(level, n, w));
      if (w > width) {
        ++report_.beyond_checkpoint;
        continue;
      }
      TL_TRY(check_tile_file(level, n, tile_path(level, n, w), hashes.subspan(0, w)));
    }
    return ok();
  }

  Status check_bundle_partials(uint64_t n, uint64_t width, std::string_view data,
                               const std::vector<std::string_view>& entries) {
    TL_ASSIGN_OR_RETURN(auto widths, partial_widths(files_, bundle_partials_dir(n), report_));
    for (uint64_t w : widths) {
      if (w == width) continue;
      if (width == kTileWidth) report_.superseded_partials.push_back(bundle_path(n, w));
      if (w > width) {
        ++report_.beyond_checkpoint;
        continue;
      }
      std::string rel = bundle_path(n, w);
      size_t prefix = static_cast<size_t>(entries[w - 1].data() + entries[w - 1].size() - data.data());
      auto got = files_.read(rel);
      if (!got) return std::unexpected(with_context(got.error(), rel));
      if (*got != data.substr(0, prefix)) {
        // Name the first entry that differs.
        auto parsed = parse_bundle(*got, w, rel);
        if (!parsed) return std::unexpected(parsed.error());
        for (uint64_t i = 0; i < w; ++i) {
          if ((*parsed)[i] != entries[i]) {
            return mismatch(rel + ": entry " + std::to_string(n * kTileWidth + i) + " differs from " +
                            bundle_path(n, width));
          }
        }
        return mismatch(rel + ": differs from " + bundle_path(n, width));
      }
      ++report_.bundles_checked;
    }
    return ok();
  }

 private:
  LogFiles& files_;
  VerifyReport& report_;
};

}  // namespace

std::unique_ptr<LogFiles> local_log_files(Env& env, std::string log_dir) {
  return std::make_unique<LocalLogFiles>(env, std::move(log_dir));
}

Result<VerifyReport> verify_log(LogFiles& files, const note::Verifier& key,
                                const std::function<void(uint64_t, uint64_t)>& progress) {
  return verify_log(files, key, VerifyOptions{.progress = progress, .previous_checkpoint = {}, .on_entry = {}});
}

std::unique_ptr<LogFiles> storage_log_files(const LogStorage& storage) {
  return std::make_unique<StorageLogFiles>(storage);
}

Result<VerifyReport> verify_log(LogFiles& files, const note::Verifier& key, const VerifyOptions& options) {
  auto cp_text = files.read("checkpoint");
  if (!cp_text) return std::unexpected(with_context(cp_text.error(), "checkpoint"));
  auto cp = note::open_checkpoint(*cp_text, key);
  if (!cp) return std::unexpected(with_context(cp.error(), "checkpoint"));
  std::optional<TreeHead> previous;
  if (!options.previous_checkpoint.empty()) {
    auto p = note::open_checkpoint(options.previous_checkpoint, key);
    if (!p) return std::unexpected(with_context(p.error(), "previous checkpoint"));
    previous = TreeHead{p->size, p->root};
  }
  TL_ASSIGN_OR_RETURN(VerifyReport report, verify_tree(files, TreeHead{cp->size, cp->root}, previous, options.progress, options.on_entry));
  report.origin = cp->origin;
  return report;
}

Result<VerifyReport> verify_tree(LogFiles& files, const TreeHead& head, const std::optional<TreeHead>& previous,
                                 const std::function<void(uint64_t, uint64_t)>& progress,
                                 const std::function<Status(uint64_t, std::string_view)>& on_entry) {
  VerifyReport report;
  report.size = head.size;
  report.root = head.root;
  const uint64_t size = head.size;
  if (previous && previous->size > size) {
    return mismatch("checkpoint: tree size shrinks from " + std::to_string(previous->size) +
                    " (previous checkpoint) to " + std::to_string(size));
  }
  auto check_previous = [&](const TileBuilder& b) -> Status {
    if (previous && b.size() == previous->size && b.root() != previous->root) {
      return mismatch("previous checkpoint: root at size " + std::to_string(previous->size) +
                      " differs from the tree recomputed from the entry bundles (the log was rewritten)");
    }
    return ok();
  };
  TL_TRY(check_previous(TileBuilder{}));

  Verifier v(files, report);
  TileBuilder builder;
  auto on_full = [&](unsigned level, uint64_t n, std::span<const merkle::Hash> hashes) -> Status {
    return v.check_tile(level, n, hashes);
  };
  for (uint64_t n = 0; n * kTileWidth < size; ++n) {
    uint64_t width = tile_width(0, n, size);
    std::string rel = bundle_path(n, width);
    auto data = files.read(rel);
    if (!data) {
      if (data.error().code == ErrorCode::kNotFound) return err(ErrorCode::kNotFound, rel + ": entry bundle is missing");
      return std::unexpected(with_context(data.error(), rel));
    }
    TL_ASSIGN_OR_RETURN(auto entries, parse_bundle(*data, width, rel));
    for (std::string_view e : entries) {
      if (on_entry) TL_TRY(on_entry(builder.size(), e));
      TL_TRY(builder.add_leaf(merkle::leaf_hash(e), on_full));
      TL_TRY(check_previous(builder));
    }
    ++report.bundles_checked;
    TL_TRY(v.check_bundle_partials(n, width, *data, entries));
    if (progress) progress(builder.size(), size);
  }
  // The incomplete tile at each level is published as the partial the checkpoint implies.
  for (unsigned l = 0; l < kMaxTileLevels; ++l) {
    uint64_t count = builder.count(l);
    if (count % kTileWidth == 0) continue;
    TL_TRY(v.check_tile(l, count / kTileWidth, builder.edge(l)));
  }
  if (builder.root() != head.root) {
    return mismatch("checkpoint: root hash " + merkle::hash_base64(head.root) + " differs from " +
                    merkle::hash_base64(builder.root()) + " recomputed from the entry bundles");
  }
  return report;
}

}  // namespace tallylog::log
