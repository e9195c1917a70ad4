#include "tallylog/ingest/read_only.h"

#include "tallylog/index/open.h"
#include "tallylog/ingest/contest.h"
#include "tallylog/ingest/derive.h"
#include "tallylog/log/data_dir_lock.h"
#include "tallylog/store/store.h"

namespace tallylog::ingest {

DeriverCache::DeriverCache() = default;
DeriverCache::~DeriverCache() = default;

Result<std::unique_ptr<Deriver>> DeriverCache::take_or_load(index::IndexReader& index, const std::string& contest,
                                                            const std::string& url, uint64_t indexed) {
  auto it = kept_.find({contest, url});
  if (it != kept_.end()) {
    Kept kept = std::move(it->second);
    kept_.erase(it);
    if (kept.indexed == indexed) {
      ++reused_;
      return std::move(kept.deriver);
    }
  }
  ++loaded_;
  return Deriver::load(index, contest);
}

void DeriverCache::keep(const std::string& contest, const std::string& url, uint64_t indexed,
                        std::unique_ptr<Deriver> deriver) {
  kept_[{contest, url}] = Kept{indexed, std::move(deriver)};
}

Result<ReadOnlyData> open_for_reading(const std::string& data_dir, const ReadOnlyOptions& options) {
  ReadOnlyData d;
  TL_ASSIGN_OR_RETURN(d.log, store::open_reader(data_dir));
  d.log_size = d.log->size();
  TL_ASSIGN_OR_RETURN(const ContestIndex ci, contest_index(data_dir, *d.log, options.contest));
  d.contest = ci.tag;
  const std::string& url = options.index_url.empty() ? ci.url : options.index_url;
  // Nobody else writes while we hold the lock, so the index may be written from the log.
  auto lock = log::DataDirLock::try_acquire(data_dir);
  const std::string lock_path = log::DataDirLock::path(data_dir);
  const bool writer_running = !lock && lock.error().code == ErrorCode::kFailedPrecondition;
  auto need_lock = [&](const std::string& what) -> Status {
    if (lock) return ok();
    return err(writer_running ? ErrorCode::kUnavailable : ErrorCode::kFailedPrecondition,
               what + " needs " + data_dir + " to itself: " + lock.error().message);
  };
  bool rebuild = options.rebuild;
  std::string rebuilt_why;
  if (!rebuild && !index::index_exists(url)) {
    rebuild = true;
    rebuilt_why = "built the index from the log";
  }
  if (!rebuild) {
    auto idx = index::open_index(url);
    if (!idx && idx.error().code == ErrorCode::kFailedPrecondition && lock) {
      rebuild = true;  // written by another version: derived, so rebuilt
      rebuilt_why = "rebuilt the index from the log (" + idx.error().message + ")";
    } else if (!idx) {
      return std::unexpected(idx.error());
    } else {
      d.index = std::move(*idx);
    }
  }
  if (rebuild) {
    TL_TRY(need_lock(options.rebuild ? "reindex" : "building its index"));
    TL_ASSIGN_OR_RETURN(d.index, rebuild_index(url, *d.log, options.progress, d.contest));
    d.caught_up = d.log_size;
    d.note = rebuilt_why;
  } else if (lock) {
    TL_ASSIGN_OR_RETURN(const uint64_t indexed, d.index->indexed_size());
    if (indexed < d.log_size) {
      DeriverCache once;  // without the caller's: loaded now, dropped after
      DeriverCache& cache = options.deriver_cache ? *options.deriver_cache : once;
      TL_ASSIGN_OR_RETURN(auto deriver, cache.take_or_load(*d.index, d.contest, url, indexed));
      // On failure the state is dropped with `deriver`: it may be ahead of the index.
      TL_TRY(catch_up(*d.index, *deriver, *d.log, d.log_size, options.progress));
      cache.keep(d.contest, url, d.log_size, std::move(deriver));
      d.caught_up = d.log_size - indexed;
      d.note = "brought the index up to date with the log (" + std::to_string(d.caught_up) + " entries)";
    }
  }
  TL_ASSIGN_OR_RETURN(d.indexed_size, d.index->indexed_size());
  const std::string n = std::to_string(d.indexed_size), m = std::to_string(d.log_size);
  if (d.indexed_size < d.log_size) {
    d.note = "the index is " + std::to_string(d.log_size - d.indexed_size) + " entries behind the log (it reflects " +
             n + " of " + m + "; " +
             (writer_running ? "a writer holds " + lock_path + " and is adding them"
                             : "it cannot be updated: " + lock.error().message) +
             "); results reflect log size " + n;
  } else if (d.indexed_size > d.log_size) {
    d.note = "the index reflects " + n + " entries, the latest signed checkpoint " + m +
             " (a checkpoint covering the rest is not published yet; opening the data directory for writing publishes "
             "it); results reflect log size " + n;
  }
  return d;
}

}  // namespace tallylog::ingest
