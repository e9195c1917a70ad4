#include "tallylog/election/contest.h"

#include <algorithm>

namespace tallylog::election {
namespace {

std::string listed(const Election& e) {
  std::string out;
  for (const Contest& c : e.contests) {
    if (!out.empty()) out += ", ";
    out += c.id;
    if (!c.name.empty()) out += " (" + c.name + ")";
  }
  return out;
}

}  // namespace

std::vector<std::string> contest_ids(const Election& e) {
  if (e.contests.empty()) return {e.contest};
  std::vector<std::string> out;
  for (const Contest& c : e.contests) out.push_back(c.id);
  return out;
}

Result<std::string> resolve_contest(const Election& e, std::string_view requested) {
  if (e.contests.empty()) {
    if (requested.empty() || requested == e.contest) return std::string();
    return err(ErrorCode::kNotFound, "contest \"" + std::string(requested) + "\": election " + e.id +
                                         " has one contest, \"" + e.contest + "\"");
  }
  if (requested.empty())
    return err(ErrorCode::kInvalidArgument, "election " + e.id + " has " + std::to_string(e.contests.size()) +
                                                " contests: " + listed(e) + "; choose one with --contest");
  for (const Contest& c : e.contests)
    if (c.id == requested) return c.id;
  return err(ErrorCode::kNotFound, "contest \"" + std::string(requested) + "\" is not one of election " + e.id +
                                       "'s contests: " + listed(e));
}

Result<Election> contest_election(const Election& e, std::string_view tag) {
  TL_ASSIGN_OR_RETURN(std::string resolved, resolve_contest(e, tag));
  if (e.contests.empty()) return e;
  auto it = std::find_if(e.contests.begin(), e.contests.end(), [&](const Contest& c) { return c.id == resolved; });
  Election v = e;
  v.contests.clear();
  v.contest = it->id;
  v.candidates = it->candidates;
  v.cards = it->cards;
  v.fields = it->fields;
  v.optional = it->optional;
  v.rules = it->rules;
  v.flags = it->flags;
  v.figures = it->figures;
  v.qr_profile = it->qr_profile;
  v.decided_at = it->decided_at;
  return v;
}

}  // namespace tallylog::election
