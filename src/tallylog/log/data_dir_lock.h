// The writer lock of a data directory: an exclusive flock on <data>/lock. Log::open holds it for
// as long as the Log lives, so one process appends at a time; a reader (tally, reindex, serve on a
// copy) takes it to know that no writer is running while it brings the index up to date.
//
// Ownership: the lock is held while the object lives (closing the file releases it; a crash
// releases it too). Thread-safety: a value; flock locks belong to the open file, so a second
// try in the same process fails like one from another process.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog::log {

class DataDirLock {
 public:
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  // Takes the lock without waiting. kFailedPrecondition when another holder has it (a writer is
  // running); kIo when the lock file cannot be opened (e.g. a read-only copy).
  static Result<std::unique_ptr<DataDirLock>> try_acquire(std::string_view data_dir);

  static std::string path(std::string_view data_dir);  // <data>/lock

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace tallylog::log
