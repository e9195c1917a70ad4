#include "tallylog/tally/search.h"

#include <algorithm>

namespace tallylog::tally {
namespace {

// Base letters of U+00C0..U+00FF ('\0' for the non-letters × and ÷, kept as they are).
constexpr char kLatin1Base[64 + 1] =
    "aaaaaaaceeeeiiii"   // C0-CF: À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï
    "dnooooo\0ouuuuyts"  // D0-DF: Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß
    "aaaaaaaceeeeiiii"   // E0-EF
    "dnooooo\0ouuuuyty"; // F0-FF

bool cont(unsigned char c) { return (c & 0xC0) == 0x80; }

// Splits folded text into words: runs of letters/digits (any non-ASCII byte counts as a letter).
std::vector<std::string_view> words_of(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    auto word_byte = [&](size_t k) {
      unsigned char c = static_cast<unsigned char>(s[k]);
      return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    };
    while (i < s.size() && !word_byte(i)) ++i;
    size_t b = i;
    while (i < s.size() && word_byte(i)) ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

}  // namespace

Result<std::string> fold_for_search(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || c > 0xF4 || i + len > s.size())
      return err(ErrorCode::kInvalidArgument, "ill-formed UTF-8");
    uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; ++k) {
      unsigned char b = static_cast<unsigned char>(s[i + k]);
      if (!cont(b)) return err(ErrorCode::kInvalidArgument, "ill-formed UTF-8");
      cp = (cp << 6) | (b & 0x3F);
    }
    const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return err(ErrorCode::kInvalidArgument, "ill-formed UTF-8");
    if (cp >= 0xC0 && cp <= 0xFF && kLatin1Base[cp - 0xC0] != '\0') {
      out.push_back(kLatin1Base[cp - 0xC0]);
      if (cp == 0xC6 || cp == 0xE6) out.push_back('e');        // Æ æ
      if (cp == 0xDF) out.push_back('s');                      // ß
    } else if (cp >= 0x300 && cp <= 0x36F) {
      // A combining mark: dropped (decomposed "e" + U+0301 folds as "é" does).
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string search_text(const Area& area) {
  auto f = fold_for_search(area.name);
  std::string out = (f ? *f : std::string()) + " " + area.code;
  for (char& ch : out) if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

Result<std::vector<SearchHit>> search_areas(const Geography& g, std::string_view query, size_t limit,
                                            bool with_tables) {
  if (query.size() > kMaxSearchQueryBytes)
    return err(ErrorCode::kInvalidArgument, "the query is longer than " + std::to_string(kMaxSearchQueryBytes) + " bytes");
  TL_ASSIGN_OR_RETURN(auto folded, fold_for_search(query));
  auto words = words_of(folded);
  if (words.empty()) return err(ErrorCode::kInvalidArgument, "the query has no letter or digit");
  if (words.size() > kMaxSearchWords)
    return err(ErrorCode::kInvalidArgument, "the query has more than " + std::to_string(kMaxSearchWords) + " words");

  const int last = with_tables ? g.table_depth() : g.table_depth() - 1;
  // Folded "name code" of every area up to `last` (names were checked as UTF-8 when stored;
  // should one not be, it is matched by its code only).
  const AreaId end = g.depth_end(std::max(last, 1));
  std::vector<std::string> own(end);
  for (AreaId id = g.depth_begin(1); id < end; ++id) {
    own[id] = search_text(g.area(id));
  }
  std::vector<SearchHit> own_hits, place_hits;
  for (int d = 1; d <= last; ++d) {
    for (AreaId id = g.depth_begin(d); id < g.depth_end(d); ++id) {
      bool all_own = true, all = true;
      for (auto w : words) {
        if (own[id].find(w) != std::string::npos) continue;
        all_own = false;
        bool found = false;
        for (AreaId p = g.area(id).parent; p != kNoArea && p != g.national() && !found; p = g.area(p).parent)
          found = own[p].find(w) != std::string::npos;
        if (!found) { all = false; break; }
      }
      if (all_own) {
        if (own_hits.size() < limit) own_hits.push_back({id, 0});
      } else if (all && place_hits.size() < limit) {
        place_hits.push_back({id, 1});
      }
    }
  }
  // Own-name matches first; place matches fill what is left.
  for (auto& h : place_hits) {
    if (own_hits.size() >= limit) break;
    own_hits.push_back(h);
  }
  return own_hits;
}

}  // namespace tallylog::tally
