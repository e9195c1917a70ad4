// Optional bigger check on the shared real data (../shared/data/ve2024/actas): the five WHOLE
// scanned actas, which show people's names, ID numbers and signatures and therefore are never
// copied into the project. CMake registers this test (label shared_data) only when that folder
// exists at configure time, so a fresh clone has nothing to skip; where it is registered, a
// missing folder is a failure.
#include <gtest/gtest.h>

#include "tallylog/base/env.h"
#include "tallylog/base/testing.h"
#include "tallylog/qr/decoder.h"
#include "tallylog/qr/profile.h"
#include "tallylog/qr/synthetic_acta.h"

namespace tallylog::qr {
namespace {

TEST(WholeRealActas, EveryImageDecodesToExactlyTheExpectedPayload) {
  auto data = tallylog::testing::shared_data_dir();
  ASSERT_TRUE(data) << tallylog::testing::kNoSharedData;
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
