// The API's tally cache. Above the table level a tally is read from the per-area totals the index
// keeps (tally::StoredTally: one row per area, whatever the size of the election), so those
// routes answer as soon as the server listens, with memory proportional to the areas. The table
// level, compare, bound and the station lists use one live tally::Tabulation per source rule,
// built on first use and kept up to date with the index incrementally. Response bodies computed
// from either are cached by the route's parameters and the index size they reflect. How the cache
// is fed (the index reads below) is this file's business only; route handlers see the small
// interface here.
//
// Thread-safety: every read goes through lock(), which holds the cache's mutex for as long as the
// returned Locked lives; pointers it hands out are valid until then. note_write() is lock-free and
// may be called from any thread. Ownership: borrows the index, which must outlive the cache.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <algorithm>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/http/server.h"
#include "tallylog/index/reader.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/from_index.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/source_rule.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::http {

class TallyCache {
 public:
  struct Tally {
    // Shared with the cache, so it stays alive when a later tabulation() call of the same lock
    // evicts it (more than kMaxRules rules asked for, or a new registry): a compare holds two.
    std::shared_ptr<const tally::Tabulation> tab;
    uint64_t applied = 0;  // index entries [0, applied) are counted in tab
  };
  struct Stored {
    const tally::StoredTally* view = nullptr;  // areas down to the asked depth
    uint64_t applied = 0;                      // the index size the totals reflect
  };

  // `index` may be null only if no tabulation is ever asked for.
  // `index_commits` (optional, must outlive the cache): bumped by the writer after index commits
  // that land after the submission's answer (ApiBackend::index_commits).
  explicit TallyCache(index::IndexReader* index, const std::atomic<uint64_t>* index_commits = nullptr)
      : index_(index), index_commits_(index_commits) {}

  // Tells the cache the index may have moved (a submission made through this API). Until the
  // next call, a hot read needs no index query at all.
  void note_write() { writes_.fetch_add(1); }

  class Locked {
   public:
    // The tabulation for `rule`, brought up to date with the index.
    Result<Tally> tabulation(const tally::SourceRule& rule);
    // The index's stored totals of `rule` at every area down to `depth` (above the table level);
    // nullopt when the index keeps none for the rule (then use tabulation()).
    Result<std::optional<Stored>> stored(const tally::SourceRule& rule, int depth);
    // The election (level names, candidates), read once.
    Result<const election::Election*> election();
    // The geography of the last successful tabulation() (null before the first).
    const std::shared_ptr<const tally::Geography>& geography() const { return c_.geo_; }
    // The response cached under `key` for index size `applied`; else make()'s, kept when it is a
    // 200 JSON answer. Cached answers carry their body as a shared immutable buffer
    // (Response::shared_body): every request, and every connection writing it, uses the same bytes.
    Result<Response> cached(const std::string& key, uint64_t applied, const std::function<Result<Response>()>& make);
    // An empty string to format a body of about `expected` bytes into: for a large one, with the
    // room of a large body cached before and since released, when there is one (BodyPool).
    std::string body_buffer(size_t expected) { return c_.pool_->take(expected); }
    // Room for a comparison's per-area summaries (tally::summarize_areas), reused from answer to
    // answer under the lock.
    std::vector<tally::AreaComparison>& summary_scratch() { return c_.summary_scratch_; }

   private:
    friend class TallyCache;
    explicit Locked(TallyCache& c) : c_(c), lock_(c.mu_) {}
    TallyCache& c_;
    std::unique_lock<std::mutex> lock_;
  };
  Locked lock() { return Locked(*this); }

 private:
  struct Tab {
    std::shared_ptr<tally::Tabulation> tab;  // shared with the Tally answers that hold it
    uint64_t applied = 0;
    uint64_t generation = 0;  // writes_ when it was last brought up to date
  };

  // The generation of the index: the API's writes plus the writer's late index commits.
  uint64_t generation() const { return writes_.load() + (index_commits_ ? index_commits_->load() : 0); }

  // The storage of large cached bodies once released (evicted and written to every reader),
  // handed to the next body formatted: a table-level answer is hundreds of megabytes at national
  // scale, and writing it into fresh memory made the kernel zero every page first (15 % of the
  // server's CPU answering an audit, issue 9). Keeps at most kMaxIdle buffers, only large ones
  // (at national scale up to about 3 x 256 MB held while idle); the rest is freed as usual.
  // Shared with the bodies' deleters, which may run on any thread.
  class BodyPool {
   public:
    static constexpr size_t kMinCapacity = size_t{4} << 20;
    static constexpr size_t kMaxIdle = 3;
    // The smallest idle buffer that holds `expected` bytes (a smaller one would be outgrown:
    // copied into fresh memory anyway) and is not four times larger, else a new empty string.
    std::string take(size_t expected) {
      if (expected < kMinCapacity) return {};  // small bodies keep no large buffer from others
      std::lock_guard lock(mu_);
      size_t best = idle_.size();
      for (size_t i = 0; i < idle_.size(); ++i) {
        // Not one four times too large either: it would sit in the cache under a small body
        // while the next large one gets fresh memory.
        if (idle_[i].capacity() >= expected && idle_[i].capacity() / 4 <= expected &&
            (best == idle_.size() || idle_[i].capacity() < idle_[best].capacity()))
          best = i;
      }
      if (best == idle_.size()) return {};
      std::string s = std::move(idle_[best]);
      idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(best));
      s.clear();
      return s;
    }
    // Keeps a released body's storage when it is large, in place of the smallest one kept when
    // kMaxIdle are.
    void give(std::string&& s) {
      if (s.capacity() < kMinCapacity) return;
      std::lock_guard lock(mu_);
      if (idle_.size() < kMaxIdle) {
        idle_.push_back(std::move(s));
        return;
      }
      auto smallest = std::min_element(idle_.begin(), idle_.end(),
                                       [](const std::string& a, const std::string& b) { return a.capacity() < b.capacity(); });
      if (smallest->capacity() < s.capacity()) *smallest = std::move(s);
    }
    size_t idle() const {
      std::lock_guard lock(mu_);
      return idle_.size();
    }

   private:
    mutable std::mutex mu_;
    std::vector<std::string> idle_;
  };
  std::shared_ptr<BodyPool> pool_ = std::make_shared<BodyPool>();
  std::vector<tally::AreaComparison> summary_scratch_;

 public:
  // Buffers waiting in the pool (for tests).
  size_t idle_body_buffers() const { return pool_->idle(); }

 private:
  index::IndexReader* index_;
  const std::atomic<uint64_t>* index_commits_ = nullptr;
  // Bumped after every submission through the API. The ingestor holds the log's lock, so no other
  // process writes while we serve: an unchanged count means the index has not moved.
  std::atomic<uint64_t> writes_{1};
  std::mutex mu_;
  std::shared_ptr<const tally::Geography> geo_;
  uint64_t geo_stations_ = 0;
  std::map<std::string, Tab> tabs_;
  std::optional<election::Election> election_;
  // Stored totals: the areas above the tables per depth (rebuilt when the registry changes), and
  // the totals per rule and depth (re-read when the index moves).
  uint64_t upper_stations_ = 0;  // 1 + the registry's table count the areas below reflect
  std::map<int, std::optional<tally::UpperGeography>> upper_;
  struct StoredEntry {
    std::optional<tally::StoredTally> view;
    uint64_t applied = 0;
    uint64_t generation = 0;
  };
  std::map<std::string, StoredEntry> stored_;
  struct Body {
    uint64_t applied = 0;
    std::shared_ptr<const std::string> bytes;
  };
  std::map<std::string, Body> bodies_;
  uint64_t body_bytes_ = 0;  // sum of bodies_' sizes

 public:
  // Bounds: past these the cache starts over (a client choosing many distinct source rules or
  // drill-down parents cannot grow it without limit).
  static constexpr size_t kMaxRules = 64;
  static constexpr size_t kMaxBodies = 512;
  static constexpr uint64_t kMaxBodyBytes = uint64_t{128} << 20;
};

}  // namespace tallylog::http
