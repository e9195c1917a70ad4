// Comparing a published answer with the re-derived one while both are still arriving: the
// published body is pulled piece by piece (as the HTTP client receives it) and the derived body
// is pushed piece by piece (as tally/format.h writes it), so a table-level answer of hundreds of
// megabytes is never held whole on either side. (Its figures are not counted here: when both
// bodies are equal they are the derived body's, counted as it is formatted; when they differ,
// the published body is rebuilt whole for diff_json and counted then.)
//
// When the bodies differ, the comparer keeps the published body from the first differing byte
// on: the whole published body is then the derived one's first matched() bytes followed by
// take_rest() (formatting is deterministic), which is what diff_json needs to name each
// difference.
//
// Not thread-safe; one comparer per answer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog::audit {

class StreamComparer {
 public:
  // The published body's next piece; nullopt at its end.
  using Pull = std::function<Result<std::optional<std::string>>()>;
  explicit StreamComparer(Pull pull) : pull_(std::move(pull)) {}

  // The next piece of the derived body. Fails only when pulling the published body fails.
  Status derived(std::string_view piece);
  // The derived body is complete: reads the published one to its end. True when both are equal.
  Result<bool> finish();

  uint64_t matched() const { return matched_; }          // leading bytes equal on both sides
  std::string take_rest() { return std::move(rest_); }   // the published body after them

 private:
  Result<bool> next();  // pulls the next published piece into cur_; false at the end

  Pull pull_;
  std::string cur_;
  size_t pos_ = 0;
  uint64_t matched_ = 0;
  bool differs_ = false;
  std::string rest_;
};

}  // namespace tallylog::audit
