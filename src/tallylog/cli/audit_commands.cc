// `tallylog audit <url> --vkey <key>`: every total the server publishes re-derived from its log
// (audit/audit.h). Flags, wiring and printing only.
#include <malloc.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tallylog/audit/audit.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/verify_args.h"

namespace tallylog::cli {
namespace {

constexpr int kDifferencesExit = 4;

struct AuditArgs {
  std::string url;
  std::string vkey;
  std::string mirror;
  std::string contest;
  std::vector<std::string> witnesses;
  size_t witness_policy = 0;
  std::string cacert;
  size_t max_listed = 1000;
  bool quiet = false;
};

void run_audit_command(const AuditArgs& a) {
  // The audit handles answers of tens to hundreds of megabytes one after another (the table-level
  // tallies): keep freed memory in the heap for the next one instead of returning it to the
  // kernel and faulting fresh pages in again (that was a fifth of the audit's time).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  audit::AuditOptions o;
  o.url = a.url;
  o.vkey = log_key_or_exit(a.vkey).text();
  o.mirror_dir = a.mirror;
  o.contest = a.contest;
  o.witnesses.witnesses = witness_keys_or_exit(a.witnesses);
  o.witnesses.quorum = a.witness_policy;
  o.ca_file = a.cacert;
  o.max_listed = a.max_listed;
  o.keep_state_until_exit = true;  // the process exits once the report is printed
  if (!a.quiet) o.progress = [](std::string_view line) { std::cerr << "audit: " << line << "\n"; };
  auto r = value_or_exit(audit::run_audit(o));
  exit_if_fork(r.mirror);
  if (r.mirror.witnesses) std::cout << "witnesses: " << r.mirror.witnesses->summary(a.witness_policy) << "\n";
  for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
  for (const auto& c : r.contests) {
    std::cout << "contest " << c.contest << ": " << c.figures << " published figures in "
              << c.answers << " answers: " << c.differences << " differences\n";
  }
  std::cout << "audited " << r.entries << " entries, " << r.figures << " published figures: " << r.differences
            << " differences\n";
  if (!r.listed.empty()) std::cout << "route\tarea\tfield\tpublished\tderived\n";
  for (const auto& d : r.listed) {
    std::cout << d.route << "\t" << (d.area.empty() ? "-" : d.area) << "\t" << d.field << "\t" << d.published << "\t"
              << d.derived << "\n";
  }
  if (r.listed.size() < r.differences) std::cout << "(" << r.differences - r.listed.size() << " more not listed)\n";
  if (r.differences) {
    set_exit_code(kDifferencesExit);
    throw CLI::RuntimeError(kDifferencesExit);
  }
}

void register_audit_commands(CLI::App& app) {
  auto a = std::make_shared<AuditArgs>();
  auto* c = app.add_subcommand("audit", "Mirror a server's log and re-derive every total it publishes; list each difference");
  c->add_option("url", a->url, "the server, http[s]://host[:port]")->required();
  c->add_option("--vkey", a->vkey, "the log's verifier key as published out of band, or a file holding it")->required();
  c->add_option("--mirror", a->mirror, "keep the mirror in this directory (reused next time); default: a temporary one");
  c->add_option("--contest", a->contest,
                "audit this contest only (default: every contest of the election)");
  add_witness_options(c, a->witnesses, a->witness_policy, a->cacert);
  c->add_option("--max-differences", a->max_listed, "list at most this many differences (all are counted)")->capture_default_str();
  c->add_flag("--quiet", a->quiet, "no progress lines on stderr");
  c->callback([a] { run_audit_command(*a); });
}

const CommandRegistrar kRegistrar(27, register_audit_commands);

}  // namespace
}  // namespace tallylog::cli
