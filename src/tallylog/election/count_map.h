// CountMap: a sheet's counts by code (its candidates' votes, its fields), as a vector of (code,
// count) pairs kept sorted by code, with the part of std::map's interface the code base uses.
//
// Why not std::map: a sheet carries a dozen counts, and every sheet is built by a parser, checked,
// encoded, indexed and freed. As std::map that is a dozen tree nodes allocated, walked and freed per
// sheet; profiling the 1,000,000-sheet import (docs/benchmarks.md, fourteenth session) put a fifth
// of its CPU in malloc, free, the allocator's consolidation and tree walks (1.7 CPU-s of it freeing
// the batches of sheets). Here a sheet's counts are one allocation, iterated in key order as
// before (canonical entries and CountVector depend on it).
//
// Differences from std::map a caller must know: inserting or erasing invalidates iterators and
// references to other elements (as std::vector does); value_type's key is not const (do not change
// it through an iterator: the order is the invariant). Lookups take any string_view.
//
// Thread-safety: a value type; as std::vector.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tallylog::election {

class CountMap {
 public:
  using key_type = std::string;
  using mapped_type = int64_t;
  using value_type = std::pair<std::string, int64_t>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;
  using size_type = size_t;

  CountMap() = default;
  // Later duplicates are ignored, as std::map's initializer-list constructor does.
  CountMap(std::initializer_list<value_type> init) {
    for (const auto& v : init) emplace(v.first, v.second);
  }

  iterator begin() { return v_.begin(); }
  iterator end() { return v_.end(); }
  const_iterator begin() const { return v_.begin(); }
  const_iterator end() const { return v_.end(); }
  size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  void clear() { v_.clear(); }

  iterator lower_bound(std::string_view k) {
    return std::lower_bound(v_.begin(), v_.end(), k, [](const value_type& a, std::string_view b) { return a.first < b; });
  }
  const_iterator lower_bound(std::string_view k) const {
    return std::lower_bound(v_.begin(), v_.end(), k, [](const value_type& a, std::string_view b) { return a.first < b; });
  }
  iterator find(std::string_view k) {
    auto it = lower_bound(k);
    return it != v_.end() && it->first == k ? it : v_.end();
  }
  const_iterator find(std::string_view k) const {
    auto it = lower_bound(k);
    return it != v_.end() && it->first == k ? it : v_.end();
  }
  bool contains(std::string_view k) const { return find(k) != end(); }

  int64_t& at(std::string_view k) {
    auto it = find(k);
    if (it == v_.end()) throw std::out_of_range("CountMap::at: no count named " + std::string(k));
    return it->second;
  }
  const int64_t& at(std::string_view k) const {
    auto it = find(k);
    if (it == v_.end()) throw std::out_of_range("CountMap::at: no count named " + std::string(k));
    return it->second;
  }
  // The count named k, inserted as 0 if absent.
  int64_t& operator[](std::string_view k) { return try_emplace(k, 0).first->second; }

  // Inserts (k, v) unless k is present; returns where k is and whether it was inserted.
  std::pair<iterator, bool> try_emplace(std::string_view k, int64_t v = 0) {
    auto it = lower_bound(k);
    if (it != v_.end() && it->first == k) return {it, false};
    return {v_.emplace(it, std::string(k), v), true};
  }
  std::pair<iterator, bool> emplace(std::string_view k, int64_t v) { return try_emplace(k, v); }
  // Keys given in ascending order (a parser reading canonical JSON) are appended without a search.
  iterator emplace_hint(const_iterator hint, std::string_view k, int64_t v) {
    const bool fits = (hint == v_.cend() || k < hint->first) && (hint == v_.cbegin() || std::prev(hint)->first < k);
    if (fits) return v_.emplace(v_.begin() + (hint - v_.cbegin()), std::string(k), v);
    return try_emplace(k, v).first;
  }

  size_t erase(std::string_view k) {
    auto it = find(k);
    if (it == v_.end()) return 0;
    v_.erase(it);
    return 1;
  }

  bool operator==(const CountMap&) const = default;

 private:
  std::vector<value_type> v_;  // sorted by key, keys unique
};

}  // namespace tallylog::election
