// Env is the only way tallylog touches the file system (leveldb's Env). Production code uses
// Env::posix(); tests inject MemEnv (in-memory) or a fault-injecting wrapper to simulate a crash
// between write and rename, a failed fsync or a full disk.
//
// Durability contract: write_file_atomic(path, data, Durability::kSync) returns only after the
// data and the directory entry are on stable storage; a reader sees either the old or the new
// content, never a mix. AppendFile::sync() makes everything appended so far durable.
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
  virtual Status sync_dir(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) = 0;  // names, unsorted
  // Writes `data` to `path` with the given permission bits (e.g. 0600 for private keys),
  // atomically and durably; fails with kAlreadyExists when the file exists.
  virtual Status write_new_file_private(const std::string& path, std::string_view data, unsigned mode) = 0;
};

// Joins path components with exactly one '/'.
std::string join_path(std::string_view a, std::string_view b);
// Directory part of a path ("a/b/c" -> "a/b", "c" -> ".").
std::string dir_name(std::string_view path);

}  // namespace tallylog
