// A progress bar on stderr, drawn only when stderr is a terminal (never in logs or CI output).
// Not thread-safe: call from the thread that drives the work.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tallylog/ingest/read_only.h"

namespace tallylog::cli {

class Progress {
 public:
  Progress(std::string label, uint64_t total);  // total 0 = unknown
  ~Progress();                                  // clears the bar
  void update(uint64_t done);

 private:
  std::string label_;
  uint64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point start_;
};

// Opens a data directory for a read command (ingest/read_only.h): a lagging index is brought up to
// date with a progress bar, and the note saying so (or how far behind it is) goes to stderr. Exits
// with the error otherwise.
// `contest`: a --contest value (empty: the only contest; an election with several then fails listing them).
ingest::ReadOnlyData open_for_reading_or_exit(const std::string& data_dir, const std::string& contest = {},
                                              const std::string& index_url = {});
// Help for the read commands' --index option (ingest::ReadOnlyOptions::index_url).
inline constexpr const char* kIndexHelp =
    "the index to read (and keep up to date): a URL such as postgresql://user@host/db or sqlite:<path> "
    "(default: <data>/index.sqlite); rebuild it with `tallylog reindex <data> --index URL`";

}  // namespace tallylog::cli
