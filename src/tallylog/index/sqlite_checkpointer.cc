#include "tallylog/index/sqlite_checkpointer.h"

#include "tallylog/index/sqlite_db.h"

namespace tallylog::index::sqlite {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(const std::string& path,
                                                                sqlite3* writer,
                                                                CheckpointOptions options) {
  TL_ASSIGN_OR_RETURN(sqlite3 * db, open_db(path));
  if (auto s = exec(db, "PRAGMA synchronous=NORMAL;"); !s) {
    sqlite3_close_v2(db);
    return std::unexpected(s.error());
  }
  std::unique_ptr<WalCheckpointer> c(new WalCheckpointer(db, writer, options));
  // Replaces SQLite's automatic checkpoint, which is itself a WAL hook.
  sqlite3_wal_hook(writer, &WalCheckpointer::on_commit, c.get());
  return c;
}

WalCheckpointer::WalCheckpointer(sqlite3* db, sqlite3* writer, CheckpointOptions options)
    : db_(db), writer_(writer), options_(options), thread_([this] { run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  sqlite3_close_v2(db_);
}

WalCheckpointer::Stats WalCheckpointer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

int WalCheckpointer::on_commit(void* p, sqlite3*, const char*, int frames) {
  auto* self = static_cast<WalCheckpointer*>(p);
  if (frames < 0 || static_cast<uint32_t>(frames) < self->options_.start_frames) return SQLITE_OK;
  std::unique_lock lock(self->mu_);
  self->wanted_ = true;
  self->cv_.notify_all();
  if (static_cast<uint32_t>(frames) >= self->options_.max_frames) {
    // A round in progress may have started before this commit's frames existed: wait for the
    // next one to start and finish.
    const uint64_t need = self->started_ + 1;
    self->cv_.wait(lock, [&] { return self->finished_ >= need || self->stop_; });
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return wanted_ || stop_; });
    if (stop_) return;
    wanted_ = false;
    const uint64_t round = ++started_;
    lock.unlock();
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::string error = rc == SQLITE_OK || rc == SQLITE_BUSY ? "" : sqlite3_errmsg(db_);
    lock.lock();
    finished_ = round;
    ++stats_.checkpoints;
    if (!error.empty()) stats_.last_error = std::move(error);
    cv_.notify_all();
  }
}

}  // namespace tallylog::index::sqlite
