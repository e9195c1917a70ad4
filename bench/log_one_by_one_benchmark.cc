// Disk and restart cost of one-by-one submissions (issue 10, finding 10).
//
// Appends N entries of B bytes (default 36,000 x 300, the shape of sheets arriving one at a
// time over HTTP), each with its own append() call that returns once the entry is durable,
// closes the log, then reports
//   - disk bytes per entry of <data>/log and <data>/journal (allocated blocks and apparent size),
//     and the number of files;
//   - restart time: wall time of Log::open() on the closed log (page cache warm), best and median
//     of 5 opens.
// The same N entries appended in batches of 1,024 (what `tallylog import` does) are measured in
// the same run as the alternative. Appends are fsync'd for real, in $TMPDIR.
//
// Usage: build/bench/log_one_by_one_benchmark [entries, default 36000] [entry bytes, default 300]
// (plain main(); Google Benchmark's fixed-time loop does not fit a one-shot measurement).
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "tallylog/base/testing.h"
#include "tallylog/log/log.h"

namespace tallylog {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU time of the whole process (all threads), user + system: less sensitive than wall time to
// other work on a shared machine.
double cpu_seconds() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string make_entry(uint64_t i, size_t bytes) {
  std::string e = "{\"v\":1,\"type\":\"sheet\",\"n\":" + std::to_string(i) + ",\"pad\":\"";
  while (e.size() + 2 < bytes) e += static_cast<char>('a' + (i + e.size()) % 26);
  return e + "\"}";
}

struct DiskUse {
  uint64_t allocated = 0;  // st_blocks * 512
  uint64_t apparent = 0;   // st_size
  uint64_t files = 0;
};

DiskUse disk_use(const std::string& dir) {
  DiskUse u;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return u;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    u.allocated += static_cast<uint64_t>(st.st_blocks) * 512;
    if (S_ISREG(st.st_mode)) {
      u.apparent += static_cast<uint64_t>(st.st_size);
      ++u.files;
    }
  }
  return u;
}

int run(const char* label, uint64_t n, size_t bytes, size_t batch) {
  testing::TempDir dir;
  {
    auto log = log::Log::create(dir.path(), {.origin = "bench.example/one-by-one"});
    if (!log) {
      std::fprintf(stderr, "create: %s\n", log.error().to_string().c_str());
      return 1;
    }
    auto t0 = Clock::now();
    std::vector<std::string> b;
    for (uint64_t i = 0; i < n;) {
      b.clear();
      for (; i < n && b.size() < batch; ++i) b.push_back(make_entry(i, bytes));
      auto r = (*log)->append_batch(b);
      if (!r) {
        std::fprintf(stderr, "append: %s\n", r.error().to_string().c_str());
        return 1;
      }
    }
    double s = seconds_since(t0);
    if (auto c = (*log)->close(); !c) {
      std::fprintf(stderr, "close: %s\n", c.error().to_string().c_str());
      return 1;
    }
    std::printf("%-12s appended %llu entries of %zu bytes in %.2f s (%.0f entries/s, append_batch of %zu)\n", label,
                static_cast<unsigned long long>(n), bytes, s, static_cast<double>(n) / s, batch);
  }
  DiskUse lg = disk_use(dir.file("log")), jr = disk_use(dir.file("journal"));
  uint64_t total = lg.allocated + jr.allocated;
  std::printf("%-12s disk: %.0f bytes/entry allocated (log/ %.0f, journal/ %.0f), %.0f bytes/entry apparent, %llu files\n",
              label, static_cast<double>(total) / n, static_cast<double>(lg.allocated) / n,
              static_cast<double>(jr.allocated) / n, static_cast<double>(lg.apparent + jr.apparent) / n,
              static_cast<unsigned long long>(lg.files + jr.files));
  std::vector<double> opens, cpus;
  for (int k = 0; k < 5; ++k) {
    auto t0 = Clock::now();
    double c0 = cpu_seconds();
    auto log = log::Log::open(dir.path());
    double s = seconds_since(t0);
    cpus.push_back(cpu_seconds() - c0);
    if (!log) {
      std::fprintf(stderr, "open: %s\n", log.error().to_string().c_str());
      return 1;
    }
    if ((*log)->size() != n) {
      std::fprintf(stderr, "open: size %llu, expected %llu\n", static_cast<unsigned long long>((*log)->size()),
                   static_cast<unsigned long long>(n));
      return 1;
    }
    (void)(*log)->close();
    opens.push_back(s);
  }
  std::sort(opens.begin(), opens.end());
  std::sort(cpus.begin(), cpus.end());
  std::printf("%-12s restart: Log::open %.3f s best, %.3f s median of 5 (page cache warm); CPU %.3f s median\n", label,
              opens[0], opens[2], cpus[2]);
  return 0;
}

}  // namespace
}  // namespace tallylog

int main(int argc, char** argv) {
  uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 36000;
  size_t bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 300;
  if (int r = tallylog::run("one-by-one", n, bytes, 1); r != 0) return r;
  return tallylog::run("batched", n, bytes, 1024);
}
