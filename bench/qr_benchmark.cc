// QR decoding on the real actas (../shared/data/ve2024/actas; personal data, read in place).
//
//   build/bench/qr_benchmark                    Google Benchmark: full decode (file bytes ->
//   payload)
//                                               of each real acta, single-threaded
//   build/bench/qr_benchmark --table DIR [N]    one TSV row per image of DIR/expected_qr.csv:
//     file, ours (ok|wrong|fail), our method, our median ms over N runs (default 15),
//     plain zxing (one ReadBarcode, default hints), zbar library alone (whole image)
//   build/bench/qr_benchmark --degraded DIR [N] one TSV row per image of DIR/expected.tsv (made by
//     bench/qr_degraded.py): file, then verdict (ok|wrong|fail) and median ms over N runs (default
//     3) for: ours (decode_qr_file), the zxing-cpp library (ReadBarcodes, default DecodeHints: any
//     result whose bytes are the payload counts), the zbar library (one scan of the whole image).
//     Every time is in-process from the file's bytes in memory: image decode + QR decode. Each
//     decoder runs in a forked child per image: one that aborts is reported as "crash".
// bench/qr_benchmark.sh adds zbarimg's results and timings and prints the comparison table;
// bench/qr_degraded.sh the command-line tools and the read-rate table per degradation.
#include <ZXing/ReadBarcode.h>
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "tallylog/base/env.h"
#include "tallylog/base/testing.h"
#include "tallylog/qr/decoder.h"
#include "tallylog/qr/synthetic_acta.h"

namespace {

using namespace tallylog;

const char* verdict(const Result<qr::DecodedQr>& r, const std::string& expected) {
  if (!r) return "fail";
  return r->payload == expected ? "ok" : "wrong";
}

int table(const std::string& dir, int runs) {
  auto expected = qr::testing::read_expected_qr(dir);
  if (expected.empty()) {
    std::fprintf(stderr, "no rows in %s/expected_qr.csv\n", dir.c_str());
    return 1;
  }
  for (const auto& [file, payload] : expected) {
    const std::string path = dir + "/" + file;
    std::vector<double> ms;
    Result<qr::DecodedQr> ours = std::unexpected(Error{});
    for (int i = 0; i < runs; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      auto bytes = Env::posix().read_file(path);  // the file read counts, as for zbarimg
      if (!bytes) {
        std::fprintf(stderr, "%s\n", bytes.error().to_string().c_str());
        return 1;
      }
      ours = qr::decode_qr_file(*bytes);
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    auto bytes = Env::posix().read_file(path).value();
    auto image = qr::decode_image(bytes).value();
    auto plain = qr::decode_qr(image, qr::DecodeOptions{.limits = {}, .fallbacks = false});
    auto zbar = qr::decode_qr_zbar_only(image);
    std::printf("%s\t%s\t%s\t%.2f\t%s\t%s\n", file.c_str(), verdict(ours, payload),
                ours ? ours->method.c_str() : "-", ms[ms.size() / 2], verdict(plain, payload),
                verdict(zbar, payload));
  }
  return 0;
}

// The zxing-cpp library as a user would call it: ReadBarcodes with default hints (every format,
// try harder, rotations); read when any result's bytes are the expected payload.
const char* plain_zxing_verdict(const qr::GrayImage& image, const std::string& expected) {
  ZXing::ImageView view(image.pixels.data(), image.width, image.height, ZXing::ImageFormat::Lum);
  bool any = false;
  ZXing::Results results;
  try {
    results = ZXing::ReadBarcodes(view);
  } catch (const std::exception&) {
    return "fail";
  }
  for (const auto& r : results) {
    if (!r.isValid()) continue;
    any = true;
    const auto& bytes = r.bytes();
    if (std::string(bytes.begin(), bytes.end()) == expected) return "ok";
  }
  return any ? "wrong" : "fail";
}

template <typename F>
std::pair<std::string, double> timed(int runs, F&& f) {
  std::vector<double> ms;
  const char* v = "fail";
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    v = f();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {v, ms[ms.size() / 2]};
}

// timed() in a child process: a decoder that aborts (Debian's zxing-cpp 1.4 asserts on some
// images) yields "crash" instead of ending the benchmark.
template <typename F>
std::pair<std::string, double> isolated(int runs, F&& f) {
  int fds[2];
  if (pipe(fds) != 0) return {"crash", 0};
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto [v, ms] = timed(runs, f);
    std::string line = v + " " + std::to_string(ms);
    (void)!write(fds[1], line.data(), line.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {"crash", 0};
  auto space = out.find(' ');
  if (space == std::string::npos) return {"crash", 0};
  return {out.substr(0, space), std::atof(out.c_str() + space + 1)};
}

int degraded(const std::string& dir, int runs) {
  std::ifstream in(dir + "/expected.tsv");
  if (!in) {
    std::fprintf(stderr, "no %s/expected.tsv (make it with bench/qr_degraded.py)\n", dir.c_str());
    return 1;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> col;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, '\t');) col.push_back(c);
    if (col.size() != 5) {
      std::fprintf(stderr, "bad row in expected.tsv: %s\n", line.c_str());
      return 1;
    }
    const std::string& file = col[0];
    const std::string& payload = col[4];
    auto bytes = Env::posix().read_file(dir + "/" + file);
    if (!bytes) {
      std::fprintf(stderr, "%s\n", bytes.error().to_string().c_str());
      return 1;
    }
    auto ours = isolated(runs, [&] { return verdict(qr::decode_qr_file(*bytes), payload); });
    auto zxing = isolated(runs, [&] {
      auto image = qr::decode_image(*bytes);
      return image ? plain_zxing_verdict(*image, payload) : "fail";
    });
    auto zbar = isolated(runs, [&] {
      auto image = qr::decode_image(*bytes);
      return image ? verdict(qr::decode_qr_zbar_only(*image), payload) : "fail";
    });
    std::printf("%s\t%s\t%.3f\t%s\t%.3f\t%s\t%.3f\n", file.c_str(), ours.first.c_str(),
                ours.second, zxing.first.c_str(), zxing.second, zbar.first.c_str(), zbar.second);
    std::fflush(stdout);
  }
  return 0;
}

void BM_DecodeRealActa(benchmark::State& state, std::string path) {
  auto bytes = Env::posix().read_file(path);
  if (!bytes) {
    state.SkipWithError(bytes.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    auto r = qr::decode_qr_file(*bytes);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetLabel(std::to_string(bytes->size() / 1024) + " KiB JPEG");
}

// Throughput of the scan pool's work (decode only) on both cores: images per second.
void BM_DecodeRealActasParallel(benchmark::State& state, std::vector<std::string> files) {
  std::vector<std::string> bytes;
  for (const auto& f : files) bytes.push_back(Env::posix().read_file(f).value_or(""));
  size_t i = static_cast<size_t>(state.thread_index());
  for (auto _ : state) {
    auto r = qr::decode_qr_file(bytes[i++ % bytes.size()]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--degraded") == 0) {
    return degraded(argv[2], argc >= 4 ? std::max(1, std::atoi(argv[3])) : 3);
  }
  if (argc >= 3 && std::strcmp(argv[1], "--table") == 0) {
    return table(argv[2], argc >= 4 ? std::max(1, std::atoi(argv[3])) : 15);
  }
  if (auto data = testing::shared_data_dir()) {
    const std::string dir = *data + "/ve2024/actas";
    std::vector<std::string> files;
    for (const auto& [file, payload] : qr::testing::read_expected_qr(dir)) {
      benchmark::RegisterBenchmark(("DecodeRealActa/" + file).c_str(), BM_DecodeRealActa,
                                   dir + "/" + file)
          ->Unit(benchmark::kMillisecond);
      files.push_back(dir + "/" + file);
    }
    benchmark::RegisterBenchmark("DecodeRealActasParallel", BM_DecodeRealActasParallel, files)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Threads(1)
        ->Threads(2);
  } else {
    std::fprintf(stderr, "%s\n", testing::kNoSharedData);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
