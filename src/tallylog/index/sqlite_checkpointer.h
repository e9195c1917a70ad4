// Background WAL checkpoints for the SQLite index's writer connection.
//
// SQLite's own automatic checkpoint runs inside the commit that crosses the threshold: that
// commit copies the WAL into the database file and fsyncs both before the writer may go on (a
// 1,000,000-sheet import on ext4: "index commits" 2.7 s, against 1.2-1.4 s with no fsync at
// all). Here a thread of its own, on a connection of its own, runs the PASSIVE checkpoints, so
// the writer's commits only append to the WAL; the durability is unchanged (synchronous=NORMAL
// on both connections: a checkpoint still syncs the WAL before copying and the file after).
// Measured (docs/benchmarks.md, issue 16, eleventh session): `reindex`, one thread, is 8 %
// faster; a 2-core import is not, since the checkpoints then take their CPU from its threads.
//
// The WAL stays bounded: a commit that leaves more than `max_frames` frames in it waits until a
// checkpoint that started after it has finished. No commit can happen meanwhile, so that
// checkpoint copies every frame (unless a reader still needs old ones) and the next write
// transaction starts the WAL again from its beginning.
//
// Thread-safety: the hook runs on the committing thread; everything it shares with the
// checkpoint thread is under one mutex.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tallylog/base/error.h"

namespace tallylog::index::sqlite {

struct CheckpointOptions {
  // A checkpoint is started after a commit leaves this many frames (32 MB of 4 KiB pages).
  uint32_t start_frames = 8192;
  // A commit leaving this many waits for a whole checkpoint (back-pressure: 128 MB of WAL).
  uint32_t max_frames = 32768;
};

class WalCheckpointer {
 public:
  // Opens its own connection to `path` and installs the commit hook on `writer`, which must
  // outlive this object and must not be committing while it is constructed or destroyed.
  static Result<std::unique_ptr<WalCheckpointer>> start(const std::string& path, sqlite3* writer,
                                                        CheckpointOptions options = {});
  ~WalCheckpointer();  // removes the hook, stops the thread, closes its connection
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  struct Stats {
    uint64_t checkpoints = 0;  // rounds run
    std::string last_error;    // of a round that failed other than busy ("" if none)
  };
  Stats stats() const;

 private:
  WalCheckpointer(sqlite3* db, sqlite3* writer, CheckpointOptions options);
  static int on_commit(void* self, sqlite3* db, const char* name, int frames);
  void run();

  sqlite3* db_;
  sqlite3* writer_;
  const CheckpointOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  uint64_t started_ = 0;   // rounds started (the number of the current or last one)
  uint64_t finished_ = 0;  // the number of the last round that finished
  Stats stats_;
  std::thread thread_;
};

}  // namespace tallylog::index::sqlite
