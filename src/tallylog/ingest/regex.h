// Regular expressions for mapping expressions (`match(column, "re", group)`), backed by PCRE2
// (Perl syntax, UTF-8 mode, JIT-compiled where the platform allows). PCRE2 types stay in
// regex.cc.
//
// A Regex is compiled once per mapping and is immutable: share it between threads freely. Each
// thread matches through its own RegexMatcher, which owns PCRE2's per-match scratch memory.
// Matching is bounded (a match limit and a depth limit), so a pathological pattern fails with an
// error instead of running for minutes on hostile input.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog::ingest {

class Regex {
 public:
  // Errors name the pattern and the offset of the problem, e.g.
  //   regex "(\d+": missing closing parenthesis at offset 4.
  static Result<std::shared_ptr<const Regex>> compile(std::string_view pattern);
  ~Regex();

  const std::string& pattern() const { return pattern_; }
  // Capture groups, not counting group 0 (the whole match).
  size_t group_count() const { return groups_; }

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  Regex() = default;
  std::string pattern_;
  size_t groups_ = 0;
  std::unique_ptr<Impl> impl_;
};

// Per-thread match state for one Regex. Not thread-safe.
class RegexMatcher {
 public:
  explicit RegexMatcher(std::shared_ptr<const Regex> regex);
  ~RegexMatcher();
  RegexMatcher(RegexMatcher&&) noexcept;
  RegexMatcher& operator=(RegexMatcher&&) noexcept;

  // Searches `subject` (unanchored: anchor with ^ and $). On a match, `groups` holds
  // group_count() + 1 (offset, length) pairs into `subject`; a group that did not take part is
  // (npos, 0). Returns false when nothing matches; an error when the match limit is hit.
  Result<bool> search(std::string_view subject, std::vector<std::pair<size_t, size_t>>& groups);

 private:
  std::shared_ptr<const Regex> regex_;
  void* match_data_ = nullptr;  // pcre2_match_data_8*
};

}  // namespace tallylog::ingest
