// QR payload profiles (qr/profile.h): the text of a tally sheet's QR code, from a scanned or
// posted image, parsed by every built-in profile for the bundled ve2024 election.
//
// Properties: a payload that parses keeps the raw payload, has one count per ballot card, and
// per-candidate votes that are the sums of their cards (valid = sum of cards); a sheet the
// validator accepts encodes to an entry decode_entry() gives back unchanged.
#include <numeric>

#include "fuzz_support.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/validate.h"
#include "tallylog/qr/profile.h"

namespace tallylog::fuzz {
namespace {

const election::Validator& validator() {
  static const election::Validator* v = [] {
    auto r = election::Validator::create(ve2024_election());
    if (!r) fail("ve2024 validator", r.error().to_string());
    return new election::Validator(std::move(*r));
  }();
  return *v;
}

void check_sheet(const qr::QrProfile& profile, std::string_view payload, election::Sheet sheet) {
  const auto& e = ve2024_election();
  std::string where = std::string(profile.name()) + ": " + std::string(payload.substr(0, 200));
  check(sheet.qr_payload == payload, "a parsed sheet keeps the raw payload", where);
  check(sheet.cards.size() == e.cards.size(), "one count per ballot card", where);
  int64_t cards = std::accumulate(sheet.cards.begin(), sheet.cards.end(), int64_t{0});
  int64_t candidates = 0;
  for (const auto& [code, votes] : sheet.candidates) {
    check(e.find_candidate(code) != nullptr, "votes only for the election's candidates", where);
    candidates += votes;
  }
  check(candidates == cards, "candidate votes are the sums of their cards", where);
  auto valid = sheet.fields.find("valid");
  check(valid != sheet.fields.end() && valid->second == cards, "valid votes are the sum of the cards", where);

  election::Station station;
  station.code = sheet.station;
  for (const auto& level : e.levels) station.areas.push_back({level.code == "table" ? sheet.station : level.code, ""});
  station.registered = static_cast<uint64_t>(election::kMaxJsonInteger);
  sheet.source = "qr";
  if (validator().validate_sheet(sheet, &station)) return;
  std::string bytes = election::encode_entry(sheet);
  auto back = election::decode_entry(bytes);
  check(back.has_value(), "a valid QR sheet's entry decodes", back ? "" : back.error().to_string() + "\n" + bytes);
  check(std::get<election::Sheet>(back->record) == sheet, "a QR sheet's entry decodes unchanged", bytes);
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  std::string_view payload = as_text(data, size);
  const auto& registry = qr::builtin_profiles();
  for (const auto& name : registry.names()) {
    const qr::QrProfile* profile = registry.find(name).value();
    auto sheet = profile->parse(payload, ve2024_election());
    if (sheet) check_sheet(*profile, payload, std::move(*sheet));
  }
  return 0;
}
