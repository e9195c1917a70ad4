#include "tallylog/election/validate.h"

#include "tallylog/election/device.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "tallylog/base/bytes.h"
#include "tallylog/election/contest.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/source_name.h"

namespace tallylog::election {
namespace {

constexpr size_t kMaxIdentifier = 64;
constexpr size_t kMaxCandidates = 1000;
constexpr size_t kMaxContests = 64;
constexpr size_t kMaxCards = 10000;
constexpr size_t kMaxFields = 100;
constexpr size_t kMaxLevels = 16;
constexpr size_t kMaxRules = 100;
constexpr size_t kMaxSources = 100;
// Limits of UnregisteredTables, so that tables x voters fits 64 bits with room to add.
constexpr uint64_t kMaxUnregisteredTables = 1000000000;
constexpr uint64_t kMaxVotersPerTable = 1000000000;
constexpr size_t kStackSlots = 64;

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > kMaxIdentifier) return false;
  auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!start(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// nullopt when `value` is acceptable text: valid UTF-8, at most `max` bytes, not empty unless
// allowed, and without control characters unless allowed.
std::optional<std::string> text_problem(std::string_view value, size_t max, bool allow_empty,
                                        bool allow_control = false) {
  if (value.empty()) {
    if (allow_empty) return std::nullopt;
    return std::string("is empty");
  }
  if (value.size() > max)
    return fmt::format("is {} bytes long, at most {} allowed", value.size(), max);
  if (!is_valid_utf8(value)) return std::string("is not valid UTF-8");
  if (!allow_control && has_control(value)) return std::string("contains a control character");
  return std::nullopt;
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_valid_date(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  if (!is_digits(d.substr(0, 4)) || !is_digits(d.substr(5, 2)) || !is_digits(d.substr(8, 2)))
    return false;
  int y = std::stoi(std::string(d.substr(0, 4)));
  int m = (d[5] - '0') * 10 + (d[6] - '0');
  int day = (d[8] - '0') * 10 + (d[9] - '0');
  if (m < 1 || m > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = kDays[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) max = 29;
  return day <= max;
}

// YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
bool is_rfc3339(std::string_view t) {
  if (t.size() < 20 || !is_valid_date(t.substr(0, 10)) || (t[10] != 'T' && t[10] != 't'))
    return false;
  auto two = [&](size_t at, int max) {
    return at + 2 <= t.size() && is_digits(t.substr(at, 2)) &&
           (t[at] - '0') * 10 + (t[at + 1] - '0') <= max;
  };
  if (!two(11, 23) || t[13] != ':' || !two(14, 59) || t[16] != ':' || !two(17, 60)) return false;
  size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    size_t s = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == s) return false;
  }
  if (i == t.size() - 1 && (t[i] == 'Z' || t[i] == 'z')) return true;
  return i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && two(i + 1, 23) && t[i + 3] == ':' &&
         two(i + 4, 59);
}

bool is_source_text(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
           c == ':';
  });
}

bool is_lower_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::unexpected<Error> invalid(std::string message) {
  return err(ErrorCode::kInvalidArgument, std::move(message));
}

Rejection reject(std::string field, std::string reason) {
  return Rejection{std::move(field), std::move(reason)};
}

// Small scratch array: on the stack for ordinary elections, on the heap for very large ones.
class Scratch {
 public:
  explicit Scratch(size_t n) : n_(n) {
    if (n > kStackSlots)
      heap_.assign(n, 0);
    else
      std::fill_n(stack_, n, 0);
  }
  int64_t* data() { return n_ > kStackSlots ? heap_.data() : stack_; }
  std::span<const int64_t> span() { return {data(), n_}; }

 private:
  size_t n_;
  int64_t stack_[kStackSlots];
  std::vector<int64_t> heap_;
};

}  // namespace

bool source_matches(std::string_view pattern, std::string_view source) {
  if (!pattern.empty() && pattern.back() == '*') {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return source.size() > prefix.size() && source.starts_with(prefix);
  }
  return pattern == source;
}

// [figures]: each declared figure is a sum over fields and candidates; `shares` names a figure
// that is declared (or derivable: cast = valid + invalid).
static Status validate_figures(const Election& e) {
  const Figures& f = e.figures;
  for (auto [name, text] : {std::pair<std::string_view, const std::string*>{"valid", &f.valid},
                            {"invalid", &f.invalid},
                            {"cast", &f.cast},
                            {"turnout", &f.turnout}}) {
    if (text->empty()) continue;
    if (text->size() > kMaxStringBytes) return invalid(fmt::format("figures.{}: longer than {} bytes", name, kMaxStringBytes));
    auto terms = compile_sum(*text, e);
    if (!terms) return invalid(fmt::format("figures.{} \"{}\": {}", name, *text, terms.error().message));
  }
  const bool cast_known = !f.cast.empty() || (!f.valid.empty() && !f.invalid.empty());
  if (f.shares == "valid" && f.valid.empty())
    return invalid("figures.shares: \"valid\" needs figures.valid (which counts are the valid votes?)");
  if (f.shares == "cast" && !cast_known)
    return invalid("figures.shares: \"cast\" needs figures.cast, or figures.valid and figures.invalid");
  if (!f.shares.empty() && f.shares != "valid" && f.shares != "cast" && f.shares != "candidates")
    return invalid(fmt::format("figures.shares: \"{}\" must be \"valid\", \"cast\" or \"candidates\"", f.shares));
  return ok();
}

namespace {
Status validate_single_contest(const Election& e);
}

// An election with several contests: the shared members once, then each contest as the
// single-contest election it stands for (errors about its ballot named "contests[i].<member>").
Status validate_election(const Election& e) {
  if (e.contests.empty()) return validate_single_contest(e);
  if (!e.contest.empty()) return invalid("contest: give each contest an id in contests instead");
  if (!e.candidates.empty() || !e.cards.empty() || !e.fields.empty() || !e.optional.empty() || !e.rules.empty() ||
      !e.flags.empty() || !e.figures.empty() || !e.qr_profile.empty() || !e.decided_at.empty())
    return invalid("contests: candidates, cards, fields, optional, rules, figures, qr_profile and decided_at belong "
                   "in each contest when the election has several");
  if (e.contests.size() > kMaxContests) return invalid(fmt::format("contests: at most {}", kMaxContests));
  std::set<std::string_view> ids;
  for (size_t i = 0; i < e.contests.size(); ++i) {
    const Contest& c = e.contests[i];
    // The id names a sheet's contest and an index file (index.<id>.sqlite): a-z 0-9 _ -.
    const bool id_ok = !c.id.empty() && c.id.size() <= kMaxIdentifier &&
                       std::all_of(c.id.begin(), c.id.end(), [](char ch) {
                         return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
                       });
    if (!id_ok)
      return invalid(fmt::format("contests[{}].id: \"{}\" must be 1-{} characters of a-z 0-9 _ -", i, c.id,
                                 kMaxIdentifier));
    if (!ids.insert(c.id).second) return invalid(fmt::format("contests[{}].id: duplicate contest \"{}\"", i, c.id));
    if (auto p = text_problem(c.name, kMaxStringBytes, false)) return invalid(fmt::format("contests[{}].name: {}", i, *p));
    TL_ASSIGN_OR_RETURN(const Election v, contest_election(e, c.id));
    if (auto st = validate_single_contest(v); !st) {
      const std::string& m = st.error().message;
      for (std::string_view k :
           {"candidates", "cards", "fields", "optional", "rules", "flags", "figures", "qr_profile", "decided_at"}) {
        if (m.starts_with(k)) return invalid(fmt::format("contests[{}].{}", i, m));
      }
      return st;
    }
  }
  return ok();
}

namespace {
Status validate_single_contest(const Election& e) {
  if (e.id.empty() || e.id.size() > kMaxIdentifier || !is_source_text(e.id) ||
      e.id.find(':') != std::string::npos)
    return invalid(
        fmt::format("id: \"{}\" must be 1-{} characters of a-z 0-9 _ - .", e.id, kMaxIdentifier));
  if (auto p = text_problem(e.name, kMaxStringBytes, false)) return invalid("name: " + *p);
  if (!is_valid_date(e.date))
    return invalid(fmt::format("date: \"{}\" is not a date YYYY-MM-DD", e.date));
  if (auto p = text_problem(e.contest, kMaxStringBytes, false)) return invalid("contest: " + *p);

  if (e.levels.empty()) return invalid("levels: at least one level is required");
  if (e.levels.size() > kMaxLevels)
    return invalid(fmt::format("levels: at most {} levels", kMaxLevels));
  std::set<std::string_view> seen;
  for (size_t i = 0; i < e.levels.size(); ++i) {
    if (!is_identifier(e.levels[i].code))
      return invalid(
          fmt::format("levels[{}].code: \"{}\" is not an identifier (letters, digits, _)", i,
                      e.levels[i].code));
    if (!seen.insert(e.levels[i].code).second)
      return invalid(fmt::format("levels[{}].code: duplicate level \"{}\"", i, e.levels[i].code));
    if (auto p = text_problem(e.levels[i].name, kMaxStringBytes, false))
      return invalid(fmt::format("levels[{}].name: {}", i, *p));
  }

  if (e.candidates.empty()) return invalid("candidates: at least one candidate is required");
  if (e.candidates.size() > kMaxCandidates)
    return invalid(fmt::format("candidates: at most {}", kMaxCandidates));
  seen.clear();
  for (size_t i = 0; i < e.candidates.size(); ++i) {
    const Candidate& c = e.candidates[i];
    if (!is_identifier(c.code))
      return invalid(fmt::format(
          "candidates[{}].code: \"{}\" is not an identifier (letters, digits, _)", i, c.code));
    if (!seen.insert(c.code).second)
      return invalid(
          fmt::format("candidates[{}].code: duplicate candidate code \"{}\"", i, c.code));
    if (auto p = text_problem(c.name, kMaxStringBytes, false))
      return invalid(fmt::format("candidates[{}].name: {}", i, *p));
    if (!c.area.empty() && e.decided_at.empty())
      return invalid(fmt::format("candidates[{}].area: \"{}\" needs decided_at, the level its code is of "
                                 "(a contest decided per area)",
                                 i, c.area));
    if (auto p = text_problem(c.area, kMaxStringBytes, true))
      return invalid(fmt::format("candidates[{}].area: {}", i, *p));
  }
  if (!e.decided_at.empty()) {
    auto level = std::find_if(e.levels.begin(), e.levels.end(), [&](const Level& l) { return l.code == e.decided_at; });
    if (level == e.levels.end())
      return invalid(fmt::format("decided_at: \"{}\" is not one of the election's levels", e.decided_at));
    if (level + 1 == e.levels.end())
      return invalid(fmt::format("decided_at: \"{}\" is the table level; a contest is decided at a level above it",
                                 e.decided_at));
  }

  if (e.cards.size() > kMaxCards) return invalid(fmt::format("cards: at most {}", kMaxCards));
  for (size_t i = 0; i < e.cards.size(); ++i) {
    const Card& c = e.cards[i];
    if (c.position != static_cast<int>(i) + 1)
      return invalid(
          fmt::format("cards[{}].position: {} but cards must be numbered 1, 2, 3... in ballot "
                      "order (expected {})",
                      i, c.position, i + 1));
    if (auto p = text_problem(c.party, kMaxStringBytes, false))
      return invalid(fmt::format("cards[{}].party: {}", i, *p));
    if (!e.find_candidate(c.candidate))
      return invalid(fmt::format("cards[{}].candidate: unknown candidate \"{}\"", i, c.candidate));
  }

  if (e.fields.size() > kMaxFields) return invalid(fmt::format("fields: at most {}", kMaxFields));
  seen.clear();
  for (size_t i = 0; i < e.fields.size(); ++i) {
    const std::string& f = e.fields[i];
    if (!is_identifier(f))
      return invalid(
          fmt::format("fields[{}]: \"{}\" is not an identifier (letters, digits, _)", i, f));
    if (f == "registered" || f == "candidates" || f == "cards" || f == "candidate")
      return invalid(fmt::format("fields[{}]: \"{}\" is reserved in rules", i, f));
    if (!seen.insert(f).second)
      return invalid(fmt::format("fields[{}]: duplicate field \"{}\"", i, f));
  }

  seen.clear();
  for (size_t i = 0; i < e.optional.size(); ++i) {
    const std::string& f = e.optional[i];
    if (std::find(e.fields.begin(), e.fields.end(), f) == e.fields.end())
      return invalid(fmt::format("optional[{}]: \"{}\" is not one of the election's fields", i, f));
    if (!seen.insert(f).second)
      return invalid(fmt::format("optional[{}]: duplicate field \"{}\"", i, f));
  }

  if (e.sources.empty()) return invalid("sources: at least one accepted source is required");
  if (e.sources.size() > kMaxSources)
    return invalid(fmt::format("sources: at most {}", kMaxSources));
  seen.clear();
  for (size_t i = 0; i < e.sources.size(); ++i) {
    std::string_view s = e.sources[i];
    std::string_view body = s.ends_with('*') ? s.substr(0, s.size() - 1) : s;
    if (body.empty() || body.size() > kMaxIdentifier || !is_source_text(body))
      return invalid(fmt::format(
          "sources[{}]: \"{}\" must be a name of a-z 0-9 _ - . : optionally ending in *", i, s));
    if (!seen.insert(s).second)
      return invalid(fmt::format("sources[{}]: duplicate source \"{}\"", i, s));
  }

  if (!e.qr_profile.empty() &&
      (e.qr_profile.size() > kMaxIdentifier || !is_source_text(e.qr_profile)))
    return invalid(fmt::format("qr_profile: \"{}\" must be a name of a-z 0-9 _ - .", e.qr_profile));

  for (const auto& [area, voters] : e.unregistered_voters) {
    if (auto p = text_problem(area, kMaxStringBytes, false))
      return invalid(fmt::format("unregistered_voters.{}: key {}", area, *p));
    if (voters > static_cast<uint64_t>(kMaxJsonInteger))
      return invalid(fmt::format("unregistered_voters.{}: {} is too large", area, voters));
  }

  const UnregisteredTables& ut = e.unregistered_tables;
  if (ut.count > kMaxUnregisteredTables)
    return invalid(fmt::format("unregistered_tables.count: {} is larger than {}", ut.count,
                               kMaxUnregisteredTables));
  for (const auto& [area, tables] : ut.areas) {
    if (auto p = text_problem(area, kMaxStringBytes, false))
      return invalid(fmt::format("unregistered_tables.areas.{}: key {}", area, *p));
    if (tables > kMaxUnregisteredTables)
      return invalid(fmt::format("unregistered_tables.areas.{}: {} is larger than {}", area,
                                 tables, kMaxUnregisteredTables));
  }
  if (ut.total() > kMaxUnregisteredTables)
    return invalid(fmt::format("unregistered_tables: {} tables in all is more than {}", ut.total(),
                               kMaxUnregisteredTables));
  if (ut.max_voters_per_table &&
      (*ut.max_voters_per_table == 0 || *ut.max_voters_per_table > kMaxVotersPerTable))
    return invalid(fmt::format("unregistered_tables.max_voters_per_table: {} must be 1 to {}",
                               *ut.max_voters_per_table, kMaxVotersPerTable));
  if (ut.max_voters_per_table && ut.total() == 0)
    return invalid(
        "unregistered_tables.max_voters_per_table: given without count or areas (no table to "
        "bound)");

  const RegistryTotals& rt = e.registry_totals;
  if (rt.total && *rt.total > static_cast<uint64_t>(kMaxJsonInteger))
    return invalid(fmt::format("registry_totals.total: {} is too large", *rt.total));
  for (const auto& [area, voters] : rt.areas) {
    if (auto p = text_problem(area, kMaxStringBytes, false))
      return invalid(fmt::format("registry_totals.areas.{}: key {}", area, *p));
    if (voters > static_cast<uint64_t>(kMaxJsonInteger))
      return invalid(fmt::format("registry_totals.areas.{}: {} is too large", area, voters));
  }
  if (!rt.empty()) {
    if (auto p = text_problem(rt.source, 4 * kMaxStringBytes, true))
      return invalid(fmt::format("registry_totals.source {}", *p));
    if (rt.source.empty()) return invalid("registry_totals.source: missing (where were the figures published?)");
    if (!rt.total && rt.areas.empty()) return invalid("registry_totals: give total or areas");
  }

  if (e.rules.size() + e.flags.size() > kMaxRules)
    return invalid(fmt::format("rules: at most {} (reject and flag rules together)", kMaxRules));
  auto rules = compile_rules(e);
  if (!rules) return std::unexpected(rules.error());
  for (size_t i = 0; i < e.flags.size(); ++i) {
    if (auto p = text_problem(e.flags[i].note, kMaxStringBytes, true))
      return invalid(fmt::format("flags[{}].note: {}", i, *p));
  }
  auto flags = compile_flag_rules(e);
  if (!flags) return std::unexpected(flags.error());
  TL_TRY(validate_device_settings(e));  // election/device.h: organisations, require_device_signature
  return validate_figures(e);
}
}  // namespace

Result<Validator> Validator::create(Election election) {
  TL_TRY(validate_election(election));
  Validator v;
  TL_ASSIGN_OR_RETURN(v.rules_, compile_rules(election));
  TL_ASSIGN_OR_RETURN(v.flag_rules_, compile_flag_rules(election));
  for (size_t i = 0; i < election.candidates.size(); ++i)
    v.by_code_.emplace_back(election.candidates[i].code, i);
  std::sort(v.by_code_.begin(), v.by_code_.end());
  for (size_t i = 0; i < election.fields.size(); ++i)
    v.by_field_.emplace_back(election.fields[i], i);
  std::sort(v.by_field_.begin(), v.by_field_.end());
  v.optional_.assign(election.fields.size(), 0);
  for (const std::string& f : election.optional) {
    for (size_t i = 0; i < election.fields.size(); ++i)
      if (election.fields[i] == f) v.optional_[i] = 1;
  }
  for (const Card& c : election.cards) {
    for (size_t i = 0; i < election.candidates.size(); ++i) {
      if (election.candidates[i].code == c.candidate) v.card_candidate_.push_back(i);
    }
  }
  for (size_t l = 0; l < election.levels.size(); ++l)
    if (election.levels[l].code == election.decided_at) v.decided_depth_ = static_cast<int>(l) + 1;
  v.election_ = std::move(election);
  return v;
}

bool Validator::source_accepted(std::string_view source) const {
  for (const std::string& p : election_.sources) {
    if (source_matches(p, source)) return true;
  }
  return false;
}

std::optional<Rejection> Validator::validate_station(const Station& s) const {
  if (auto p = text_problem(s.code, kMaxStringBytes, false))
    return reject("code", "station code " + *p);
  if (s.areas.size() != election_.levels.size())
    return reject("areas", fmt::format("station {} has {} areas but the election has {} levels",
                                       s.code, s.areas.size(), election_.levels.size()));
  for (size_t i = 0; i < s.areas.size(); ++i) {
    const std::string field = fmt::format("areas[{}]", i);
    if (auto p = text_problem(s.areas[i].code, kMaxStringBytes, false))
      return reject(field, fmt::format("{} code {}", election_.levels[i].code, *p));
    if (auto p = text_problem(s.areas[i].name, kMaxStringBytes, true))
      return reject(field, fmt::format("{} name {}", election_.levels[i].code, *p));
  }
  if (s.areas.back().code != s.code)
    return reject(fmt::format("areas[{}]", s.areas.size() - 1),
                  fmt::format("the last area's code \"{}\" must equal the station code \"{}\"",
                              s.areas.back().code, s.code));
  if (s.registered && *s.registered > static_cast<uint64_t>(kMaxJsonInteger))
    return reject("registered", fmt::format("{} registered voters is too large", *s.registered));
  return std::nullopt;
}

std::optional<Rejection> Validator::validate_sheet(Sheet& sheet, const Station* station,
                                                   std::vector<RuleFailure>* flags) const {
  if (auto p = text_problem(sheet.station, kMaxStringBytes, false))
    return reject("station", "station code " + *p);
  if (station == nullptr)
    return reject("station", fmt::format("unknown station \"{}\"", sheet.station));
  if (station->code != sheet.station)
    return reject("station",
                  fmt::format("station record \"{}\" does not match the sheet's station \"{}\"",
                              station->code, sheet.station));
  if (auto p = text_problem(sheet.source, kMaxStringBytes, false))
    return reject("source", "source " + *p);
  if (auto st = check_source_name(sheet.source); !st) return reject("source", st.error().message);
  if (!source_accepted(sheet.source))
    return reject("source",
                  fmt::format("source \"{}\" is not accepted by this election", sheet.source));

  const size_t ncand = election_.candidates.size();
  Scratch votes(ncand);
  int64_t cards_sum = 0;
  if (!sheet.cards.empty()) {
    if (election_.cards.empty())
      return reject("cards", "this election has no ballot cards; give votes per candidate");
    if (sheet.cards.size() != election_.cards.size())
      return reject("cards", fmt::format("{} cards expected, got {}", election_.cards.size(),
                                         sheet.cards.size()));
    int64_t* v = votes.data();
    for (size_t i = 0; i < sheet.cards.size(); ++i) {
      int64_t n = sheet.cards[i];
      if (n < 0 || n > kMaxJsonInteger)
        return reject(fmt::format("cards[{}]", i),
                      fmt::format("card {} ({}) count {} is {}", i + 1, election_.cards[i].party, n,
                                  n < 0 ? "negative" : "too large"));
      // Each term and each partial sum stays <= 2^53-1, so no addition can overflow.
      int64_t& candidate_votes = v[card_candidate_[i]];
      candidate_votes += n;
      cards_sum += n;
      if (candidate_votes > kMaxJsonInteger || cards_sum > kMaxJsonInteger)
        return reject("cards", "the card counts add up to more than 2^53-1");
    }
    if (sheet.candidates.empty()) {
      for (const auto& [code, index] : by_code_)
        sheet.candidates.emplace_hint(sheet.candidates.end(), code, v[index]);
    }
  }

  // Merge the sheet's sorted candidate map with the election's sorted codes.
  Scratch given(ncand);
  {
    auto it = sheet.candidates.begin();
    size_t k = 0;
    int64_t* g = given.data();
    while (it != sheet.candidates.end() || k < by_code_.size()) {
      int cmp = it == sheet.candidates.end() ? 1
                : k == by_code_.size()       ? -1
                                             : it->first.compare(by_code_[k].first);
      if (cmp < 0) {
        std::string field = "candidates." + it->first;
        if (auto p = text_problem(it->first, kMaxStringBytes, false))
          return reject("candidates", "candidate code " + *p);
        return reject(field, fmt::format("unknown candidate \"{}\"", it->first));
      }
      if (cmp > 0)
        return reject("candidates." + by_code_[k].first,
                      fmt::format("missing votes for candidate {}", by_code_[k].first));
      int64_t n = it->second;
      if (n < 0 || n > kMaxJsonInteger)
        return reject("candidates." + it->first,
                      fmt::format("candidate {} count {} is {}", it->first, n,
                                  n < 0 ? "negative" : "too large"));
      size_t index = by_code_[k].second;
      if (!sheet.cards.empty() && votes.data()[index] != n)
        return reject("candidates." + it->first,
                      fmt::format("candidate {} has {} votes but its cards add up to {}", it->first,
                                  n, votes.data()[index]));
      g[index] = n;
      ++it;
      ++k;
    }
  }
  // A local race: votes only for the candidates standing in the table's area.
  if (decided_depth_ > 0) {
    const std::string_view here = station->areas.size() >= static_cast<size_t>(decided_depth_)
                                      ? std::string_view(station->areas[decided_depth_ - 1].code)
                                      : std::string_view();
    const std::string& level = election_.levels[decided_depth_ - 1].code;
    for (size_t i = 0; i < ncand; ++i) {
      const Candidate& c = election_.candidates[i];
      if (c.area.empty() || given.data()[i] == 0 || c.area == here) continue;
      if (here.empty())
        return reject("station", fmt::format("the registry gives table {} no {}, where this contest is decided",
                                              sheet.station, level));
      return reject("candidates." + c.code,
                    fmt::format("stands in {} {}, this table is in {}", level, c.area, here));
    }
  }
  int64_t candidates_sum = 0;
  for (int64_t n : given.span()) {
    candidates_sum += n;
    if (candidates_sum > kMaxJsonInteger)
      return reject("candidates", "candidate votes add up to more than 2^53-1");
  }
  if (sheet.cards.empty()) cards_sum = candidates_sum;

  Scratch fields(election_.fields.size());
  std::array<uint8_t, kMaxFields> known;  // validate_election caps fields at kMaxFields
  std::fill_n(known.begin(), election_.fields.size(), uint8_t{1});
  bool all_known = true;
  {
    auto it = sheet.fields.begin();
    size_t k = 0;
    int64_t* f = fields.data();
    while (it != sheet.fields.end() || k < by_field_.size()) {
      int cmp = it == sheet.fields.end() ? 1
                : k == by_field_.size()  ? -1
                                         : it->first.compare(by_field_[k].first);
      if (cmp < 0) {
        if (auto p = text_problem(it->first, kMaxStringBytes, false))
          return reject("fields", "field name " + *p);
        return reject(it->first, fmt::format("unknown field \"{}\"", it->first));
      }
      if (cmp > 0) {
        if (!optional_[by_field_[k].second])
          return reject(by_field_[k].first, fmt::format("missing field \"{}\"", by_field_[k].first));
        f[by_field_[k].second] = 0;  // unknown: never read by a rule (field_known)
        known[by_field_[k].second] = 0;
        all_known = false;
        ++k;
        continue;
      }
      int64_t n = it->second;
      if (n < 0 || n > kMaxJsonInteger)
        return reject(it->first, fmt::format("{} count {} is {}", it->first, n,
                                             n < 0 ? "negative" : "too large"));
      f[by_field_[k].second] = n;
      ++it;
      ++k;
    }
  }

  if (!sheet.image_sha256.empty() && !is_lower_hex64(sheet.image_sha256))
    return reject("image_sha256", "image_sha256 must be 64 lowercase hexadecimal digits");
  if (auto p = text_problem(sheet.qr_payload, kMaxPayloadBytes, true, true))
    return reject("qr_payload", "QR payload " + *p);
  if (auto p = text_problem(sheet.submitted_by, kMaxStringBytes, true))
    return reject("submitted_by", "submitted_by " + *p);
  if (!sheet.submitted_at.empty() && !is_rfc3339(sheet.submitted_at))
    return reject("submitted_at",
                  fmt::format("\"{}\" is not an RFC 3339 time", sheet.submitted_at.substr(0, 64)));
  if (sheet.supersedes && *sheet.supersedes > static_cast<uint64_t>(kMaxJsonInteger))
    return reject("supersedes", fmt::format("log index {} is too large", *sheet.supersedes));

  if (station->registered && *station->registered > static_cast<uint64_t>(kMaxJsonInteger))
    return reject("station", "the station's registered voters are out of range");
  // Unknown registered voters: rules using `registered` are not checked (RuleInputs).
  RuleInputs in{fields.span(), given.span(), candidates_sum, cards_sum,
                static_cast<int64_t>(station->registered.value_or(0)), {}, station->registered.has_value()};
  if (!all_known) in.field_known = std::span<const uint8_t>(known.data(), election_.fields.size());
  if (auto failure = rules_.check(in)) return reject("rules", std::move(failure->message));
  if (flags) flag_rules_.check_all(in, *flags);
  return std::nullopt;
}

}  // namespace tallylog::election
