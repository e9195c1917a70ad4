// PCRE2 stays in this file.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tallylog/ingest/regex.h"

#include <pcre2.h>

namespace tallylog::ingest {
namespace {

// Enough for any sane pattern on a CSV cell (cells are at most a few KiB); a catastrophic
// backtracking pattern hits it in milliseconds instead of running for minutes.
constexpr uint32_t kMatchLimit = 1'000'000;
constexpr uint32_t kDepthLimit = 10'000;
constexpr size_t kMaxPatternBytes = 1024;

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof buf);
  if (n < 0) return "error " + std::to_string(code);
  return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

struct Regex::Impl {
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  bool jit = false;
  ~Impl() {
    if (context) pcre2_match_context_free(context);
    if (code) pcre2_code_free(code);
  }
};

Regex::~Regex() = default;

Result<std::shared_ptr<const Regex>> Regex::compile(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes)
    return err(ErrorCode::kInvalidArgument,
               "regex is " + std::to_string(pattern.size()) + " bytes long, at most " +
                   std::to_string(kMaxPatternBytes) + " allowed");
  std::shared_ptr<Regex> r(new Regex());
  r->pattern_ = std::string(pattern);
  r->impl_ = std::make_unique<Impl>();
  int code = 0;
  PCRE2_SIZE offset = 0;
  r->impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP,
                                 &code, &offset, nullptr);
  if (!r->impl_->code)
    return err(ErrorCode::kInvalidArgument, "regex \"" + std::string(pattern) + "\": " + pcre2_message(code) +
                                                " at offset " + std::to_string(offset));
  uint32_t groups = 0;
  pcre2_pattern_info(r->impl_->code, PCRE2_INFO_CAPTURECOUNT, &groups);
  r->groups_ = groups;
  r->impl_->jit = pcre2_jit_compile(r->impl_->code, PCRE2_JIT_COMPLETE) == 0;
  r->impl_->context = pcre2_match_context_create(nullptr);
  if (!r->impl_->context) return err(ErrorCode::kResourceExhausted, "regex: out of memory");
  pcre2_set_match_limit(r->impl_->context, kMatchLimit);
  pcre2_set_depth_limit(r->impl_->context, kDepthLimit);
  return std::shared_ptr<const Regex>(std::move(r));
}

RegexMatcher::RegexMatcher(std::shared_ptr<const Regex> regex) : regex_(std::move(regex)) {
  match_data_ = pcre2_match_data_create_from_pattern(regex_->impl().code, nullptr);
}

RegexMatcher::~RegexMatcher() {
  if (match_data_) pcre2_match_data_free(static_cast<pcre2_match_data*>(match_data_));
}

RegexMatcher::RegexMatcher(RegexMatcher&& o) noexcept : regex_(std::move(o.regex_)), match_data_(o.match_data_) {
  o.match_data_ = nullptr;
}

RegexMatcher& RegexMatcher::operator=(RegexMatcher&& o) noexcept {
  if (this != &o) {
    if (match_data_) pcre2_match_data_free(static_cast<pcre2_match_data*>(match_data_));
    regex_ = std::move(o.regex_);
    match_data_ = o.match_data_;
    o.match_data_ = nullptr;
  }
  return *this;
}

Result<bool> RegexMatcher::search(std::string_view subject, std::vector<std::pair<size_t, size_t>>& groups) {
  if (!match_data_) return err(ErrorCode::kResourceExhausted, "regex: out of memory");
  auto* md = static_cast<pcre2_match_data*>(match_data_);
  const Regex::Impl& impl = regex_->impl();
  const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = impl.jit ? pcre2_jit_match(impl.code, s, subject.size(), 0, 0, md, impl.context)
                    : pcre2_match(impl.code, s, subject.size(), 0, 0, md, impl.context);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
      return err(ErrorCode::kResourceExhausted,
                 "regex \"" + regex_->pattern() + "\" needs too much backtracking on this value; simplify it");
    return err(ErrorCode::kInvalidArgument, "regex \"" + regex_->pattern() + "\": " + pcre2_message(rc));
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  const size_t n = regex_->group_count() + 1;
  groups.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (i >= static_cast<size_t>(rc) || ov[2 * i] == PCRE2_UNSET) {
      groups[i] = {std::string_view::npos, 0};
    } else {
      groups[i] = {ov[2 * i], ov[2 * i + 1] - ov[2 * i]};
    }
  }
  return true;
}

}  // namespace tallylog::ingest
