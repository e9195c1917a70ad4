#include "tallylog/ingest/lookup.h"

#include <nlohmann/json.hpp>

#include "tallylog/ingest/csv.h"

namespace tallylog::ingest {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxRows = 10'000'000;

std::unexpected<Error> lookup_error(std::string_view name, const std::string& what) {
  return err(ErrorCode::kInvalidArgument, "lookup '" + std::string(name) + "': " + what);
}

// A JSON scalar as a cell: strings as they are, integers in decimal, null as empty.
std::optional<std::string> cell_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_null()) return std::string();
  return std::nullopt;
}

}  // namespace

Status LookupTable::add_row(std::string key, std::vector<std::string> cells) {
  if (keys_.size() >= kMaxRows) return lookup_error(name_, "more than " + std::to_string(kMaxRows) + " rows");
  auto [it, inserted] = rows_.try_emplace(key, static_cast<uint32_t>(keys_.size()));
  if (!inserted) return lookup_error(name_, "key \"" + key + "\" appears twice");
  keys_.push_back(std::move(key));
  for (auto& c : cells) cells_.push_back(std::move(c));
  return ok();
}

std::optional<size_t> LookupTable::column(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == name) return i;
  return std::nullopt;
}

std::optional<size_t> LookupTable::single_value_column() const {
  if (columns_.size() != 2) return std::nullopt;
  return key_column_ == 0 ? 1 : 0;
}

const std::string* LookupTable::find(std::string_view key, size_t column) const {
  auto it = rows_.find(key);
  if (it == rows_.end() || column >= columns_.size()) return nullptr;
  return &cells_[size_t(it->second) * columns_.size() + column];
}

Result<LookupTable> LookupTable::from_pairs(std::string_view name,
                                            std::vector<std::pair<std::string, std::string>> pairs) {
  LookupTable t;
  t.name_ = std::string(name);
  t.columns_ = {"key", "value"};
  for (auto& [k, v] : pairs) {
    std::string key = k;
    TL_TRY(t.add_row(std::move(key), {std::move(k), std::move(v)}));
  }
  return t;
}

Result<LookupTable> LookupTable::from_csv(std::string_view name, std::string_view text, std::string_view key_column) {
  LookupTable t;
  t.name_ = std::string(name);
  CsvReader reader(text);
  CsvRecord rec;
  if (!reader.next(rec)) return lookup_error(name, "the CSV file is empty (no header)");
  if (!rec.error.empty()) return lookup_error(name, "line 1: " + rec.error);
  t.columns_ = rec.fields;
  if (t.columns_.size() < 2) return lookup_error(name, "the CSV header needs a key column and at least one more");
  if (!key_column.empty()) {
    auto k = t.column(key_column);
    if (!k) return lookup_error(name, "the CSV header has no key column '" + std::string(key_column) + "'");
    t.key_column_ = *k;
  }
  for (size_t i = 0; i < t.columns_.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (t.columns_[i] == t.columns_[j])
        return lookup_error(name, "the CSV header names column '" + t.columns_[i] + "' twice");
  while (reader.next(rec)) {
    if (!rec.error.empty()) return lookup_error(name, "line " + std::to_string(rec.line) + ": " + rec.error);
    if (rec.fields.size() != t.columns_.size())
      return lookup_error(name, "line " + std::to_string(rec.line) + " has " + std::to_string(rec.fields.size()) +
                                    " fields, the header has " + std::to_string(t.columns_.size()));
    std::string key = rec.fields[t.key_column_];
    if (auto s = t.add_row(std::move(key), rec.fields); !s)
      return std::unexpected(with_context(s.error(), "line " + std::to_string(rec.line)));
  }
  return t;
}

Result<LookupTable> LookupTable::from_json(std::string_view name, std::string_view text, std::string_view path,
                                           std::string_view key_member) {
  LookupTable t;
  t.name_ = std::string(name);
  Json root;
  try {
    root = Json::parse(text);
  } catch (const std::exception& e) {
    return lookup_error(name, std::string("not JSON: ") + e.what());
  }
  const Json* node = &root;
  std::string walked;
  size_t start = 0;
  while (start < path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    std::string member(path.substr(start, dot - start));
    walked += (walked.empty() ? "" : ".") + member;
    if (!node->is_object() || !node->contains(member))
      return lookup_error(name, "path '" + walked + "' is not a member of the JSON document");
    node = &(*node)[member];
    start = dot + 1;
  }
  const std::string where = path.empty() ? std::string("the document") : "path '" + std::string(path) + "'";
  if (node->is_object()) {
    bool scalars = true, objects = true;
    for (const auto& [k, v] : node->items()) {
      scalars = scalars && !v.is_object() && !v.is_array();
      objects = objects && v.is_object();
    }
    if (node->empty() || scalars) {
      t.columns_ = {"key", "value"};
      for (const auto& [k, v] : node->items()) {
        auto c = cell_text(v);
        if (!c) return lookup_error(name, "member \"" + k + "\": values must be strings, integers or null");
        TL_TRY(t.add_row(k, {k, std::move(*c)}));
      }
      return t;
    }
    if (!objects)
      return lookup_error(name, where + " mixes objects and plain values; use one shape (see mapping-toml.md)");
    // An object of objects: the key, then every member any row has, in first-seen order.
    t.columns_ = {"key"};
    for (const auto& [k, v] : node->items())
      for (const auto& [m, x] : v.items())
        if (!t.column(m)) t.columns_.push_back(m);
    for (const auto& [k, v] : node->items()) {
      std::vector<std::string> cells(t.columns_.size());
      cells[0] = k;
      for (const auto& [m, x] : v.items()) {
        auto c = cell_text(x);
        if (!c) return lookup_error(name, "\"" + k + "\"." + m + ": values must be strings, integers or null");
        cells[*t.column(m)] = std::move(*c);
      }
      TL_TRY(t.add_row(k, std::move(cells)));
    }
    return t;
  }
  if (!node->is_array()) return lookup_error(name, where + " is neither an object nor an array");
  if (key_member.empty())
    return lookup_error(name, where + " is an array: give `key`, the member that holds each row's key");
  t.columns_.clear();
  for (const auto& row : *node) {
    if (!row.is_object()) return lookup_error(name, where + ": every element must be an object");
    for (const auto& [m, x] : row.items())
      if (!t.column(m)) t.columns_.push_back(m);
  }
  auto k = t.column(key_member);
  if (!k) return lookup_error(name, "no element of " + where + " has the key member '" + std::string(key_member) + "'");
  t.key_column_ = *k;
  size_t i = 0;
  for (const auto& row : *node) {
    std::vector<std::string> cells(t.columns_.size());
    for (const auto& [m, x] : row.items()) {
      auto c = cell_text(x);
      if (!c)
        return lookup_error(name, "element " + std::to_string(i) + "." + m + ": values must be strings, integers or null");
      cells[*t.column(m)] = std::move(*c);
    }
    if (!row.contains(std::string(key_member)))
      return lookup_error(name, "element " + std::to_string(i) + " has no key member '" + std::string(key_member) + "'");
    std::string key = cells[t.key_column_];
    TL_TRY(t.add_row(std::move(key), std::move(cells)));
    ++i;
  }
  return t;
}

}  // namespace tallylog::ingest
