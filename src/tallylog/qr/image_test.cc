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
  auto half = decode_image(*jpg, {}, 2);
  ASSERT_TRUE(half) << half.error().to_string();
  EXPECT_EQ(half->width, 32);
  EXPECT_EQ(half->height, 24);
  auto png = encode_png(gradient(64, 48));
  EXPECT_EQ(decode_image(*png, {}, 2)->width, 64);  // PNG ignores the reduction
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

TEST(Image, RandomlyDamagedFilesNeverCrashAndNeverExceedTheirHeader) {
  auto png = encode_png(gradient(60, 40));
  auto jpg = encode_jpeg(gradient(60, 40), 70);
  ASSERT_TRUE(png && jpg);
  std::mt19937_64 rng(42);
  int decoded = 0;
  for (int round = 0; round < 600; ++round) {
    std::string data = round % 2 ? *png : *jpg;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) data[rng() % data.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) data.resize(rng() % data.size());
    auto r = decode_image(data);
    if (r) {
      ++decoded;
      EXPECT_EQ(r->pixels.size(), static_cast<size_t>(r->width) * r->height);
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
