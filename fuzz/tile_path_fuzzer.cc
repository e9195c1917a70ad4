// Tile, entry-bundle and blob paths (log/tiles.h, http/static_files.h): the path of every
// GET /log/... and /blobs/... request is checked against the tlog-tiles grammar before it
// touches the file system.
//
// Properties: an accepted log path has no empty, "." or ".." segment and only [A-Za-z0-9./];
// it is exactly the path tile_path()/bundle_path() give for the level, index and width it names
// (one spelling per file); every path tile_path()/bundle_path() give is accepted; an accepted
// blob path names 64 lowercase hex digits.
#include <cstring>
#include <optional>
#include <vector>

#include "fuzz_support.h"
#include "tallylog/http/static_files.h"
#include "tallylog/log/tiles.h"

namespace tallylog::fuzz {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

// Decimal digits to a number; nullopt on overflow (accepted paths only hold digits there).
std::optional<uint64_t> number(std::string_view digits) {
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// The path tile_path()/bundle_path() give for the file an accepted path names.
std::string canonical(std::string_view rel) {
  auto parts = split(rel, '/');
  size_t end = parts.size();
  uint64_t width = log::kTileWidth;
  if (end >= 4 && parts[end - 2].ends_with(".p")) {
    width = number(parts[end - 1]).value_or(0);
    --end;
  }
  std::string digits;
  for (size_t i = 2; i < end; ++i) {
    std::string_view seg = parts[i];
    if (seg.starts_with('x')) seg.remove_prefix(1);
    if (seg.ends_with(".p")) seg.remove_suffix(2);
    digits += seg;
  }
  auto n = number(digits);
  if (!n) return "(index overflows uint64)";
  if (parts[1] == "entries") return log::bundle_path(*n, width);
  return log::tile_path(static_cast<unsigned>(number(parts[1]).value_or(0)), *n, width);
}

void check_log_path(std::string_view rel) {
  auto p = http::checked_log_path(rel);
  if (!p) return;
  check(*p == rel, "an accepted log path is returned unchanged");
  if (rel == "checkpoint") return;
  for (char c : rel)
    check((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '/',
          "an accepted log path holds only [A-Za-z0-9./]", std::string(rel));
  for (auto seg : split(rel, '/'))
    check(!seg.empty() && seg != "." && seg != "..", "an accepted log path has no empty, . or .. segment",
          std::string(rel));
  check(canonical(rel) == rel, "an accepted log path is the one spelling tile_path/bundle_path give",
        std::string(rel) + " vs " + canonical(rel));
}

void check_generated(const uint8_t* data, size_t size) {
  if (size < 17) return;
  unsigned level = data[0] % log::kMaxTileLevels;
  uint64_t n = 0, w = 0;
  std::memcpy(&n, data + 1, 8);
  std::memcpy(&w, data + 9, 8);
  uint64_t width = w % log::kTileWidth + 1;  // 1..256
  for (const std::string& path : {log::tile_path(level, n, width), log::bundle_path(n, width)}) {
    check(path.starts_with("tile/"), "tile paths start with tile/", path);
    auto p = http::checked_log_path(path.substr(0));
    check(p.has_value(), "every path tile_path/bundle_path give is accepted", path);
  }
}

void check_blob_path(std::string_view rel) {
  auto hex = http::checked_blob_digest(rel);
  if (!hex) return;
  check(hex->size() == 64, "an accepted blob path names 64 hex digits");
  for (char c : *hex) check((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'), "blob digests are lowercase hex");
  check(http::blob_relative_path(*hex) == rel, "an accepted blob path is the blob store's path");
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog::fuzz;
  std::string_view rel = as_text(data, size);
  check_log_path(rel);
  check_blob_path(rel);
  check_generated(data, size);
  return 0;
}
