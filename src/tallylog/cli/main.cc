// The `tallylog` command: git-style subcommands registered by cli/*_commands.cc.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <malloc.h>
#include <memory>
#include <unistd.h>
#include <utility>
#include <vector>

#include "tallylog/cli/command.h"
#include "tallylog/cli/progress.h"

namespace tallylog::cli {
namespace {

std::vector<std::pair<int, RegisterFn>>& registry() {
  static auto* r = new std::vector<std::pair<int, RegisterFn>>;
  return *r;
}
int g_exit_code = 0;

}  // namespace

CommandRegistrar::CommandRegistrar(int order, RegisterFn fn) { registry().emplace_back(order, fn); }

void fail(const Error& e, int code) { fail(e.to_string(), code); }
void fail(const std::string& message, int code) {
  std::cerr << "tallylog: " << message << "\n";
  g_exit_code = code;
}
void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), tty_(::isatty(2) == 1), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  if (tty_ && last_draw_ != std::chrono::steady_clock::time_point{}) std::fprintf(stderr, "\r\033[K");
}

void Progress::update(uint64_t done) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done != total_) return;
  last_draw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? done / secs : 0;
  if (total_ > 0) {
    int width = 30;
    int filled = static_cast<int>(width * std::min<uint64_t>(done, total_) / total_);
    std::fprintf(stderr, "\r%s [%s%s] %llu/%llu %.0f/s\033[K", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total_), rate);
  } else {
    std::fprintf(stderr, "\r%s %llu %.0f/s\033[K", label_.c_str(), static_cast<unsigned long long>(done), rate);
  }
}

ingest::ReadOnlyData open_for_reading_or_exit(const std::string& data_dir, const std::string& contest,
                                              const std::string& index_url) {
  std::unique_ptr<Progress> progress;
  ingest::ReadOnlyOptions ro;
  ro.contest = contest;
  ro.index_url = index_url;
  ro.progress = [&](uint64_t done, uint64_t total) {
    if (!progress) progress = std::make_unique<Progress>("index catching up", total);
    progress->update(done);
  };
  auto data = value_or_exit(ingest::open_for_reading(data_dir, ro));
  progress.reset();
  if (!data.note.empty()) std::cerr << "tallylog: " << data.note << "\n";
  return data;
}

}  // namespace tallylog::cli

int main(int argc, char** argv) {
  using namespace tallylog::cli;
  // Bulk work allocates and frees batch-sized buffers (a 5,000-sheet POST body, its sheets and
  // entries) over and over, on several threads. glibc's defaults hand such buffers back to the
  // kernel (mmap'ed blocks, trimmed arena heaps) and fault the pages in again for the next batch:
  // 15-20% of a server's CPU during `import <url>` was page faults (issue 17's profile). Keep
  // freed memory for reuse instead. The peak grows a little: about +18 MB for the bundled CSV and
  // +45 MB for a 1,000,000-sheet import (docs/benchmarks.md, issues 16 and 17).
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  CLI::App app{"tallylog: collect, validate, log and tabulate election tally sheets, verifiably"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tallylog 0.1.0");
  auto& r = registry();
  std::stable_sort(r.begin(), r.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [order, fn] : r) fn(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return exit_code() != 0 ? exit_code() : e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code();
}
