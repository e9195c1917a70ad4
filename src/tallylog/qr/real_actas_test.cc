// Second tier: the real scanned actas in ../shared/data/ve2024/actas (personal data: read in
// place, never copied). Skips when the shared data is absent.
#include <gtest/gtest.h>

#include "tallylog/base/env.h"
#include "tallylog/base/testing.h"
#include "tallylog/qr/decoder.h"
#include "tallylog/qr/profile.h"
#include "tallylog/qr/synthetic_acta.h"

namespace tallylog::qr {
namespace {

TEST(RealActas, EveryImageDecodesToExactlyTheExpectedPayload) {
  auto data = tallylog::testing::shared_data_dir();
  if (!data) GTEST_SKIP() << tallylog::testing::kNoSharedData;
  const std::string dir = *data + "/ve2024/actas";
  auto expected = qr::testing::read_expected_qr(dir);
  ASSERT_EQ(expected.size(), 5u);
  election::Election bare;
  for (const auto& [file, payload] : expected) {
    SCOPED_TRACE(file);
    auto bytes = Env::posix().read_file(dir + "/" + file);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    auto r = decode_qr_file(*bytes);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->payload, payload);
    // The full-size path (taken when the half-size pass finds nothing) reads them too.
    auto full = decode_qr(decode_image(*bytes).value());
    ASSERT_TRUE(full) << full.error().to_string();
    EXPECT_EQ(full->payload, payload);
    auto sheet = builtin_profiles().find("ve2024-acta").value()->parse(r->payload, bare);
    EXPECT_TRUE(sheet) << sheet.error().to_string();
  }
}

}  // namespace
}  // namespace tallylog::qr

namespace tallylog::qr {
namespace {

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
