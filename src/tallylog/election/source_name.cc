#include "tallylog/election/source_name.h"

#include <string>

namespace tallylog::election {
namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_word_char(char c) { return is_lower(c) || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

std::unexpected<Error> bad(std::string why) {
  return err(ErrorCode::kInvalidArgument,
             "source name " + why + " (grammar: label[:suffix], a-z 0-9 - _ and inner dots, e.g. witness:mud)");
}

}  // namespace

Status check_source_name(std::string_view s) {
  if (s.empty()) return bad("is empty");
  if (s.size() > kMaxSourceNameBytes) return bad("is longer than " + std::to_string(kMaxSourceNameBytes) + " bytes");
  size_t colon = s.find(':');
  std::string_view label = s.substr(0, colon);
  if (label.empty() || !is_lower(label.front())) return bad("must start with a letter a-z");
  for (char c : label)
    if (!is_word_char(c)) return bad("has a character outside a-z 0-9 - _ before the ':'");
  if (colon == std::string_view::npos) return ok();
  std::string_view suffix = s.substr(colon + 1);
  if (suffix.empty()) return bad("has an empty suffix after ':'");
  bool word_start = true;
  for (char c : suffix) {
    if (c == '.') {
      if (word_start) return bad("has a '.' at the start of the suffix or two in a row");
      word_start = true;
    } else if (is_word_char(c)) {
      word_start = false;
    } else {
      return bad("has a character outside a-z 0-9 - _ . in the suffix");
    }
  }
  if (word_start) return bad("ends with '.'");
  return ok();
}

}  // namespace tallylog::election
