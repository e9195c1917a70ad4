#include "tallylog/index/station_areas.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace tallylog::index {
namespace {

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace

std::string encode_station_areas(const std::vector<election::AreaRef>& areas) {
  std::string out = "[";
  for (size_t i = 0; i < areas.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('[');
    append_json_string(out, areas[i].code);
    out.push_back(',');
    append_json_string(out, areas[i].name);
    out.push_back(']');
  }
  out.push_back(']');
  return out;
}

Result<std::vector<election::AreaRef>> decode_station_areas(std::string_view text, std::string_view code) {
  std::vector<election::AreaRef> out;
  try {
    auto j = nlohmann::json::parse(text);
    for (const auto& a : j) out.push_back({a.at(0).get<std::string>(), a.at(1).get<std::string>()});
  } catch (const std::exception& e) {
    return err(ErrorCode::kCorrupt, "index: station " + std::string(code) + ": bad areas: " + e.what());
  }
  return out;
}

}  // namespace tallylog::index
