#include "tallylog/audit/json_diff.h"

#include <array>
#include <bit>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tallylog::audit {
namespace {

using Json = nlohmann::ordered_json;

struct Walker {
  std::string route;
  std::vector<Difference>& out;
  size_t limit;
  uint64_t found = 0;

  void report(const std::string& area, const std::string& field, std::string published, std::string derived) {
    ++found;
    if (out.size() < limit) out.push_back({route, area, field, std::move(published), std::move(derived)});
  }

  static std::string text(const Json& j) { return j.dump(); }
  static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

  // The key an array element is known by, or "" when it has none.
  static std::string element_key(const Json& e) {
    if (!e.is_object()) return "";
    for (const char* k : {"code", "table"}) {
      auto it = e.find(k);
      if (it != e.end() && it->is_string()) return it->get<std::string>();
    }
    return "";
  }

  static bool keyed(const Json& a) {
    if (a.empty()) return true;
    for (const auto& e : a) {
      if (element_key(e).empty()) return false;
    }
    return true;
  }

  static bool strings(const Json& a) {
    for (const auto& e : a) {
      if (!e.is_string()) return false;
    }
    return true;
  }

  void walk(const Json& p, const Json& d, const std::string& area, const std::string& path) {
    if (p.is_object() && d.is_object()) {
      // An object that is an area (or a compared table) opens a new area.
      std::string here = area;
      std::string sub = path;
      if (std::string k = element_key(p); !k.empty() && k == element_key(d)) {
        here = k;
        sub.clear();
      }
      for (auto it = p.begin(); it != p.end(); ++it) {
        const std::string& key = it.key();
        std::string next_area = here;
        std::string next_path = join(sub, key);
        if (sub.empty() && area.empty() && key == "total") {
          next_area = "national";
          next_path.clear();
        }
        auto other = d.find(key);
        if (other == d.end()) {
          report(here, join(sub, key), text(it.value()), "(absent)");
          continue;
        }
        walk(it.value(), *other, next_area, next_path);
      }
      for (auto it = d.begin(); it != d.end(); ++it) {
        if (!p.contains(it.key())) report(here, join(sub, it.key()), "(absent)", text(it.value()));
      }
      return;
    }
    if (p.is_array() && d.is_array()) {
      if (p.size() + d.size() > 0 && keyed(p) && keyed(d)) {
        std::map<std::string, const Json*> dp, dd;
        for (const auto& e : p) dp.emplace(element_key(e), &e);
        for (const auto& e : d) dd.emplace(element_key(e), &e);
        for (const auto& [k, e] : dp) {
          auto it = dd.find(k);
          if (it == dd.end()) {
            report(k, path.empty() ? "(listed)" : path, "listed", "(absent)");
            continue;
          }
          walk(*e, *it->second, area, path);
        }
        for (const auto& [k, e] : dd) {
          if (!dp.count(k)) report(k, path.empty() ? "(listed)" : path, "(absent)", "listed");
        }
        return;
      }
      if (strings(p) && strings(d) && path.ends_with("_tables")) {
        std::set<std::string> sp, sd;
        for (const auto& e : p) sp.insert(e.get<std::string>());
        for (const auto& e : d) sd.insert(e.get<std::string>());
        for (const auto& s : sp) {
          if (!sd.count(s)) report(s, path, "listed", "(absent)");
        }
        for (const auto& s : sd) {
          if (!sp.count(s)) report(s, path, "(absent)", "listed");
        }
        return;
      }
      size_t n = std::max(p.size(), d.size());
      for (size_t i = 0; i < n; ++i) {
        std::string f = path + "[" + std::to_string(i) + "]";
        if (i >= p.size()) report(area, f, "(absent)", text(d[i]));
        else if (i >= d.size()) report(area, f, text(p[i]), "(absent)");
        else walk(p[i], d[i], area, f);
      }
      return;
    }
    if (p != d) report(area, path, text(p), text(d));
  }
};

}  // namespace

uint64_t diff_json(std::string_view route, std::string_view published, std::string_view derived,
                   std::vector<Difference>& out, size_t limit) {
  if (published == derived) return 0;
  Walker w{std::string(route), out, limit};
  Json p, d;
  try {
    p = Json::parse(published);
    d = Json::parse(derived);
  } catch (const std::exception& e) {
    w.report("", "(body)", std::string(published.substr(0, 200)), std::string(derived.substr(0, 200)));
    return w.found;
  }
  w.walk(p, d, "", "");
  if (w.found == 0) {
    // Equal as JSON but not byte for byte (member order, spacing, number spelling).
    w.report("", "(bytes)", std::to_string(published.size()) + " bytes", std::to_string(derived.size()) + " bytes");
  }
  return w.found;
}

uint64_t count_figures(std::string_view json) {
  FigureCounter c;
  c.feed(json);
  return c.count();
}

namespace {
// What a byte outside strings does to the count: 0 ends a number, 1 starts one (a digit or '-')
// or continues it, 2 only continues one ('.', 'e', 'E', '+'), 3 opens a string.
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = 1;
  t['-'] = 1;
  t['.'] = t['e'] = t['E'] = t['+'] = 2;
  t['"'] = 3;
  return t;
}();

// Bit i of each mask is byte i of a 64-byte block.
struct BlockMasks {
  uint64_t quote = 0, backslash = 0, number = 0, cont = 0;  // '"', '\\', class 1, class 2
};

BlockMasks block_masks(const char* p) {
  BlockMasks m;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), minus = _mm_set1_epi8('-');
  const __m128i below0 = _mm_set1_epi8('0' - 1), above9 = _mm_set1_epi8('9' + 1);
  const __m128i dot = _mm_set1_epi8('.'), e = _mm_set1_epi8('e'), E = _mm_set1_epi8('E'), plus = _mm_set1_epi8('+');
  for (int k = 0; k < 4; ++k) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    auto bits = [&](__m128i v) { return static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(v))) << (16 * k); };
    m.quote |= bits(_mm_cmpeq_epi8(b, quote));
    m.backslash |= bits(_mm_cmpeq_epi8(b, backslash));
    // Bytes >= 0x80 are negative as signed bytes: never in '0'..'9'.
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(b, below0), _mm_cmplt_epi8(b, above9));
    m.number |= bits(_mm_or_si128(digit, _mm_cmpeq_epi8(b, minus)));
    m.cont |= bits(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, dot), _mm_cmpeq_epi8(b, plus)),
                                _mm_or_si128(_mm_cmpeq_epi8(b, e), _mm_cmpeq_epi8(b, E))));
  }
#else
  for (int i = 0; i < 64; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    const uint64_t bit = uint64_t{1} << i;
    if (c == '\\') m.backslash |= bit;
    switch (kByteClass[c]) {
      case 1: m.number |= bit; break;
      case 2: m.cont |= bit; break;
      case 3: m.quote |= bit; break;
      default: break;
    }
  }
#endif
  return m;
}

// Bit i = the XOR of bits 0..i of x.
uint64_t prefix_xor(uint64_t x) {
  for (int shift = 1; shift < 64; shift *= 2) x ^= x << shift;
  return x;
}

}  // namespace

// Byte by byte: table-driven, strings skipped to their closing quote in one scan.
void FigureCounter::feed_bytes(const char* p, const char* end) {
  while (p < end) {
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
        ++p;
        continue;
      }
      while (p < end && *p != '"' && *p != '\\') ++p;
      if (p == end) break;
      if (*p == '\\') escaped_ = true;
      else in_string_ = false;
      ++p;
      continue;
    }
    switch (kByteClass[static_cast<unsigned char>(*p++)]) {
      case 0: in_number_ = false; break;
      case 1:
        if (!in_number_) {
          ++n_;
          in_number_ = true;
        }
        break;
      case 2: break;
      default:
        in_string_ = true;
        in_number_ = false;
        break;
    }
  }
}

// 64 bytes at a time (issue 9: the audit counts every byte of ~2 GB of answers at 1,000,000
// entries, and the byte loop's branches on every number and string cost 15 % of its CPU). In a
// block without a backslash a string ends at the next quote, so the bytes inside strings are the
// prefix XOR of the quotes; a number starts at a digit or '-' outside strings unless the nearest
// byte before it that is not '.', 'e', 'E' or '+' is in a number. A block holding a backslash, or
// starting just after one, goes byte by byte.
void FigureCounter::feed(std::string_view json) {
  const char* p = json.data();
  const char* const end = p + json.size();
  while (end - p >= 64) {
    const BlockMasks m = block_masks(p);
    if (m.backslash != 0 || escaped_) {
      feed_bytes(p, p + 64);
      p += 64;
      continue;
    }
    // Opening quotes and string contents: 1; closing quotes: 0 (and excluded as quotes below).
    const uint64_t in_string = prefix_xor(m.quote) ^ (in_string_ ? ~uint64_t{0} : 0);
    const uint64_t outside = ~in_string & ~m.quote;
    const uint64_t number = m.number & outside, cont = m.cont & outside;
    // A number goes on through runs of '.', 'e', 'E', '+' that follow one of its bytes: adding
    // each such run's first bit to the run carries through it (the carry past its end is masked
    // off), so the XOR marks exactly the runs reached.
    const uint64_t seeds = ((number << 1) | (in_number_ ? 1 : 0)) & cont;
    const uint64_t carried = ((cont + seeds) ^ cont) & cont;
    const uint64_t in_number = number | carried;  // byte i ends inside a number
    const uint64_t before = (in_number << 1) | (in_number_ ? 1 : 0);
    n_ += static_cast<uint64_t>(std::popcount(number & ~before));
    in_number_ = (in_number >> 63) != 0;
    in_string_ = (in_string >> 63) != 0;
    p += 64;
  }
  feed_bytes(p, end);
}

}  // namespace tallylog::audit
