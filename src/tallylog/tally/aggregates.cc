#include "tallylog/tally/aggregates.h"

#include <algorithm>

namespace tallylog::tally {

MaterialisedRules MaterialisedRules::for_election(const election::Election& e) {
  MaterialisedRules m;
  m.rules_.push_back(SourceRule());
  for (const std::string& s : e.sources) {
    if (!s.ends_with('*') || s == "*") continue;
    auto r = SourceRule::parse(s);
    if (r && !m.find(*r)) m.rules_.push_back(*r);
  }
  return m;
}

void MaterialisedRules::restore(uint32_t id, const SourceRule& rule) {
  if (rules_.size() <= id) rules_.resize(id + 1);
  rules_[id] = rule;
  matching_.clear();
  exact_.clear();
}

std::optional<uint32_t> MaterialisedRules::find(const SourceRule& rule) const {
  const std::string text = rule.to_string();
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].to_string() == text) return i;
  }
  return std::nullopt;
}

uint32_t MaterialisedRules::exact(std::string_view source, bool& added) {
  added = false;
  if (auto it = exact_.find(std::string(source)); it != exact_.end()) return it->second;
  const uint32_t id = exact_rule(source, added);
  exact_.emplace(std::string(source), id);
  return id;
}

uint32_t MaterialisedRules::exact_rule(std::string_view source, bool& added) {
  auto rule = SourceRule::parse(source);
  // A source that is not a valid rule (never accepted by validation) has no rule of its own.
  if (!rule || rule->kind() != SourceRule::Kind::kExact) return UINT32_MAX;
  if (auto id = find(*rule)) return *id;
  rules_.push_back(*rule);
  matching_.clear();
  added = true;
  return static_cast<uint32_t>(rules_.size() - 1);
}

const std::vector<uint32_t>& MaterialisedRules::matching(std::string_view source) {
  auto it = matching_.find(std::string(source));
  if (it != matching_.end()) return it->second;
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].matches(source)) ids.push_back(i);
  }
  return matching_.emplace(std::string(source), std::move(ids)).first->second;
}

AreaAggregator::AreaAggregator(size_t width, size_t compared, std::function<uint32_t(uint32_t)> parent_of,
                               std::vector<std::pair<uint32_t, uint32_t>> optional, std::optional<Figure> turnout)
    : width_(width),
      compared_(compared),
      parent_of_(std::move(parent_of)),
      optional_(std::move(optional)),
      turnout_(std::move(turnout)) {
  old_row_.resize(row_length());
  new_row_.resize(row_length());
}

void AreaAggregator::rule_row(const SourceRule& rule, std::span<const SourcedSheet> sheets,
                              std::optional<uint64_t> registered, int64_t* out) {
  scratch_.clear();
  for (const SourcedSheet& s : sheets) {
    if (rule.matches(s.source)) scratch_.push_back(s.sheet);
  }
  table_row(scratch_, select_representative(scratch_, compared_, optional_), registered, width_, out,
            turnout_ ? &*turnout_ : nullptr);
}

uint32_t AreaAggregator::slot(uint32_t rule, uint32_t area) {
  const uint64_t key = (uint64_t{rule} << 32) | area;
  auto [it, inserted] = slot_.try_emplace(key, static_cast<uint32_t>(keys_.size()));
  if (inserted) {
    keys_.push_back(key);
    sums_.resize(sums_.size() + row_length(), 0);
  }
  return it->second;
}

void AreaAggregator::add_row(uint32_t rule, uint32_t area, const int64_t* row, int sign) {
  int64_t* dst = &sums_[size_t(slot(rule, area)) * row_length()];
  for (size_t i = 0; i < row_length(); ++i) dst[i] += sign * row[i];
}

void AreaAggregator::settle() {
  // The areas table_changed() added to, by depth.
  std::vector<std::vector<uint32_t>> by_depth;
  for (size_t k = 0; k < keys_.size(); ++k) {
    size_t depth = 0;
    for (uint32_t a = parent_of_(static_cast<uint32_t>(keys_[k])); a != UINT32_MAX;
         a = parent_of_(a))
      ++depth;
    if (by_depth.size() <= depth) by_depth.resize(depth + 1);
    by_depth[depth].push_back(static_cast<uint32_t>(k));
  }
  // Deepest first: an area's change is complete (its own tables' and its children's) before it
  // is added to its parent, one level up.
  for (size_t depth = by_depth.size(); depth-- > 1;) {
    for (uint32_t k : by_depth[depth]) {
      const uint32_t rule = static_cast<uint32_t>(keys_[k] >> 32);
      const uint32_t parent = parent_of_(static_cast<uint32_t>(keys_[k]));
      const size_t before = keys_.size();
      const uint32_t p = slot(rule, parent);  // may grow sums_: pointers after it
      if (keys_.size() != before) by_depth[depth - 1].push_back(p);
      const int64_t* src = &sums_[size_t(k) * row_length()];
      int64_t* dst = &sums_[size_t(p) * row_length()];
      for (size_t i = 0; i < row_length(); ++i) dst[i] += src[i];
    }
  }
}

void AreaAggregator::table_changed(MaterialisedRules& rules, uint32_t parent, std::optional<uint64_t> registered,
                                   std::span<const SourcedSheet> before, std::span<const SourcedSheet> after,
                                   std::span<const std::string_view> changed_sources) {
  std::vector<uint32_t>& ids = ids_;
  ids.clear();
  for (std::string_view s : changed_sources) {
    for (uint32_t id : rules.matching(s)) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
  }
  for (uint32_t id : ids) {
    const SourceRule& rule = rules.rule(id);
    if (parent == UINT32_MAX) {  // unplaced: only the national count of such sheets changes
      int64_t n = 0;
      for (const SourcedSheet& s : after) n += rule.matches(s.source);
      for (const SourcedSheet& s : before) n -= rule.matches(s.source);
      if (n != 0) {
        std::fill(new_row_.begin(), new_row_.end(), 0);
        new_row_[kRowUnplaced] = n;
        add_row(id, 0, new_row_.data(), 1);
      }
      continue;
    }
    rule_row(rule, before, registered, old_row_.data());
    rule_row(rule, after, registered, new_row_.data());
    if (old_row_ == new_row_) continue;
    for (size_t i = 0; i < row_length(); ++i) new_row_[i] -= old_row_[i];
    add_row(id, parent, new_row_.data(), 1);  // and its ancestors in settle()
  }
}

}  // namespace tallylog::tally
