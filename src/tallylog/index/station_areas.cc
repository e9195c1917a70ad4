#include "tallylog/index/station_areas.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "tallylog/base/bytes.h"

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

namespace {

// Reads the JSON string at `p` exactly as append_json_string writes it (escapes \" \\ \n \r \t
// and \u00XX for other control characters); false on anything else, left to the general parser.
bool read_encoded_string(std::string_view text, size_t& p, std::string& out) {
  if (p >= text.size() || text[p] != '"') return false;
  ++p;
  out.clear();
  while (p < text.size()) {
    const size_t run = text.find_first_of("\"\\", p);
    if (run == std::string_view::npos) return false;
    for (size_t i = p; i < run; ++i)
      if (static_cast<unsigned char>(text[i]) < 0x20) return false;
    out.append(text.substr(p, run - p));
    p = run;
    if (text[p] == '"') {
      ++p;
      return true;
    }
    if (++p >= text.size()) return false;
    switch (text[p]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        // Only what the encoder writes: \u00XX for a control character other than \n \r \t.
        if (text.size() - p < 5 || text.substr(p + 1, 2) != "00") return false;
        unsigned v = 0;
        for (char c : text.substr(p + 3, 2)) {
          v <<= 4;
          if (c >= '0' && c <= '9') v |= unsigned(c - '0');
          else if (c >= 'a' && c <= 'f') v |= unsigned(c - 'a' + 10);
          else return false;
        }
        if (v >= 0x20 || v == '\n' || v == '\r' || v == '\t') return false;
        out.push_back(static_cast<char>(v));
        p += 4;
        break;
      }
      default: return false;
    }
    ++p;
  }
  return false;
}

// The encoder's own output, read without building a JSON document: every station of a registry
// is decoded when a server answers /api/v1/bulk/stations or a ledger loads (30,000 at a time).
// nullopt when the text is anything else (then the general parser decides, and names the fault).
std::optional<std::vector<election::AreaRef>> decode_encoded_areas(std::string_view text) {
  std::vector<election::AreaRef> out;
  size_t p = 0;
  if (text.empty() || text[p++] != '[') return std::nullopt;
  if (p < text.size() && text[p] == ']') return p + 1 == text.size() ? std::optional(std::move(out)) : std::nullopt;
  while (true) {
    if (p >= text.size() || text[p++] != '[') return std::nullopt;
    election::AreaRef& a = out.emplace_back();
    if (!read_encoded_string(text, p, a.code)) return std::nullopt;
    if (p >= text.size() || text[p++] != ',') return std::nullopt;
    if (!read_encoded_string(text, p, a.name)) return std::nullopt;
    if (p + 1 >= text.size() || text[p++] != ']') return std::nullopt;
    const char next = text[p++];
    if (next == ']') return p == text.size() ? std::optional(std::move(out)) : std::nullopt;
    if (next != ',') return std::nullopt;
  }
}

}  // namespace

Result<std::vector<election::AreaRef>> decode_station_areas(std::string_view text, std::string_view code) {
  // Invalid UTF-8 is the general parser's to refuse (with its reason).
  if (is_valid_utf8(text))
    if (auto fast = decode_encoded_areas(text)) return std::move(*fast);
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
