#include "tallylog/base/testing.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <unistd.h>

namespace tallylog::testing {

namespace {
std::string default_tmp() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}
}  // namespace

TempDir::TempDir() : TempDir(default_tmp()) {}

TempDir::TempDir(const std::string& parent) {
  std::string tmpl = parent + "/tallylog-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::optional<std::string> shared_data_dir() {
  const char* env = std::getenv("TALLYLOG_SHARED_DATA");
  std::string dir = env && *env ? env : std::string(TALLYLOG_SHARED_DATA_DEFAULT);
  std::error_code ec;
  if (std::filesystem::is_directory(dir + "/ve2024", ec) || std::filesystem::is_directory(dir + "/testvectors", ec)) {
    return dir;
  }
  return std::nullopt;
}

std::string memory_tmp_dir() {
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return default_tmp();
}

std::string source_dir() {
  const char* env = std::getenv("TALLYLOG_SOURCE_DIR");
  return env && *env ? env : std::string(TALLYLOG_SOURCE_DIR_DEFAULT);
}

}  // namespace tallylog::testing
