// Helpers for tests only (linked into every *_test binary as tallylog_testing).
#pragma once

#include <optional>
#include <string>

namespace tallylog::testing {

// A fresh directory under $TMPDIR (or under `parent`), removed recursively when the object is
// destroyed.
class TempDir {
 public:
  TempDir();
  explicit TempDir(const std::string& parent);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The shared real-data folder (../shared/data), or nullopt when it is absent. Tests that need it
// start with:   auto data = shared_data_dir(); if (!data) GTEST_SKIP() << kNoSharedData;
std::optional<std::string> shared_data_dir();
inline constexpr const char* kNoSharedData =
    "shared real data (../shared/data) not present; set TALLYLOG_SHARED_DATA to run this test";

// A directory in memory (/dev/shm) when the machine has one, else $TMPDIR: for tests that write
// many small files and never need them on disk (e.g. under testing::FaultEnv, which models
// durability itself).
std::string memory_tmp_dir();

// The project source root (for fixtures under tests/ and elections/).
std::string source_dir();

}  // namespace tallylog::testing
