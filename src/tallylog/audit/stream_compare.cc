#include "tallylog/audit/stream_compare.h"

#include <algorithm>
#include <cstring>

namespace tallylog::audit {

Result<bool> StreamComparer::next() {
  TL_ASSIGN_OR_RETURN(auto p, pull_());
  if (!p) return false;
  cur_ = std::move(*p);
  pos_ = 0;
  return true;
}

Status StreamComparer::derived(std::string_view d) {
  while (!d.empty() && !differs_) {
    if (pos_ == cur_.size()) {
      TL_ASSIGN_OR_RETURN(bool more, next());
      if (!more) {  // the published body ends here: shorter than the derived one
        differs_ = true;
        return ok();
      }
      continue;  // (an empty piece pulls again)
    }
    const size_t n = std::min(d.size(), cur_.size() - pos_);
    if (std::memcmp(d.data(), cur_.data() + pos_, n) == 0) {
      matched_ += n;
      pos_ += n;
      d.remove_prefix(n);
      continue;
    }
    size_t k = 0;
    while (d[k] == cur_[pos_ + k]) ++k;
    matched_ += k;
    rest_.assign(cur_, pos_ + k);
    differs_ = true;
  }
  return ok();
}

Result<bool> StreamComparer::finish() {
  if (!differs_ && pos_ < cur_.size()) {  // the published body goes on past the derived one
    differs_ = true;
    rest_.assign(cur_, pos_);
  }
  while (true) {
    TL_ASSIGN_OR_RETURN(bool more, next());
    if (!more) break;
    if (cur_.empty()) continue;
    if (!differs_) {  // longer, from a later piece
      differs_ = true;
      rest_.clear();
    }
    rest_ += cur_;
  }
  return !differs_;
}

}  // namespace tallylog::audit
