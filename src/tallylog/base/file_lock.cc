#include "tallylog/base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tallylog {

Result<std::unique_ptr<FileLock>> FileLock::try_acquire(const std::string& path, std::string_view who) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return err(ErrorCode::kIo, "open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) return err(ErrorCode::kFailedPrecondition, path + " is locked: " + std::string(who));
    return err(ErrorCode::kIo, "flock " + path + ": " + std::strerror(e));
  }
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() { ::close(fd_); }

}  // namespace tallylog
