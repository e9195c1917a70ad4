#include "tallylog/tally/source_rule.h"

namespace tallylog::tally {

Result<SourceRule> SourceRule::parse(std::string_view text) {
  SourceRule rule;
  if (text.empty() || text == "*") return rule;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c == 0x7f) {
      return err(ErrorCode::kInvalidArgument,
                 "source rule \"" + std::string(text) + "\": whitespace or control character at byte " +
                     std::to_string(i));
    }
    if (c == '*' && i + 1 != text.size()) {
      return err(ErrorCode::kInvalidArgument, "source rule \"" + std::string(text) +
                                                  "\": '*' is only allowed at the end (prefix rule)");
    }
  }
  if (text.back() == '*') {
    rule.kind_ = Kind::kPrefix;
    rule.text_ = std::string(text.substr(0, text.size() - 1));
  } else {
    rule.kind_ = Kind::kExact;
    rule.text_ = std::string(text);
  }
  return rule;
}

bool SourceRule::matches(std::string_view source) const {
  switch (kind_) {
    case Kind::kAll:
      return true;
    case Kind::kExact:
      return source == text_;
    case Kind::kPrefix:
      return source.starts_with(text_);
  }
  return false;
}

std::string SourceRule::to_string() const {
  switch (kind_) {
    case Kind::kAll:
      return "*";
    case Kind::kExact:
      return text_;
    case Kind::kPrefix:
      return text_ + "*";
  }
  return "*";
}

}  // namespace tallylog::tally
