#include "tallylog/tally/figures.h"

#include "tallylog/election/rules.h"
#include "tallylog/tally/count_vector.h"

namespace tallylog::tally {
namespace {

using Term = election::RuleSet::Term;

Result<Figure> compile_figure(const election::Election& e, std::string name, const std::string& text,
                              std::string why_unknown) {
  Figure f;
  f.name = std::move(name);
  if (text.empty()) {
    f.why_unknown = std::move(why_unknown);
    return f;
  }
  f.text = text;
  auto terms = election::compile_sum(text, e);
  if (!terms) return err(ErrorCode::kInvalidArgument, "figures." + f.name + ": " + terms.error().message);
  const uint32_t nf = static_cast<uint32_t>(e.fields.size());
  for (const Term& t : *terms) {
    const int32_t w = t.negate ? -1 : 1;
    switch (t.kind) {
      case Term::Kind::kField:
        f.terms.emplace_back(static_cast<uint32_t>(t.value), w);
        break;
      case Term::Kind::kCandidate:
        f.terms.emplace_back(nf + static_cast<uint32_t>(t.value), w);
        break;
      case Term::Kind::kCandidatesSum:
      case Term::Kind::kCardsSum:  // every card belongs to a candidate: the same total
        for (uint32_t c = 0; c < e.candidates.size(); ++c) f.terms.emplace_back(nf + c, w);
        break;
      case Term::Kind::kConstant:
        if (t.value != 0)
          return err(ErrorCode::kInvalidArgument,
                     "figures." + f.name + " \"" + text + "\": a constant is not a count (figures add up over tables)");
        break;
      case Term::Kind::kRegistered:
        return err(ErrorCode::kInvalidArgument, "figures." + f.name + ": \"registered\" is not a count of votes");
    }
  }
  return f;
}

}  // namespace

Result<FigureSet> FigureSet::compile(const election::Election& e) {
  const election::Figures& d = e.figures;
  FigureSet s;
  TL_ASSIGN_OR_RETURN(s.valid_, compile_figure(e, "valid", d.valid,
                                               "the election does not declare which counts are valid votes "
                                               "([figures] valid)"));
  TL_ASSIGN_OR_RETURN(s.invalid_, compile_figure(e, "invalid", d.invalid,
                                                 "the election does not declare which counts are invalid votes "
                                                 "([figures] invalid)"));
  if (!d.cast.empty()) {
    TL_ASSIGN_OR_RETURN(s.cast_, compile_figure(e, "cast", d.cast, ""));
  } else if (s.valid_.known() && s.invalid_.known()) {
    s.cast_.name = "cast";
    s.cast_.text = "(" + d.valid + ") + (" + d.invalid + ")";
    s.cast_.terms = s.valid_.terms;
    s.cast_.terms.insert(s.cast_.terms.end(), s.invalid_.terms.begin(), s.invalid_.terms.end());
  } else {
    s.cast_.name = "cast";
    s.cast_.why_unknown =
        "the election declares neither ballots cast ([figures] cast) nor both valid and invalid votes";
  }
  if (!d.turnout.empty()) {
    TL_ASSIGN_OR_RETURN(s.turnout_, compile_figure(e, "turnout", d.turnout, ""));
  } else {
    s.turnout_ = s.cast_;
    s.turnout_.name = "turnout";
    if (!s.turnout_.known())
      s.turnout_.why_unknown = "the election declares no turnout count ([figures] turnout) and ballots cast are unknown: " +
                               s.cast_.why_unknown;
  }
  const std::string shares = d.shares.empty() ? "valid" : d.shares;
  if (shares == "candidates") {
    TL_ASSIGN_OR_RETURN(s.share_base_, compile_figure(e, "share_base", "candidates", ""));
  } else {
    s.share_base_ = shares == "cast" ? s.cast_ : s.valid_;
    if (!s.share_base_.known())
      s.share_base_.why_unknown = "candidate shares are of " + shares + " votes, and " + s.share_base_.why_unknown;
  }
  s.share_base_.name = "share_base";
  // Which terms a sheet may leave out (Election::optional): where one is missing, the figure is
  // unknown for that table, and partial (so unknown) for an area.
  const CountLayout layout(e);
  for (Figure* f : {&s.valid_, &s.invalid_, &s.cast_, &s.turnout_, &s.share_base_}) {
    for (const auto& [field, reported] : layout.optional_slots()) {
      for (const auto& [slot, w] : f->terms) {
        if (slot == field) {
          f->optional.emplace_back(field, reported);
          break;
        }
      }
    }
  }
  return s;
}

std::optional<int64_t> FigureSet::value(const Figure& f, std::span<const int64_t> fields,
                                        std::span<const int64_t> candidates, std::span<const int64_t> reported,
                                        int64_t tables, const std::vector<std::string>& field_names,
                                        std::string* why) {
  if (!f.known()) {
    if (why) *why = f.why_unknown;
    return std::nullopt;
  }
  for (const auto& [field, slot] : f.optional) {
    if (field < reported.size() && reported[field] < tables) {
      if (why)
        *why = "'" + field_names[field] + "' is reported by " + std::to_string(reported[field]) + " of the " +
               std::to_string(tables) + " counted tables (a count their sources do not give is unknown, not zero)";
      return std::nullopt;
    }
  }
  return value(f, fields, candidates);
}

std::optional<int64_t> FigureSet::value(const Figure& f, std::span<const int64_t> fields,
                                        std::span<const int64_t> candidates) {
  if (!f.known()) return std::nullopt;
  int64_t v = 0;
  for (const auto& [slot, w] : f.terms) {
    const int64_t x = slot < fields.size() ? fields[slot] : candidates[slot - fields.size()];
    v += w * x;
  }
  return v;
}

std::optional<int64_t> FigureSet::value(const Figure& f, std::span<const int32_t> counts) {
  if (!f.known()) return std::nullopt;
  for (const auto& [field, reported] : f.optional) {
    if (!counts[reported]) return std::nullopt;  // the table's sheet does not report it
  }
  int64_t v = 0;
  for (const auto& [slot, w] : f.terms) v += w * int64_t{counts[slot]};
  return v;
}

}  // namespace tallylog::tally
