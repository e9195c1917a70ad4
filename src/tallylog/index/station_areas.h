// How a station's areas are stored by every backend: JSON [[code, name], ...] in level order, so
// that two backends holding the same log dump the same text (IndexReader::dump).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"

namespace tallylog::index {

std::string encode_station_areas(const std::vector<election::AreaRef>& areas);
// Fails (kCorrupt, naming station `code`) on text encode_station_areas() would not produce.
Result<std::vector<election::AreaRef>> decode_station_areas(std::string_view text, std::string_view code);

}  // namespace tallylog::index
