#include "tallylog/base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tallylog {

Result<std::unique_ptr<MappedFile>> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return err(ErrorCode::kIo, "open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return err(ErrorCode::kIo, "stat " + path + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    // A pipe or a device (`import <(zcat ...)`): nothing to map, so read it into memory.
    std::string copy;
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd);
        return err(ErrorCode::kIo, "read " + path + ": " + std::strerror(e));
      }
      copy.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    std::unique_ptr<MappedFile> f(new MappedFile(nullptr, 0));
    f->copy_ = std::move(copy);
    return f;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* addr = nullptr;
  if (size > 0) {
    addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      return err(ErrorCode::kIo, "mmap " + path + ": " + std::strerror(e));
    }
    ::madvise(addr, size, MADV_SEQUENTIAL);
  }
  ::close(fd);  // the mapping keeps the file
  return std::unique_ptr<MappedFile>(new MappedFile(addr, size));
}

MappedFile::~MappedFile() {
  if (addr_) ::munmap(addr_, size_);
}

void MappedFile::release_before(size_t offset) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t end = std::min(offset, size_) / page * page;
  if (!addr_ || end <= released_) return;
  ::madvise(static_cast<char*>(addr_) + released_, end - released_, MADV_DONTNEED);
  released_ = end;
}

}  // namespace tallylog
