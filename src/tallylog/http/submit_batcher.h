// Group commit for HTTP submissions: concurrent submit() calls from the server's worker threads
// are gathered into one batch for a batch function (Ingestor::submit_batch: one validation pass,
// one durable log append, one index transaction), so N concurrent submitters pay for one fsync
// instead of N. Each call returns only when its own sheet's batch has returned, with its own
// Outcome (or the batch's error: then nothing of that batch was acknowledged).
//
// Leader/follower: the first caller to find no batch in flight runs one with everything queued
// (at most `max_batch`); the others wait and may lead the next. Thread-safe; the batch function
// is never called concurrently with itself.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/ingest/submit.h"

namespace tallylog::http {

class SubmitBatcher {
 public:
  using BatchFn = std::function<Result<std::vector<ingest::Outcome>>(std::span<election::Sheet>)>;
  explicit SubmitBatcher(BatchFn fn, size_t max_batch = 256) : fn_(std::move(fn)), max_batch_(max_batch) {}

  Result<ingest::Outcome> submit(election::Sheet sheet);
  uint64_t batches() const;
  // Sheets queued and not yet handed to the batch function.
  size_t pending() const;

 private:
  struct Pending;
  BatchFn fn_;
  size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool busy_ = false;
  uint64_t batches_ = 0;
};

}  // namespace tallylog::http
