#include "tallylog/election/hierarchy.h"

#include <fmt/format.h>

namespace tallylog::election {

AreaHierarchy::AreaHierarchy(const Election& e) {
  for (const Level& l : e.levels) levels_.push_back(l.code);
  const size_t n = levels_.empty() ? 0 : levels_.size() - 1;
  areas_.resize(n);
  by_code_.resize(n);
}

std::optional<std::string> AreaHierarchy::add(const Station& s, std::string_view origin) {
  const size_t n = areas_.size();
  if (s.areas.size() != levels_.size())
    return fmt::format("station \"{}\" has {} areas, the election has {} levels", s.code, s.areas.size(), levels_.size());
  // Check every level first, so that a conflict records nothing.
  std::vector<uint32_t> ids(n, UINT32_MAX);
  for (size_t l = 0; l < n; ++l) {
    const AreaRef& ref = s.areas[l];
    auto it = by_code_[l].find(ref.code);
    if (it == by_code_[l].end()) continue;
    const Area& a = areas_[l][it->second];
    if (l > 0 && areas_[l - 1][a.parent].code != s.areas[l - 1].code)
      return fmt::format("area \"{}\" ({}) has two parents: {} \"{}\" ({}) and {} \"{}\" ({})", ref.code, levels_[l],
                         levels_[l - 1], areas_[l - 1][a.parent].code, a.origin, levels_[l - 1], s.areas[l - 1].code,
                         origin);
    if (a.name != ref.name)
      return fmt::format("area \"{}\" ({}) has two names: \"{}\" ({}) and \"{}\" ({}); one code must not name two areas",
                         ref.code, levels_[l], a.name, a.origin, ref.name, origin);
    ids[l] = it->second;
  }
  uint32_t parent = 0;
  for (size_t l = 0; l < n; ++l) {
    if (ids[l] == UINT32_MAX) {
      ids[l] = static_cast<uint32_t>(areas_[l].size());
      areas_[l].push_back(Area{s.areas[l].code, s.areas[l].name, parent, std::string(origin)});
      by_code_[l].emplace(s.areas[l].code, ids[l]);
    }
    parent = ids[l];
  }
  return std::nullopt;
}

bool natural_less(std::string_view a, std::string_view b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      size_t is = i, js = j;  // skip leading zeros
      while (is + 1 < ie && a[is] == '0') ++is;
      while (js + 1 < je && b[js] == '0') ++js;
      if (ie - is != je - js) return ie - is < je - js;
      if (int c = a.substr(is, ie - is).compare(b.substr(js, je - js)); c != 0) return c < 0;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  if (i < a.size() || j < b.size()) return i >= a.size();  // a prefix comes first
  return a < b;  // equal as numbers ("01" and "1"): byte order decides
}

}  // namespace tallylog::election
