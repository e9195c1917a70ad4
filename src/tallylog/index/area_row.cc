#include "tallylog/index/area_row.h"

namespace tallylog::index {
namespace {

void put_zigzag(std::string& out, int64_t value) {
  uint64_t v = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Reads the value at `pos` and moves past it; false on truncated or overlong bytes.
bool get_zigzag(std::string_view blob, size_t& pos, int64_t& out) {
  uint64_t z = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= blob.size() || shift > 63) return false;
    const uint8_t b = static_cast<uint8_t>(blob[pos++]);
    z |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) break;
  }
  out = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  return true;
}

}  // namespace

std::string encode_area_row(std::span<const int64_t> row) {
  std::string out;
  out.reserve(row.size() * 3);
  for (int64_t v : row) put_zigzag(out, v);
  return out;
}

Status decode_area_row(std::string_view blob, size_t length, std::vector<int64_t>& out) {
  out.assign(length, 0);
  size_t pos = 0;
  for (size_t i = 0; i < length; ++i) {
    if (!get_zigzag(blob, pos, out[i]))
      return err(ErrorCode::kCorrupt, "stored area totals: truncated row");
  }
  if (pos != blob.size())
    return err(ErrorCode::kCorrupt, "stored area totals: row longer than the election's");
  return ok();
}

Result<std::string> add_area_rows(std::string_view stored, std::string_view delta) {
  std::string out;
  out.reserve(stored.size() + 4);
  size_t ps = 0, pd = 0;
  while (ps < stored.size() || pd < delta.size()) {
    if (ps >= stored.size() || pd >= delta.size())
      return err(ErrorCode::kCorrupt, "stored area totals: a row of " +
                                          std::string(ps < stored.size() ? "more" : "fewer") +
                                          " values than the change added to it");
    int64_t a = 0, b = 0, sum = 0;
    if (!get_zigzag(stored, ps, a))
      return err(ErrorCode::kCorrupt, "stored area totals: truncated row");
    if (!get_zigzag(delta, pd, b))
      return err(ErrorCode::kCorrupt, "area totals change: truncated row");
    if (__builtin_add_overflow(a, b, &sum))
      return err(ErrorCode::kCorrupt, "stored area totals: a sum outside 64 bits");
    put_zigzag(out, sum);
  }
  return out;
}

}  // namespace tallylog::index
