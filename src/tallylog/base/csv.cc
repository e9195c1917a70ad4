#include "tallylog/base/csv.h"

#include <cstdint>

namespace tallylog {

void append_csv_field(std::string& out, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += value;
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string printable_text(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  auto hex_byte = [&](unsigned char b) {
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 15];
  };
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == '\\') {
      out += "\\\\";
      ++i;
    } else if (b < 0x20 || b == 0x7f) {
      hex_byte(b);
      ++i;
    } else if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
    } else {
      // One UTF-8 sequence: its length from the lead byte, then the code point.
      const size_t len = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 0;
      uint32_t cp = len == 2 ? b & 0x1f : len == 3 ? b & 0x0f : b & 0x07;
      bool valid = len != 0 && i + len <= s.size();
      for (size_t k = 1; valid && k < len; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        valid = (c & 0xc0) == 0x80;
        cp = (cp << 6) | (c & 0x3f);
      }
      valid = valid && !(len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) &&
              !(len == 4 && (cp < 0x10000 || cp > 0x10ffff));
      if (!valid) {
        hex_byte(b);
        ++i;
        continue;
      }
      const bool control = (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e ||
                           cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
                           (cp >= 0x2066 && cp <= 0x2069);
      if (control) {
        out += "\\u{";
        for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 15];
        out += '}';
      } else {
        out.append(s.substr(i, len));
      }
      i += len;
    }
  }
  return out;
}

void append_csv_text_field(std::string& out, std::string_view value) {
  append_csv_field(out, printable_text(value));
}

std::string csv_field(std::string_view value) {
  std::string out;
  append_csv_field(out, value);
  return out;
}

}  // namespace tallylog
