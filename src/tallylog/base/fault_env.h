// FaultEnv: a test Env that simulates power cuts (tests only; part of tallylog_testing).
//
// It wraps the real file system (an EnvWrapper over Env::posix()) and keeps, for every file and
// directory under `root`, a model of what is DURABLE under POSIX rules (see base/env.h):
//   - file data becomes durable when the file is synced (AppendFile::sync, sync_files);
//   - a create, rename or remove becomes durable when its directory is synced (sync_dir,
//     sync_dirs); a new directory when its parent is synced;
//   - write_file_atomic(kSync) and write_new_file_private are durable when they return.
// Everything else is forwarded untouched, so the code under test runs its production sync path.
// The syncs themselves are modelled, not forwarded: the test needs no real durability (no real
// power is cut), and skipping real fsyncs keeps a crash test with thousands of runs fast.
//
// Crash points: every call that changes the file system or makes it durable (create, write,
// append, truncate, rename, remove, mkdir, and every sync) is one crash point, counted from 0.
// crash_at(k) makes the k-th point and every later call of those kinds fail with kIo
// ("simulated power cut") without doing anything, as if the machine stopped there; power_cut()
// then rewrites the directory to what survives: durable names with their durable data (every
// write not made durable is dropped), optionally keeping half of each file's unsynced appended
// tail (a torn write). An append that is the crash point writes half its data first.
//
// Thread-safe (one mutex). Paths outside `root` are forwarded and not modelled.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "tallylog/base/env.h"

namespace tallylog::testing {

class FaultEnv final : public EnvWrapper {
 public:
  // What is under `root` (an existing directory) when constructed counts as durable.
  explicit FaultEnv(std::string root, Env* target = &Env::posix());

  // Crash at the point-th crash point from now on (0 = the next one); nullopt: never.
  void crash_at(std::optional<uint64_t> point);
  uint64_t points() const;  // crash points passed since construction or the last power_cut()
  bool crashed() const;

  enum class Unsynced { kDrop, kKeepTornTail };
  // Rewrites root to what a power cut now would leave, then models it as fully durable with
  // no crash pending and the point counter at 0. Call it only when the code under test has
  // stopped using this Env (objects destroyed).
  Status power_cut(Unsynced unsynced = Unsynced::kDrop);

  Status write_file_atomic(const std::string& p, std::string_view d, Durability du) override;
  Result<std::unique_ptr<AppendFile>> open_append(const std::string& p) override;
  Status truncate(const std::string& p, uint64_t s) override;
  Status create_dirs(const std::string& p) override;
  Status remove_file(const std::string& p) override;
  Status rename(const std::string& f, const std::string& t) override;
  Status rename_no_replace(const std::string& f, const std::string& t) override;
  Status sync_dir(const std::string& p) override;
  Status sync_files(const std::vector<std::string>& p) override;
  Status sync_dirs(const std::vector<std::string>& p) override;
  Status remove_dir(const std::string& p) override;
  Status write_new_file_private(const std::string& p, std::string_view d, unsigned m) override;

 private:
  class File;
  // Counts a crash point; an error once the crash point is reached.
  Status point_locked();
  bool tracked(const std::string& p) const;
  void scan_locked();
  void sync_dir_locked(const std::string& dir);
  void sync_file_locked(const std::string& path);
  Status rename_locked(const std::string& f, const std::string& t, bool replace);

  const std::string root_;
  mutable std::mutex mu_;
  uint64_t points_ = 0;
  std::optional<uint64_t> crash_at_;
  bool crashed_ = false;
  // Files are nodes (inodes): names map to nodes, nodes hold their durable data.
  int next_node_ = 0;
  std::map<int, std::string> durable_data_;
  std::map<std::string, int> names_, durable_names_;
  std::set<std::string> dirs_, durable_dirs_;
};

}  // namespace tallylog::testing
