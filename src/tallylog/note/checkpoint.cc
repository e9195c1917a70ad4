#include "tallylog/note/checkpoint.h"

#include <charconv>

#include "tallylog/base/bytes.h"

namespace tallylog::note {

Status check_origin(std::string_view origin) {
  if (origin.empty()) return err(ErrorCode::kInvalidArgument, "checkpoint origin is empty");
  if (!is_valid_utf8(origin)) return err(ErrorCode::kInvalidArgument, "checkpoint origin is not valid UTF-8");
  for (unsigned char c : origin) {
    if (c < 0x20 || c == 0x7f) return err(ErrorCode::kInvalidArgument, "checkpoint origin contains a newline or control character");
  }
  return ok();
}

std::string Checkpoint::body() const {
  std::string out = origin + "\n" + std::to_string(size) + "\n" + merkle::hash_base64(root) + "\n";
  for (const auto& e : extensions) out += e + "\n";
  return out;
}

Result<Checkpoint> Checkpoint::parse_body(std::string_view text) {
  if (text.empty() || text.back() != '\n') return err(ErrorCode::kInvalidArgument, "checkpoint does not end with a newline");
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return err(ErrorCode::kInvalidArgument, "checkpoint needs origin, size and root lines");
  Checkpoint c;
  if (auto s = check_origin(lines[0]); !s) return std::unexpected(s.error());
  c.origin = std::string(lines[0]);
  std::string_view sz = lines[1];
  if (sz.empty() || sz.size() > 20 || (sz.size() > 1 && sz[0] == '0')) {
    return err(ErrorCode::kInvalidArgument, "checkpoint size \"" + std::string(sz) + "\" is not a canonical decimal");
  }
  auto [p, ec] = std::from_chars(sz.data(), sz.data() + sz.size(), c.size);
  if (ec != std::errc() || p != sz.data() + sz.size()) {
    return err(ErrorCode::kInvalidArgument, "checkpoint size \"" + std::string(sz) + "\" is not a decimal uint64");
  }
  auto root = merkle::hash_from_base64(lines[2]);
  if (!root) return err(ErrorCode::kInvalidArgument, "checkpoint root hash: " + root.error().message);
  c.root = *root;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return err(ErrorCode::kInvalidArgument, "checkpoint has an empty extension line");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

Result<std::string> sign_checkpoint(const Checkpoint& c, const Signer& log_key) {
  TL_TRY(check_origin(c.origin));
  if (c.origin != log_key.name()) {
    return err(ErrorCode::kInvalidArgument, "checkpoint origin \"" + c.origin + "\" differs from the key name \"" + log_key.name() + "\"");
  }
  return sign_note(c.body(), log_key);
}

Result<Checkpoint> open_checkpoint(std::string_view signed_note, const Verifier& log_key) {
  TL_ASSIGN_OR_RETURN(Note n, open_note(signed_note, std::span<const Verifier>(&log_key, 1)));
  TL_ASSIGN_OR_RETURN(Checkpoint c, Checkpoint::parse_body(n.text));
  if (c.origin != log_key.name()) {
    return err(ErrorCode::kVerificationFailed, "checkpoint origin \"" + c.origin + "\" does not match the key name \"" + log_key.name() + "\"");
  }
  return c;
}

}  // namespace tallylog::note
