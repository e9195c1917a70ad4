// The Venezuelan 2024 acta QR code (see docs/formats/qr-profiles.md):
//   payload  = acta-id "!" counts "!" null "!" extra
//   acta-id  = centre "." table "." 1DIGIT "." 4DIGIT      centre = 9DIGIT, table = 2DIGIT
//   counts   = count 37("," count)                          one per party card, ballot order
// The QR carries no checksum or signature; strictness here is what catches a misread or a code
// from another election.
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "tallylog/qr/profile.h"

namespace tallylog::qr {
namespace {

constexpr std::string_view kName = "ve2024-acta";
constexpr size_t kCards = 38;
// No table has more than a few thousand voters; anything longer is a misread, and the bound
// keeps every sum far from int64 overflow.
constexpr size_t kMaxCountDigits = 9;

std::unexpected<Error> bad(std::string_view part, const std::string& why) {
  return err(ErrorCode::kInvalidArgument,
             std::string(kName) + " payload: " + std::string(part) + ": " + why);
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 30))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out + (s.size() > 30 ? "...'" : "'");
}

Result<int64_t> parse_count(std::string_view part, std::string_view text) {
  if (text.empty()) return bad(part, "empty count");
  if (!all_digits(text)) return bad(part, quoted(text) + " is not a non-negative decimal number");
  if (text.size() > kMaxCountDigits) return bad(part, quoted(text) + " is too large (overflow)");
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size())
    return bad(part, quoted(text) + " is not a number");
  return value;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

class Ve2024ActaProfile final : public QrProfile {
 public:
  std::string_view name() const override { return kName; }

  Result<election::Sheet> parse(std::string_view payload,
                                const election::Election& election) const override {
    if (payload.empty()) return bad("payload", "empty");
    if (payload.size() > 4096)
      return bad("payload", std::to_string(payload.size()) + " bytes is far too long");
    for (char c : payload) {
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
        return bad(
            "payload",
            "contains a character outside printable ASCII (spaces, control or non-ASCII bytes)");
      }
    }
    const auto parts = split(payload, '!');
    if (parts.size() != 4) {
      return bad(
          "payload",
          "expected 4 parts '<acta id>!<counts>!<null>!<4th field>' separated by '!', found " +
              std::to_string(parts.size()));
    }
    const auto id = split(parts[0], '.');
    if (id.size() != 4 || id[0].size() != 9 || !all_digits(id[0]) || id[1].size() != 2 ||
        !all_digits(id[1]) || id[2].size() != 1 || !all_digits(id[2]) || id[3].size() != 4 ||
        !all_digits(id[3])) {
      return bad("acta id", quoted(parts[0]) +
                                " does not have the shape EEMMPPCCC.TT.N.NNNN (9 digits, 2, 1, 4)");
    }
    const auto counts = split(parts[1], ',');
    if (counts.size() != kCards) {
      return bad("counts", std::to_string(counts.size()) + " comma-separated counts, expected " +
                               std::to_string(kCards) + " (one per party card)");
    }
    if (!election.cards.empty() && election.cards.size() != kCards) {
      return err(ErrorCode::kFailedPrecondition,
                 std::string(kName) + ": election '" + election.id + "' has " +
                     std::to_string(election.cards.size()) +
                     " ballot cards but this profile carries " + std::to_string(kCards));
    }
    election::Sheet sheet;
    sheet.station = std::string(id[0]) + "." + std::string(id[1]);
    sheet.cards.reserve(kCards);
    int64_t valid = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      TL_ASSIGN_OR_RETURN(int64_t n, parse_count("counts[" + std::to_string(i) + "] (card " +
                                                     std::to_string(i + 1) + ")",
                                                 counts[i]));
      sheet.cards.push_back(n);
      valid += n;
    }
    TL_ASSIGN_OR_RETURN(int64_t null_votes, parse_count("null", parts[2]));
    if (!all_digits(parts[3]))
      return bad("4th field", quoted(parts[3]) + " is not a decimal number");
    // Per-candidate votes are the sums of their cards, in the election's card order.
    for (const auto& card : election.cards) {
      if (card.position < 1 || static_cast<size_t>(card.position) > kCards) {
        return err(ErrorCode::kFailedPrecondition,
                   std::string(kName) + ": election '" + election.id + "' card position " +
                       std::to_string(card.position) + " is outside 1.." + std::to_string(kCards));
      }
      sheet.candidates[card.candidate] += sheet.cards[static_cast<size_t>(card.position - 1)];
    }
    if (!election.cards.empty()) {
      for (const auto& c : election.candidates) sheet.candidates.try_emplace(c.code, 0);
    }
    sheet.fields["valid"] = valid;
    sheet.fields["null"] = null_votes;
    sheet.qr_payload = std::string(payload);
    return sheet;
  }
};

}  // namespace

std::unique_ptr<QrProfile> make_ve2024_acta_profile() {
  return std::make_unique<Ve2024ActaProfile>();
}

}  // namespace tallylog::qr
