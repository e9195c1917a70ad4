// Env is the only way tallylog touches the file system (leveldb's Env). Production code uses
// Env::posix(); tests wrap it (EnvWrapper below) in a fault-injecting Env that overrides only
// what it needs, e.g. testing::FaultEnv (base/fault_env.h), which drops every write not made
// durable when it simulates a power cut. No caller special-cases Env::posix(): the sync calls
// below are the only way to make data durable, so a wrapper sees the production sync path.
//
// Durability contract (POSIX semantics, which the fault-injecting Env models):
//   - data written to a file is durable once the file is synced (AppendFile::sync, sync_files);
//   - a create, rename or remove is durable once its directory is synced (sync_dir, sync_dirs);
//     a new directory is durable once its parent is synced;
//   - write_file_atomic(path, data, kSync) and write_new_file_private() return only after the
//     data and the directory entry are durable; a reader sees the old or the new content,
//     never a mix. With kNoSync neither is promised.
//
// Thread-safety: Env implementations are thread-safe. An AppendFile is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog {

enum class Durability { kNoSync, kSync };

class AppendFile {
 public:
  virtual ~AppendFile() = default;
  virtual Status append(std::string_view data) = 0;
  virtual Status sync() = 0;   // fdatasync
  virtual Status close() = 0;  // idempotent
};

class Env {
 public:
  virtual ~Env() = default;

  static Env& posix();  // process-wide, never destroyed

  virtual Result<std::string> read_file(const std::string& path) = 0;
  // Reads at most `max_bytes` starting at `offset`; shorter at end of file.
  virtual Result<std::string> read_range(const std::string& path, uint64_t offset, uint64_t max_bytes) = 0;
  virtual Status write_file_atomic(const std::string& path, std::string_view data, Durability d) = 0;
  // Opens for append, creating the file if needed.
  virtual Result<std::unique_ptr<AppendFile>> open_append(const std::string& path) = 0;
  virtual Status truncate(const std::string& path, uint64_t size) = 0;
  virtual Result<uint64_t> file_size(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
  virtual Status create_dirs(const std::string& path) = 0;  // mkdir -p
  virtual Status remove_file(const std::string& path) = 0;   // ok if absent
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  // Like rename() but fails with kAlreadyExists, leaving both files alone, when `to` exists
  // (write-once publication).
  virtual Status rename_no_replace(const std::string& from, const std::string& to) = 0;
  virtual Status sync_dir(const std::string& path) = 0;
  // Makes the data of every listed (existing) file durable. The default syncs them one by one;
  // an implementation may do more (e.g. sync the whole file system once for a long list).
  virtual Status sync_files(const std::vector<std::string>& paths);
  // Makes the entries of every listed directory durable (default: sync_dir on each).
  virtual Status sync_dirs(const std::vector<std::string>& paths);
  // Removes an empty directory; ok if absent; kFailedPrecondition if it is not empty.
  virtual Status remove_dir(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) = 0;  // names, unsorted
  // Writes `data` to `path` with the given permission bits (e.g. 0600 for private keys),
  // atomically and durably; fails with kAlreadyExists when the file exists.
  virtual Status write_new_file_private(const std::string& path, std::string_view data, unsigned mode) = 0;
};

// An Env that forwards every call to another (leveldb's EnvWrapper): subclass it and override
// only the calls to intercept. The target must outlive the wrapper.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::string> read_file(const std::string& p) override { return target_->read_file(p); }
  Result<std::string> read_range(const std::string& p, uint64_t o, uint64_t m) override {
    return target_->read_range(p, o, m);
  }
  Status write_file_atomic(const std::string& p, std::string_view d, Durability du) override {
    return target_->write_file_atomic(p, d, du);
  }
  Result<std::unique_ptr<AppendFile>> open_append(const std::string& p) override { return target_->open_append(p); }
  Status truncate(const std::string& p, uint64_t s) override { return target_->truncate(p, s); }
  Result<uint64_t> file_size(const std::string& p) override { return target_->file_size(p); }
  bool exists(const std::string& p) override { return target_->exists(p); }
  Status create_dirs(const std::string& p) override { return target_->create_dirs(p); }
  Status remove_file(const std::string& p) override { return target_->remove_file(p); }
  Status rename(const std::string& f, const std::string& t) override { return target_->rename(f, t); }
  Status rename_no_replace(const std::string& f, const std::string& t) override {
    return target_->rename_no_replace(f, t);
  }
  Status sync_dir(const std::string& p) override { return target_->sync_dir(p); }
  Status sync_files(const std::vector<std::string>& p) override { return target_->sync_files(p); }
  Status sync_dirs(const std::vector<std::string>& p) override { return target_->sync_dirs(p); }
  Status remove_dir(const std::string& p) override { return target_->remove_dir(p); }
  Result<std::vector<std::string>> list_dir(const std::string& p) override { return target_->list_dir(p); }
  Status write_new_file_private(const std::string& p, std::string_view d, unsigned m) override {
    return target_->write_new_file_private(p, d, m);
  }

 private:
  Env* target_;
};

// Joins path components with exactly one '/'.
std::string join_path(std::string_view a, std::string_view b);
// Directory part of a path ("a/b/c" -> "a/b", "c" -> ".").
std::string dir_name(std::string_view path);

}  // namespace tallylog
