// Decompression bombs at full size (finding 10.3): peak memory and the outcome of decoding each
// in a child process. An 8000x8000 one-colour PNG of 76 KB took 84 s and 2 GB before the working
// resolution and the work budget; now it stays under a few hundred MB. Memory, not time, is
// asserted (timings belong to bench/qr_bombs.sh). Not run under sanitizers (ctest label
// no_sanitizer): AddressSanitizer's shadow memory and quarantine make peak RSS meaningless.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tallylog/qr/decoder.h"

namespace tallylog::qr {
namespace {

GrayImage one_colour(int w, int h, uint8_t value) {
  GrayImage img;
  img.width = w;
  img.height = h;
  img.pixels.assign(static_cast<size_t>(w) * h, value);
  return img;
}

struct ChildReport {
  long max_rss_kb = 0;
  int error_code = -1;  // -1: a payload was decoded
  uint64_t largest_image_pixels = 0;
};

// Decodes `file` with the default options in a child process; its peak RSS and the outcome.
ChildReport decode_in_child(const std::string& file) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    DecodeStats stats;
    DecodeOptions options;
    options.stats = &stats;
    auto r = decode_qr_file(file, options);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    ChildReport out{ru.ru_maxrss, r ? -1 : static_cast<int>(r.error().code),
                    stats.largest_image_pixels};
    ssize_t n = write(fds[1], &out, sizeof out);
    _exit(n == static_cast<ssize_t>(sizeof out) ? 0 : 1);
  }
  close(fds[1]);
  ChildReport out;
  ssize_t n = read(fds[0], &out, sizeof out);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(sizeof out) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    ADD_FAILURE() << "the decoding child did not report (status " << status << ")";
  return out;
}

constexpr long kMaxRssKb = 400 * 1024;  // the 8000x8000 PNG alone used to reach 2 GB

TEST(DecompressionBomb, AnEightThousandSquareOneColourPngStaysFarBelowItsFullSize) {
  auto png = encode_png(one_colour(8000, 8000, 255));
  ASSERT_TRUE(png);
  ASSERT_LT(png->size(), 200'000u) << "not a bomb: " << png->size() << " bytes";
  ChildReport r = decode_in_child(*png);
  EXPECT_LT(r.max_rss_kb, kMaxRssKb);
  EXPECT_EQ(r.error_code, static_cast<int>(ErrorCode::kResourceExhausted));
  EXPECT_LE(r.largest_image_pixels, ImageLimits{}.max_decoded_pixels);
}

TEST(DecompressionBomb, AnInterlacedPngIsNeverDeinterlacedAtFullSize) {
  auto png = encode_png_interlaced(one_colour(8000, 8000, 0));
  ASSERT_TRUE(png);
  ChildReport r = decode_in_child(*png);
  EXPECT_LT(r.max_rss_kb, kMaxRssKb);
  EXPECT_EQ(r.error_code, static_cast<int>(ErrorCode::kResourceExhausted));
  EXPECT_LE(r.largest_image_pixels, ImageLimits{}.max_decoded_pixels);
}

TEST(DecompressionBomb, ABaselineJpegIsDecodedThroughDctScaling) {
  auto jpg = encode_jpeg(one_colour(8000, 8000, 128), 50);
  ASSERT_TRUE(jpg);
  ChildReport r = decode_in_child(*jpg);
  EXPECT_LT(r.max_rss_kb, kMaxRssKb);
  // DCT scaling by 1/2 and 2x2 averaging leave 4 Mpx: every step may run within the budget.
  EXPECT_TRUE(r.error_code == static_cast<int>(ErrorCode::kNotFound) ||
              r.error_code == static_cast<int>(ErrorCode::kResourceExhausted))
      << r.error_code;
  EXPECT_LE(r.largest_image_pixels, ImageLimits{}.max_decoded_pixels);
}

TEST(DecompressionBomb, AProgressiveJpegNeedingTooMuchCoefficientMemoryIsRefused) {
  auto jpg = encode_jpeg(one_colour(8000, 8000, 128), 50, /*progressive=*/true);
  ASSERT_TRUE(jpg);
  ChildReport r = decode_in_child(*jpg);
  EXPECT_LT(r.max_rss_kb, kMaxRssKb);
  EXPECT_EQ(r.error_code, static_cast<int>(ErrorCode::kResourceExhausted));
  EXPECT_EQ(r.largest_image_pixels, 0u) << "refused before any image was built";
}

}  // namespace
}  // namespace tallylog::qr
