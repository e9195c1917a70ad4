// POSIX implementation of Env. Every error names the path and the errno text.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <atomic>

#include "tallylog/base/clock.h"
#include "tallylog/base/env.h"

namespace tallylog {
namespace {

std::unexpected<Error> io_error(std::string_view what, const std::string& path, int e = errno) {
  return err(ErrorCode::kIo, std::string(what) + " " + path + ": " + std::strerror(e));
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok();
}

class PosixAppendFile final : public AppendFile {
 public:
  PosixAppendFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixAppendFile() override { (void)close(); }
  Status append(std::string_view data) override {
    if (fd_ < 0) return err(ErrorCode::kFailedPrecondition, "append to closed file " + path_);
    return write_all(fd_, data, path_);
  }
  Status sync() override {
    if (fd_ < 0) return err(ErrorCode::kFailedPrecondition, "sync of closed file " + path_);
    if (::fdatasync(fd_) != 0) return io_error("fdatasync", path_);
    return ok();
  }
  Status close() override {
    if (fd_ < 0) return ok();
    int r = ::close(fd_);
    fd_ = -1;
    if (r != 0) return io_error("close", path_);
    return ok();
  }

 private:
  int fd_;
  std::string path_;
};

class PosixEnv final : public Env {
 public:
  static constexpr size_t kSyncfsThreshold = 16;

  // Flushes the whole file system holding `path`: data and metadata of every file on it.
  Status sync_file_system(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("open", path);
    int r = ::syncfs(fd);
    int e = errno;
    ::close(fd);
    if (r != 0) return io_error("syncfs", path, e);
    return ok();
  }

  Result<std::string> read_file(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return err(ErrorCode::kNotFound, "no such file " + path);
      return io_error("open", path);
    }
    std::string out;
    struct stat st;
    if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd);
        return io_error("read", path, e);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Result<std::string> read_range(const std::string& path, uint64_t offset, uint64_t max_bytes) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return err(ErrorCode::kNotFound, "no such file " + path);
      return io_error("open", path);
    }
    std::string out(max_bytes, '\0');
    size_t got = 0;
    while (got < max_bytes) {
      ssize_t n = ::pread(fd, out.data() + got, max_bytes - got, static_cast<off_t>(offset + got));
      if (n < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd);
        return io_error("read", path, e);
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    ::close(fd);
    out.resize(got);
    return out;
  }

  Status write_file_atomic(const std::string& path, std::string_view data, Durability d) override {
    static std::atomic<uint64_t> counter{0};
    std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("create", tmp);
    auto w = write_all(fd, data, tmp);
    if (w && d == Durability::kSync && ::fdatasync(fd) != 0) w = io_error("fdatasync", tmp);
    if (::close(fd) != 0 && w) w = io_error("close", tmp);
    if (!w) {
      ::unlink(tmp.c_str());
      return w;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      return io_error("rename to", path, e);
    }
    if (d == Durability::kSync) return sync_dir(dir_name(path));
    return ok();
  }

  Result<std::unique_ptr<AppendFile>> open_append(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("open for append", path);
    return std::make_unique<PosixAppendFile>(fd, path);
  }

  Status truncate(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return io_error("truncate", path);
    return ok();
  }

  Result<uint64_t> file_size(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return err(ErrorCode::kNotFound, "no such file " + path);
      return io_error("stat", path);
    }
    return static_cast<uint64_t>(st.st_size);
  }

  bool exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  Status create_dirs(const std::string& path) override {
    if (path.empty()) return ok();
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
      size_t next = path.find('/', pos + 1);
      cur = path.substr(0, next);
      pos = next;
      if (cur.empty() || cur == "/") continue;
      if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) return io_error("mkdir", cur);
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return err(ErrorCode::kIo, "mkdir " + path + ": exists and is not a directory");
    }
    return ok();
  }

  Status remove_file(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("unlink", path);
    return ok();
  }

  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return io_error("rename " + from + " to", to);
    return ok();
  }

  Status rename_no_replace(const std::string& from, const std::string& to) override {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return ok();
    if (errno == EEXIST) return err(ErrorCode::kAlreadyExists, to + " already exists");
    if (errno != EINVAL && errno != ENOSYS) return io_error("rename " + from + " to", to);
    // The file system cannot rename without replacing: link (which never replaces), then unlink.
    if (::link(from.c_str(), to.c_str()) != 0) {
      if (errno == EEXIST) return err(ErrorCode::kAlreadyExists, to + " already exists");
      return io_error("link " + from + " to", to);
    }
    if (::unlink(from.c_str()) != 0) return io_error("unlink", from);
    return ok();
  }

  // A long list is made durable with one syncfs() (a single journal commit on ext4) instead of
  // hundreds of fsyncs; a short one file by file, which does not flush other processes' data.
  Status sync_files(const std::vector<std::string>& paths) override {
    if (paths.size() > kSyncfsThreshold) return sync_file_system(paths.front());
    for (const auto& p : paths) {
      int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return io_error("open", p);
      int r = ::fdatasync(fd);
      int e = errno;
      ::close(fd);
      if (r != 0) return io_error("fdatasync", p, e);
    }
    return ok();
  }

  Status sync_dirs(const std::vector<std::string>& paths) override {
    if (paths.size() > kSyncfsThreshold) return sync_file_system(paths.front());
    for (const auto& p : paths) TL_TRY(sync_dir(p));
    return ok();
  }

  Status remove_dir(const std::string& path) override {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return ok();
    if (errno == ENOTEMPTY || errno == EEXIST) return err(ErrorCode::kFailedPrecondition, path + " is not empty");
    return io_error("rmdir", path);
  }

  Status sync_dir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("open directory", path);
    int r = ::fsync(fd);
    int e = errno;
    ::close(fd);
    if (r != 0) return io_error("fsync directory", path, e);
    return ok();
  }

  Result<std::vector<std::string>> list_dir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (!d) {
      if (errno == ENOENT) return err(ErrorCode::kNotFound, "no such directory " + path);
      return io_error("opendir", path);
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(d);
    return names;
  }

  Status write_new_file_private(const std::string& path, std::string_view data, unsigned mode) override {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return io_error("create", tmp);
    auto w = write_all(fd, data, tmp);
    if (w && ::fsync(fd) != 0) w = io_error("fsync", tmp);
    ::close(fd);
    if (w && ::link(tmp.c_str(), path.c_str()) != 0) {
      w = errno == EEXIST ? err(ErrorCode::kAlreadyExists, path + " already exists") : io_error("link", path);
    }
    ::unlink(tmp.c_str());
    if (!w) return w;
    return sync_dir(dir_name(path));
  }
};

class RealClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() override { return std::chrono::system_clock::now(); }
};

}  // namespace

Status Env::sync_files(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    TL_ASSIGN_OR_RETURN(auto f, open_append(p));
    TL_TRY(f->sync());
    TL_TRY(f->close());
  }
  return ok();
}

Status Env::sync_dirs(const std::vector<std::string>& paths) {
  for (const auto& p : paths) TL_TRY(sync_dir(p));
  return ok();
}

Env& Env::posix() {
  static Env* env = new PosixEnv;
  return *env;
}

Clock& Clock::real() {
  static Clock* clock = new RealClock;
  return *clock;
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string join_path(std::string_view a, std::string_view b) {
  std::string out(a);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  if (out.empty()) return std::string(b);
  out += '/';
  out += b;
  return out;
}

std::string dir_name(std::string_view path) {
  auto pos = path.rfind('/');
  if (pos == std::string_view::npos) return ".";
  if (pos == 0) return "/";
  return std::string(path.substr(0, pos));
}

}  // namespace tallylog
