#include "tallylog/http/submit_batcher.h"

#include <optional>

namespace tallylog::http {

struct SubmitBatcher::Pending {
  election::Sheet sheet;
  std::optional<Result<ingest::Outcome>> result;
};

Result<ingest::Outcome> SubmitBatcher::submit(election::Sheet sheet) {
  auto mine = std::make_shared<Pending>();
  mine->sheet = std::move(sheet);
  std::unique_lock lock(mu_);
  queue_.push_back(mine);
  while (!mine->result) {
    if (busy_) {
      cv_.wait(lock);
      continue;
    }
    busy_ = true;
    std::vector<std::shared_ptr<Pending>> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    std::vector<election::Sheet> sheets;
    sheets.reserve(batch.size());
    for (auto& p : batch) sheets.push_back(std::move(p->sheet));
    Result<std::vector<ingest::Outcome>> r = [&]() -> Result<std::vector<ingest::Outcome>> {
      try {
        return fn_(std::span<election::Sheet>(sheets));
      } catch (const std::exception& e) {
        return err(ErrorCode::kInternal, std::string("submit batch threw: ") + e.what());
      }
    }();
    if (r && r->size() != batch.size())
      r = err(ErrorCode::kInternal, "submit batch returned " + std::to_string(r->size()) + " outcomes for " +
                                        std::to_string(batch.size()) + " sheets");
    lock.lock();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (r)
        batch[i]->result = (*r)[i];
      else
        batch[i]->result = std::unexpected(r.error());
    }
    ++batches_;
    busy_ = false;
    cv_.notify_all();
  }
  return *mine->result;
}

uint64_t SubmitBatcher::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

size_t SubmitBatcher::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace tallylog::http
