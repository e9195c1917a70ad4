#include "tallylog/qr/image.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>

#include "tallylog/qr/preprocess.h"

namespace tallylog::qr {
namespace {

GrayImage gradient(int w, int h) {
  GrayImage img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      img.pixels[static_cast<size_t>(y) * w + x] = static_cast<uint8_t>((x * 7 + y * 3) & 0xff);
  return img;
}

// A smooth left-to-right ramp from black to white: averaging keeps it (gradient() does not).
GrayImage ramp(int w, int h) {
  GrayImage img;
  img.width = w;
  img.height = h;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.pixels.push_back(static_cast<uint8_t>(x * 255 / (w - 1)));
  return img;
}

uint32_t crc32(std::string_view data) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : data) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

void put_be32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

TEST(Image, PngRoundTripsExactly) {
  GrayImage img = gradient(37, 23);
  auto png = encode_png(img);
  ASSERT_TRUE(png) << png.error().to_string();
  EXPECT_EQ(sniff_image_format(*png), ImageFormat::kPng);
  auto back = decode_image(*png);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->width, 37);
  EXPECT_EQ(back->height, 23);
  EXPECT_EQ(back->pixels, img.pixels);
}

TEST(Image, JpegRoundTripsWithinCompressionError) {
  GrayImage img = scale(gradient(64, 48), 1.0);
  auto jpg = encode_jpeg(img, 95);
  ASSERT_TRUE(jpg);
  EXPECT_EQ(sniff_image_format(*jpg), ImageFormat::kJpeg);
  auto back = decode_image(*jpg);
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->width, 64);
  ASSERT_EQ(back->height, 48);
  int worst = 0;
  for (size_t i = 0; i < img.pixels.size(); ++i)
    worst = std::max(worst, std::abs(img.pixels[i] - back->pixels[i]));
  EXPECT_LT(worst, 60);
}

TEST(Image, JpegCanBeDecodedAtAReducedSize) {
  auto jpg = encode_jpeg(gradient(64, 48), 90);
  ASSERT_TRUE(jpg);
  auto half = decode_image(*jpg, {}, 32 * 24);
  ASSERT_TRUE(half) << half.error().to_string();
  EXPECT_EQ(half->width, 32);
  EXPECT_EQ(half->height, 24);
  auto png = encode_png(gradient(64, 48));
  EXPECT_EQ(decode_image(*png, {}, 32 * 24)->width, 32);  // PNG rows are area-averaged
}

TEST(Image, TextFileIsNotAnImage) {
  auto r = decode_image("station,votes\n010113042.01,12\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("not a JPEG or PNG"), std::string::npos);
}

TEST(Image, EmptyFileIsNotAnImage) {
  auto r = decode_image("");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Image, TruncatedJpegIsCorrupt) {
  auto jpg = encode_jpeg(gradient(200, 200), 80);
  ASSERT_TRUE(jpg);
  for (size_t keep : {jpg->size() / 2, jpg->size() - 10, size_t{40}, size_t{3}}) {
    auto r = decode_image(std::string_view(*jpg).substr(0, keep));
    ASSERT_FALSE(r) << "kept " << keep << " bytes";
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt) << r.error().to_string();
  }
}

TEST(Image, TruncatedPngIsCorrupt) {
  auto png = encode_png(gradient(200, 200));
  ASSERT_TRUE(png);
  for (size_t keep : {png->size() / 2, png->size() - 13, size_t{30}, size_t{8}}) {
    auto r = decode_image(std::string_view(*png).substr(0, keep));
    ASSERT_FALSE(r) << "kept " << keep << " bytes";
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt) << r.error().to_string();
  }
}

TEST(Image, PngClaimingHugeDimensionsIsRefusedBeforeAllocating) {
  auto png = encode_png(gradient(16, 16));
  ASSERT_TRUE(png);
  // IHDR data starts at byte 16: width, height; its CRC covers "IHDR" + 13 data bytes.
  std::string bomb = *png;
  put_be32(bomb, 16, 60000);
  put_be32(bomb, 20, 60000);
  put_be32(bomb, 29, crc32(std::string_view(bomb).substr(12, 17)));
  auto r = decode_image(bomb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().to_string();
  EXPECT_NE(r.error().message.find("60000x60000"), std::string::npos) << r.error().message;
}

TEST(Image, JpegClaimingHugeDimensionsIsRefusedBeforeAllocating) {
  auto jpg = encode_jpeg(gradient(16, 16), 80);
  ASSERT_TRUE(jpg);
  std::string bomb = *jpg;
  size_t sof = bomb.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  // SOF0: marker, length(2), precision(1), height(2), width(2)
  bomb[sof + 5] = static_cast<char>(0xfd), bomb[sof + 6] = static_cast<char>(0xe8);  // 65000
  bomb[sof + 7] = static_cast<char>(0xfd), bomb[sof + 8] = static_cast<char>(0xe8);
  auto r = decode_image(bomb);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().to_string();
}

TEST(Image, PixelLimitIsConfigurable) {
  auto png = encode_png(gradient(100, 100));
  ASSERT_TRUE(png);
  ImageLimits tight;
  tight.max_pixels = 9999;
  EXPECT_FALSE(decode_image(*png, tight));
  tight.max_pixels = 10000;
  EXPECT_TRUE(decode_image(*png, tight));
}

// Finding 10.3: a 1000000x1 image was refused with "exceeds the limit of 64000000 pixels",
// a limit it does not exceed; the limit it breaks is the side length.
TEST(Image, AnImageTooWideNamesTheSideLimitNotThePixelLimit) {
  auto png = encode_png(gradient(16, 1));
  ASSERT_TRUE(png);
  std::string wide = *png;
  put_be32(wide, 16, 1000000);
  put_be32(wide, 29, crc32(std::string_view(wide).substr(12, 17)));
  auto r = decode_image(wide);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message.find("1000000x1"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("65535 pixels per side"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("64000000"), std::string::npos) << r.error().message;
}

TEST(Image, TooManyPixelsNamesThePixelLimit) {
  auto png = encode_png(gradient(16, 16));
  ASSERT_TRUE(png);
  ImageLimits limits;
  limits.max_pixels = 255;
  auto r = decode_image(*png, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message.find("256 pixels exceeds the limit of 255 pixels"), std::string::npos)
      << r.error().message;
}

TEST(Image, TheHeaderIsReadWithoutDecoding) {
  auto png = encode_png(gradient(37, 23));
  auto jpg = encode_jpeg(gradient(64, 48), 80);
  ASSERT_TRUE(png && jpg);
  auto p = read_image_header(*png);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->format, ImageFormat::kPng);
  EXPECT_EQ(p->width, 37u);
  EXPECT_EQ(p->height, 23u);
  auto j = read_image_header(*jpg);
  ASSERT_TRUE(j) << j.error().to_string();
  EXPECT_EQ(j->format, ImageFormat::kJpeg);
  EXPECT_EQ(j->width, 64u);
  EXPECT_EQ(j->height, 48u);
}

// Mean of the k x k block of `img` whose top-left corner is (x0, y0), clipped to the image.
int block_mean(const GrayImage& img, int x0, int y0, int k) {
  int sum = 0, n = 0;
  for (int y = y0; y < std::min(img.height, y0 + k); ++y)
    for (int x = x0; x < std::min(img.width, x0 + k); ++x) sum += img.at(x, y), ++n;
  return (sum + n / 2) / n;
}

// Finding 10.3 (decompression bombs): an image above the working resolution is area-averaged
// row by row as it decodes, never returned (or held) at full size.
TEST(Image, APngAboveTheWorkingResolutionIsAreaAveragedWhileDecoding) {
  GrayImage img = gradient(300, 200);
  auto png = encode_png(img);
  ASSERT_TRUE(png);
  ImageLimits limits;
  limits.max_decoded_pixels = 7000;  // 3x3 blocks: 100 x 67
  auto small = decode_image(*png, limits);
  ASSERT_TRUE(small) << small.error().to_string();
  EXPECT_EQ(small->width, 100);
  EXPECT_EQ(small->height, 67);
  for (int y = 0; y < small->height; ++y)
    for (int x = 0; x < small->width; ++x)
      ASSERT_EQ(small->at(x, y), block_mean(img, 3 * x, 3 * y, 3)) << x << "," << y;
  // The same through the per-call cap.
  auto capped = decode_image(*png, {}, 7000);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->pixels, small->pixels);
}

TEST(Image, AJpegAboveTheWorkingResolutionFitsItAndKeepsItsAspectRatio) {
  GrayImage img = ramp(640, 480);
  auto jpg = encode_jpeg(img, 90);
  ASSERT_TRUE(jpg);
  for (uint64_t cap : {100000u, 20000u, 8000u, 1000u}) {
    SCOPED_TRACE(cap);
    ImageLimits limits;
    limits.max_decoded_pixels = cap;
    auto r = decode_image(*jpg, limits);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_LE(static_cast<uint64_t>(r->width) * r->height, cap);
    EXPECT_GE(static_cast<uint64_t>(r->width) * r->height, cap / 4);  // not needlessly small
    EXPECT_NEAR(static_cast<double>(r->width) / r->height, 640.0 / 480.0, 0.05);
    // Still the same picture: the ramp at a quarter and three quarters of the width.
    EXPECT_NEAR(r->at(r->width / 4, r->height / 2), 64, 6);
    EXPECT_NEAR(r->at(r->width * 3 / 4, r->height / 2), 191, 6);
  }
}

TEST(Image, InterlacedPngsDecodeWholeAndAboveTheWorkingResolution) {
  GrayImage img = gradient(64, 48);
  auto png = encode_png_interlaced(img);
  ASSERT_TRUE(png) << png.error().to_string();
  auto whole = decode_image(*png);
  ASSERT_TRUE(whole) << whole.error().to_string();
  EXPECT_EQ(whole->pixels, img.pixels);
  // Above the working resolution only Adam7's last pass (the odd rows) is kept, spread over
  // the output height.
  GrayImage smooth = ramp(300, 200);
  auto big = encode_png_interlaced(smooth);
  ASSERT_TRUE(big);
  ImageLimits limits;
  limits.max_decoded_pixels = 7000;
  auto small = decode_image(*big, limits);
  ASSERT_TRUE(small) << small.error().to_string();
  EXPECT_EQ(small->width, 100);
  EXPECT_EQ(small->height, 67);
  for (int y = 0; y < small->height; ++y)
    for (int x = 0; x < small->width; ++x)
      ASSERT_NEAR(small->at(x, y), block_mean(smooth, 3 * x, 3 * y, 3), 1) << x << "," << y;
}

TEST(Image, AProgressiveJpegNeedingMoreMemoryThanAllowedIsRefused) {
  auto jpg = encode_jpeg(gradient(1000, 1000), 80, /*progressive=*/true);
  ASSERT_TRUE(jpg);
  auto fine = decode_image(*jpg);
  ASSERT_TRUE(fine) << fine.error().to_string();
  EXPECT_EQ(fine->width, 1000);
  ImageLimits limits;
  limits.max_jpeg_memory = 1 << 20;  // its coefficients alone take ~2 MB
  auto r = decode_image(*jpg, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().to_string();
  EXPECT_NE(r.error().message.find("1 MiB"), std::string::npos) << r.error().message;
}

TEST(Image, AProgressiveJpegWithTooManyScansIsRefused) {
  auto jpg = encode_jpeg(gradient(64, 64), 80, /*progressive=*/true);
  ASSERT_TRUE(jpg);
  ImageLimits limits;
  limits.max_jpeg_scans = 2;
  auto r = decode_image(*jpg, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().to_string();
  EXPECT_NE(r.error().message.find("more than 2 progressive scans"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(decode_image(*jpg));  // the default allows it
}

TEST(Image, RandomlyDamagedFilesNeverCrashAndNeverExceedTheirHeader) {
  auto png = encode_png(gradient(60, 40));
  auto jpg = encode_jpeg(gradient(60, 40), 70);
  auto interlaced = encode_png_interlaced(gradient(60, 40));
  auto progressive = encode_jpeg(gradient(60, 40), 70, true);
  ASSERT_TRUE(png && jpg && interlaced && progressive);
  const std::string* originals[] = {&*png, &*jpg, &*interlaced, &*progressive};
  std::mt19937_64 rng(42);
  int decoded = 0;
  for (int round = 0; round < 1200; ++round) {
    std::string data = *originals[round % 4];
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) data[rng() % data.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) data.resize(rng() % data.size());
    ImageLimits limits;
    limits.max_decoded_pixels = round % 3 == 0 ? 500 : limits.max_decoded_pixels;
    auto r = decode_image(data, limits);
    if (r) {
      ++decoded;
      EXPECT_EQ(r->pixels.size(), static_cast<size_t>(r->width) * r->height);
      EXPECT_LE(r->pixels.size(), limits.max_decoded_pixels);
      auto header = read_image_header(data);  // what the (damaged) file claims
      ASSERT_TRUE(header) << header.error().to_string();
      EXPECT_LE(static_cast<uint64_t>(r->width), header->width);
      EXPECT_LE(static_cast<uint64_t>(r->height), header->height);
    } else {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  SUCCEED() << decoded << " damaged files still decoded";
}

TEST(Preprocess, QuarterTurnsComposeToIdentity) {
  GrayImage img = gradient(13, 7);
  GrayImage r90 = rotate(img, 90);
  EXPECT_EQ(r90.width, 7);
  EXPECT_EQ(r90.height, 13);
  EXPECT_EQ(rotate(rotate(r90, 180), 90).pixels, img.pixels);
  EXPECT_EQ(rotate(rotate(img, 270), 90).pixels, img.pixels);
}

TEST(Preprocess, CropIsClampedToTheImage) {
  GrayImage img = gradient(10, 10);
  GrayImage c = crop(img, 5, 5, 100, 100);
  EXPECT_EQ(c.width, 5);
  EXPECT_EQ(c.height, 5);
  EXPECT_EQ(c.at(0, 0), img.at(5, 5));
  GrayImage none = crop(img, 20, 20, 5, 5);
  EXPECT_EQ(none.width, 1);
}

TEST(Preprocess, OtsuSeparatesTwoLevels) {
  GrayImage img = gradient(4, 1);
  img.pixels = {30, 40, 200, 210};
  EXPECT_EQ(binarize_otsu(img).pixels, (std::vector<uint8_t>{0, 0, 255, 255}));
}

}  // namespace
}  // namespace tallylog::qr
