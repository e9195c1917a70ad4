// The stored form of an area-totals row (docs/formats/index.md, "area totals"): a sequence of
// signed 64-bit values, each a zigzag uvarint. The aggregates (tally/aggregates.h) decide what
// the values mean; the index stores the bytes and, to add a batch's change in one statement
// (IndexTransaction::add_area_totals), adds two rows value by value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog::index {

std::string encode_area_row(std::span<const int64_t> row);
// Fails (kCorrupt) on malformed bytes or a row of another length.
Status decode_area_row(std::string_view blob, size_t length, std::vector<int64_t>& out);
// `stored` + `delta`, value by value, encoded. Fails (kCorrupt) if either is malformed or their
// lengths differ, or a sum is outside 64 bits.
Result<std::string> add_area_rows(std::string_view stored, std::string_view delta);

}  // namespace tallylog::index
