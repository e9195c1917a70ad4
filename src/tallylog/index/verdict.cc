#include "tallylog/index/verdict.h"

#include <algorithm>
#include <cstring>

namespace tallylog::index {
namespace {

// Applies a decided (logged) sheet to the group's standing: supersedes `corrects`, then sets the
// conflict flag of every current sheet of the group, the incoming one included.
void settle_group(std::span<const LoggedSheet> sheets, const SheetFacts& in, SheetDecision& d) {
  auto current_in_group = [&](const LoggedSheet& s) {
    return s.source == in.source && !s.superseded && !(d.corrects && s.log_index == *d.corrects);
  };
  // Distinct contents among the group's current sheets after the change: more than one = conflict.
  bool differs = false;
  for (const LoggedSheet& s : sheets) {
    if (current_in_group(s) && s.content != in.content) {
      differs = true;
      if (!d.conflicts_with || s.log_index < *d.conflicts_with) d.conflicts_with = s.log_index;
    }
  }
  d.conflicted = differs;
  for (const LoggedSheet& s : sheets) {
    if (d.corrects && s.log_index == *d.corrects) {
      d.changes.push_back({s.log_index, true, false});
    } else if (current_in_group(s) && s.conflicted != differs) {
      d.changes.push_back({s.log_index, false, differs});
    }
  }
  std::sort(d.changes.begin(), d.changes.end(),
            [](const StandingChange& a, const StandingChange& b) { return a.log_index < b.log_index; });
  if (d.corrects) {
    d.verdict = SheetVerdict::kCorrection;
  } else {
    d.verdict = differs ? SheetVerdict::kConflict : SheetVerdict::kNew;
  }
}

// Checks the correction: a current sheet of the same station and source. Empty reason = allowed.
std::string correction_refusal(std::span<const LoggedSheet> sheets, const SheetFacts& in, std::string_view station,
                               std::string_view source_name) {
  const uint64_t target = *in.supersedes;
  const LoggedSheet* found = nullptr;
  for (const LoggedSheet& s : sheets) {
    if (s.log_index == target) found = &s;
  }
  const std::string at = "log index " + std::to_string(target);
  if (!found) return at + " is not a sheet of station " + std::string(station);
  if (found->source != in.source) {
    return "the sheet at " + at + " is from another source; a correction may only supersede a sheet of its own source" +
           (source_name.empty() ? std::string() : " (" + std::string(source_name) + ")");
  }
  if (found->superseded) return "the sheet at " + at + " is already superseded";
  return {};
}

}  // namespace

Digest to_digest(std::string_view raw) {
  Digest d{};
  std::memcpy(d.data(), raw.data(), std::min(raw.size(), d.size()));
  return d;
}

std::string_view digest_bytes(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

std::string_view verdict_name(SheetVerdict v) {
  switch (v) {
    case SheetVerdict::kNew: return "new";
    case SheetVerdict::kDuplicate: return "duplicate";
    case SheetVerdict::kConflict: return "conflict";
    case SheetVerdict::kCorrection: return "correction";
    case SheetVerdict::kRejected: return "rejected";
  }
  return "rejected";
}

SheetDecision decide_sheet(std::span<const LoggedSheet> sheets, const SheetFacts& in, std::string_view station,
                           std::string_view source_name) {
  SheetDecision d;
  for (const LoggedSheet& s : sheets) {
    if (s.source == in.source && s.identity == in.identity) {
      d.verdict = SheetVerdict::kDuplicate;
      d.duplicate_of = s.log_index;
      return d;
    }
  }
  if (in.supersedes) {
    std::string refusal = correction_refusal(sheets, in, station, source_name);
    if (!refusal.empty()) {
      d.verdict = SheetVerdict::kRejected;
      d.field = "supersedes";
      d.reason = std::move(refusal);
      return d;
    }
    d.corrects = in.supersedes;
  }
  settle_group(sheets, in, d);
  return d;
}

SheetDecision decide_logged_sheet(std::span<const LoggedSheet> sheets, const SheetFacts& in) {
  SheetDecision d;
  if (in.supersedes && correction_refusal(sheets, in, {}, {}).empty()) d.corrects = in.supersedes;
  settle_group(sheets, in, d);
  return d;
}

}  // namespace tallylog::index
