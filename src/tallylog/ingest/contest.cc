#include "tallylog/ingest/contest.h"

#include "tallylog/election/contest.h"
#include "tallylog/election/entry.h"

namespace tallylog::ingest {

Result<election::Election> logged_election(const log::LogReader& log) {
  if (log.size() == 0) return err(ErrorCode::kFailedPrecondition, "the log is empty: it holds no election");
  TL_ASSIGN_OR_RETURN(std::string bytes, log.entry(0));
  auto entry = election::decode_entry(bytes);
  if (!entry || entry->type != election::EntryType::kElection)
    return err(ErrorCode::kFailedPrecondition, "log entry 0 is not an election");
  return std::get<election::Election>(std::move(entry->record));
}

std::string contest_index_url(const std::string& data_dir, std::string_view tag) {
  if (tag.empty()) return data_dir;
  std::string dir = data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return "sqlite:" + dir + "/index." + std::string(tag) + ".sqlite";
}

Result<ContestIndex> contest_index(const std::string& data_dir, const log::LogReader& log, std::string_view requested,
                                   bool first_if_unnamed) {
  // An empty log (a crash before entry 0 was durable) has no contests: its one index.
  if (log.size() == 0 && requested.empty()) return ContestIndex{"", contest_index_url(data_dir, "")};
  TL_ASSIGN_OR_RETURN(const election::Election e, logged_election(log));
  if (requested.empty() && first_if_unnamed && !e.contests.empty()) requested = e.contests.front().id;
  ContestIndex out;
  TL_ASSIGN_OR_RETURN(out.tag, election::resolve_contest(e, requested));
  out.url = contest_index_url(data_dir, out.tag);
  return out;
}

}  // namespace tallylog::ingest
