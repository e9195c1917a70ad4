// Real acta photos: the QR codes of the five scanned actas of the shared data, bundled as crops
// that hold only the code (tests/fixtures/qr/actas: real print, blur, angle and paper; no names,
// ID numbers or signatures; see its README.md), and the synthetic fixtures beside them.
#include <gtest/gtest.h>

#include "tallylog/base/env.h"
#include "tallylog/base/testing.h"
#include "tallylog/qr/decoder.h"
#include "tallylog/qr/preprocess.h"
#include "tallylog/qr/profile.h"
#include "tallylog/qr/synthetic_acta.h"

namespace tallylog::qr {
namespace {

std::string crops_dir() { return tallylog::testing::source_dir() + "/tests/fixtures/qr/actas"; }

TEST(RealActaCrops, EveryCropDecodesToExactlyTheExpectedPayloadAndParses) {
  const std::string dir = crops_dir();
  auto expected = qr::testing::read_expected_qr(dir);
  ASSERT_EQ(expected.size(), 5u) << dir;
  election::Election bare;
  for (const auto& [file, payload] : expected) {
    SCOPED_TRACE(file);
    auto bytes = Env::posix().read_file(dir + "/" + file);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    auto r = decode_qr_file(*bytes);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->payload, payload);
    auto sheet = builtin_profiles().find("ve2024-acta").value()->parse(r->payload, bare);
    EXPECT_TRUE(sheet) << sheet.error().to_string();
  }
}

// The same real print after what a phone or a second scan adds: each must still give exactly
// the expected payload, through whichever decoder step reads it.
TEST(RealActaCrops, EveryCropStillDecodesTurnedShrunkTiltedAndRecompressed) {
  const std::string dir = crops_dir();
  auto expected = qr::testing::read_expected_qr(dir);
  ASSERT_EQ(expected.size(), 5u) << dir;
  for (const auto& [file, payload] : expected) {
    auto image = decode_image(Env::posix().read_file(dir + "/" + file).value());
    ASSERT_TRUE(image) << file << ": " << image.error().to_string();
    struct Degraded {
      std::string what;
      GrayImage image;
    };
    std::vector<Degraded> cases = {{"turned 90", rotate(*image, 90)},
                                   {"turned 180", rotate(*image, 180)},
                                   {"tilted 4 degrees", rotate(*image, 4)},
                                   {"shrunk to 0.6", scale(*image, 0.6)},
                                   {"blurred", box_blur(*image, 2)}};
    for (const auto& c : cases) {
      SCOPED_TRACE(file + " " + c.what);
      auto r = decode_qr(c.image);
      ASSERT_TRUE(r) << r.error().to_string();
      EXPECT_EQ(r->payload, payload) << r->method;
    }
    auto jpg = encode_jpeg(*image, 20);
    ASSERT_TRUE(jpg);
    auto r = decode_qr_file(*jpg);
    ASSERT_TRUE(r) << file << " recompressed: " << r.error().to_string();
    EXPECT_EQ(r->payload, payload) << file << " recompressed";
  }
}

TEST(BundledFixtures, DecodeToExactlyTheExpectedPayloads) {
  const std::string dir = tallylog::testing::source_dir() + "/tests/fixtures/qr";
  auto expected = qr::testing::read_expected_qr(dir);
  ASSERT_EQ(expected.size(), 3u) << dir;
  for (const auto& [file, payload] : expected) {
    SCOPED_TRACE(file);
    auto bytes = Env::posix().read_file(dir + "/" + file);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    auto r = decode_qr_file(*bytes);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->payload, payload);
  }
}

TEST(BundledFixtures, TwoCodesAreRefusedAndThirtySevenCountsDoNotParse) {
  const std::string dir = tallylog::testing::source_dir() + "/tests/fixtures/qr";
  auto two = decode_qr_file(Env::posix().read_file(dir + "/two-codes.png").value());
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().code, ErrorCode::kInvalidArgument);
  auto short_qr = decode_qr_file(Env::posix().read_file(dir + "/counts-37.png").value());
  ASSERT_TRUE(short_qr) << short_qr.error().to_string();
  auto sheet = builtin_profiles()
                   .find("ve2024-acta")
                   .value()
                   ->parse(short_qr->payload, election::Election{});
  ASSERT_FALSE(sheet);
  EXPECT_NE(sheet.error().message.find("37 comma-separated counts"), std::string::npos);
}

}  // namespace
}  // namespace tallylog::qr
