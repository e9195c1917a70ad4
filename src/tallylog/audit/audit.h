// `tallylog audit`: checks every total a tallylog server publishes against the log it publishes.
//
// 1. Mirrors the server's log (mirror/mirror.h: signature, consistency, every tile recomputed).
// 2. Asks the server for every published figure: GET /api/v1/tally at every level (national
//    and each level of the election) for every source rule the election implies (each accepted
//    source pattern, and "*"), /api/v1/compare for every pair of those rules at every level, and
//    /api/v1/bound for every rule.
// 3. Re-derives each answer from the mirrored log entries alone (derive.h), at exactly the log
//    size the answer states (X-Tallylog-Log-Size or its "log_size"; without either, the size of
//    the checkpoint mirrored just before), and compares: byte for byte first, then figure by
//    figure (json_diff.h) to name each difference.
//
// A server whose index, cache or code disagrees with its log shows up as differences. Not
// thread-safe (one run at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/audit/json_diff.h"
#include "tallylog/base/error.h"
#include "tallylog/mirror/mirror.h"
#include "tallylog/note/cosignature.h"

namespace tallylog::audit {

struct AuditOptions {
  std::string url;         // the server: http[s]://host[:port][/prefix]
  std::string vkey;        // the log's verifier key, as published out of band
  std::string mirror_dir;  // where to keep the mirror (kept between runs); empty: a temporary one
  // The contest audited (`--contest`): empty for every contest of the election (the only one, or
  // each of several in turn). Every answer asked for a contest carries `contest=<id>`.
  std::string contest;
  note::WitnessPolicy witnesses;
  std::string ca_file;
  size_t max_listed = 1000;  // differences listed in the report (all are counted)
  // For a process that exits right after the audit (the CLI): the state re-derived from the log
  // (at national scale millions of small allocations) is left for the operating system to
  // reclaim at exit instead of being freed piece by piece (0.6 s of a 1,000,000-entry audit,
  // docs/benchmarks.md). It stays reachable, so leak checkers do not report it.
  bool keep_state_until_exit = false;
  std::function<void(std::string_view line)> progress;
};

// One contest's share of an audit of several (AuditReport::contests).
struct ContestAudit {
  std::string contest;
  uint64_t answers = 0;
  uint64_t figures = 0;
  uint64_t differences = 0;
};

struct AuditReport {
  mirror::MirrorReport mirror;
  uint64_t entries = 0;            // log entries replayed (the largest size audited)
  uint64_t answers = 0;            // API answers compared
  uint64_t figures = 0;            // numbers in those answers
  uint64_t differences = 0;        // all of them
  std::vector<Difference> listed;  // the first max_listed
  std::vector<std::string> notes;  // what a reader should know (e.g. sizes assumed)
  std::vector<ContestAudit>
      contests;  // per contest, when the election has several and none was named
};

Result<AuditReport> run_audit(const AuditOptions& options);

}  // namespace tallylog::audit
