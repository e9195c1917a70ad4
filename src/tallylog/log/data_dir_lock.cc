#include "tallylog/log/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tallylog/base/env.h"

namespace tallylog::log {

std::string DataDirLock::path(std::string_view data_dir) { return join_path(data_dir, "lock"); }

Result<std::unique_ptr<DataDirLock>> DataDirLock::try_acquire(std::string_view data_dir) {
  const std::string p = path(data_dir);
  int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return err(ErrorCode::kIo, "open " + p + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) {
      return err(ErrorCode::kFailedPrecondition, "the log is in use by another process (" + p + " is locked)");
    }
    return err(ErrorCode::kIo, "flock " + p + ": " + std::strerror(e));
  }
  return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock() { ::close(fd_); }

}  // namespace tallylog::log
