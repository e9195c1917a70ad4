// Opening a data directory to READ it (tally, compare, bound, export, sheets show, serve on a
// copy, reindex): what a third party who copied the published log can do (issue 9). Needs only
// <data>/log/ and <data>/log.vkey (the checkpoint's signature is checked with it); never the
// private key or the journal. The index (<data>/index.sqlite) is created or brought up to date
// from the log when nobody writes to the directory, i.e. when <data>/lock is free (taken for the
// duration); when a writer holds it, the index is read as it is and the lag is reported.
//
// Ownership: the result owns the log reader and the index. Thread-safety: as theirs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "tallylog/base/error.h"
#include "tallylog/index/writer.h"
#include "tallylog/log/log.h"

namespace tallylog::ingest {

class Deriver;

// The verdict rules' state of a contest's index (ingest/derive.h: every station and sheet summary,
// areas, rules), kept between opens of one data directory by a caller that re-opens it each time
// its log grows: a follower node (cli/serve_commands.cc). Catching the index up then derives only
// the new entries, instead of loading that state from the index first (about 2 s of CPU per open
// at 1,000,000 tables: bench/follower_scale.sh). A kept state is used only by an open that finds
// the index at exactly the log size the state was left at; since the state is a function of the
// log's first entries alone, it then equals what loading it would give. Any failure drops it.
// Not thread-safe: one opener at a time.
class DeriverCache {
 public:
  DeriverCache();
  ~DeriverCache();
  DeriverCache(const DeriverCache&) = delete;
  DeriverCache& operator=(const DeriverCache&) = delete;

  // The state of `index` (contest `contest`, at `url`, holding `indexed` entries), taken out of
  // the cache when it was kept at exactly that size, else loaded from the index (and any state
  // kept at another size dropped). Give it back with keep() once the index has caught up.
  Result<std::unique_ptr<Deriver>> take_or_load(index::IndexReader& index, const std::string& contest,
                                                const std::string& url, uint64_t indexed);
  void keep(const std::string& contest, const std::string& url, uint64_t indexed, std::unique_ptr<Deriver> deriver);
  // Opens that reused a kept state / that had to load one (tests).
  uint64_t reused() const { return reused_; }
  uint64_t loaded() const { return loaded_; }

 private:
  struct Kept {
    uint64_t indexed = 0;
    std::unique_ptr<Deriver> deriver;
  };
  std::map<std::pair<std::string, std::string>, Kept> kept_;
  uint64_t reused_ = 0, loaded_ = 0;
};

struct ReadOnlyData {
  std::unique_ptr<log::LogReader> log;
  std::unique_ptr<index::Index> index;
  uint64_t log_size = 0;      // the size of the log's latest signed checkpoint
  uint64_t indexed_size = 0;  // the log size the index reflects: every answer states it
  uint64_t caught_up = 0;     // entries applied to the index by this open
  std::string contest;        // the contest tag read ("" for a single-contest election)
  // Empty, or one sentence for the user: how far the index is behind or ahead of the checkpoint.
  std::string note;
};

struct ReadOnlyOptions {
  // The contest to read (election/contest.h): empty for the only one; an election with several
  // needs one (the error lists them). Its index is that contest's (ingest/contest.h).
  std::string contest;
  // The index to read instead of the contest's own in <data> (index::open_index URL, e.g.
  // postgresql://...): it is built, caught up and rebuilt from <data>'s log like the default one.
  std::string index_url;
  // Rebuild the index from the log even if it exists (`reindex`); needs the lock.
  bool rebuild = false;
  std::function<void(uint64_t, uint64_t)> progress;  // (done, total) while catching up
  // A caller that re-opens the directory as its log grows keeps the verdict rules' state here
  // (see DeriverCache); null: loaded from the index whenever the index must catch up.
  DeriverCache* deriver_cache = nullptr;
};

Result<ReadOnlyData> open_for_reading(const std::string& data_dir, const ReadOnlyOptions& options = {});

}  // namespace tallylog::ingest
