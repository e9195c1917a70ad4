// An exclusive advisory lock on a file (flock), held while the object lives: one process at a
// time in a directory (a witness's state, a mirror). The lock dies with the process, so a crash
// never leaves a directory locked.
//
// Thread-safety: the object is a plain owner; lock it once per process and directory.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog {

class FileLock {
 public:
  // Creates `path` if needed and locks it without waiting. kFailedPrecondition "<path> is locked:
  // <who>" when another holder has it (`who` says what the directory is, for the message).
  static Result<std::unique_ptr<FileLock>> try_acquire(const std::string& path, std::string_view who);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace tallylog
