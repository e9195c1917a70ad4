#include "tallylog/log/receipt.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tallylog/base/testing.h"

namespace tallylog::log {
namespace {

constexpr const char* kOrigin = "tallylog.test/receipts";

std::vector<std::string> entries(int n, const std::string& tag) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(tag + " entry " + std::to_string(i));
  return out;
}

note::Verifier vkey_of(const std::string& dir) {
  std::string text = Env::posix().read_file(dir + "/log.vkey").value();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return note::Verifier::parse(text).value();
}

TEST(Receipt, VerifiesAgainstTheLogAndItsLaterGrowth) {
  testing::TempDir dir;
  auto log = Log::create(dir.path(), {.origin = kOrigin}).value();
  ASSERT_TRUE(log->append_batch(entries(300, "a")));
  Receipt r = make_receipt(*log, 257).value();
  EXPECT_EQ(r.entry, "a entry 257");
  EXPECT_GE(r.tree_size, 258u);
  // Through its JSON form.
  Receipt back = receipt_from_json(receipt_to_json(r)).value();
  EXPECT_EQ(back.entry, r.entry);
  EXPECT_EQ(back.proof, r.proof);
  ASSERT_TRUE(log->append_batch(entries(40, "b")));
  ASSERT_TRUE(log->await_checkpoint(340));
  ASSERT_TRUE(log->close());
  auto files = local_log_files(Env::posix(), dir.file("log"));
  auto check = verify_receipt(back, vkey_of(dir.path()), *files);
  ASSERT_TRUE(check) << check.error().to_string();
  EXPECT_EQ(check->receipt_size, r.tree_size);
  EXPECT_EQ(check->current_size, 340u);
}

TEST(Receipt, FailsAgainstALogRewrittenWithTheSameKey) {
  testing::TempDir a;
  auto log = Log::create(a.path(), {.origin = kOrigin}).value();
  ASSERT_TRUE(log->append_batch(entries(20, "a")));
  Receipt r = make_receipt(*log, 7).value();
  ASSERT_TRUE(log->close());
  // The operator starts over with the same key and logs a different history of the same size.
  testing::TempDir b;
  std::filesystem::create_directories(b.file("log"));
  std::filesystem::create_directories(b.file("journal"));
  std::filesystem::copy_file(a.file("log.key"), b.file("log.key"));
  std::filesystem::copy_file(a.file("log.vkey"), b.file("log.vkey"));
  auto rewritten = Log::open(b.path()).value();
  auto history = entries(20, "a");
  history[7] = "a entry 7, corrected";
  ASSERT_TRUE(rewritten->append_batch(history));
  ASSERT_TRUE(rewritten->close());
  const note::Verifier key = vkey_of(a.path());
  auto files = local_log_files(Env::posix(), b.file("log"));
  auto check = verify_receipt(r, key, *files);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, ErrorCode::kVerificationFailed);
  EXPECT_NE(check.error().message.find("does not hold the receipt's tree"), std::string::npos) << check.error().message;
  // The original still verifies it.
  auto original = local_log_files(Env::posix(), a.file("log"));
  EXPECT_TRUE(verify_receipt(r, key, *original));
}

TEST(Receipt, RefusesAnEditedEntryOrAnotherKey) {
  testing::TempDir dir;
  auto log = Log::create(dir.path(), {.origin = kOrigin}).value();
  ASSERT_TRUE(log->append_batch(entries(5, "a")));
  Receipt r = make_receipt(*log, 3).value();
  ASSERT_TRUE(log->close());
  const note::Verifier key = vkey_of(dir.path());
  EXPECT_TRUE(check_receipt(r, key));
  Receipt edited = r;
  edited.entry = "a entry 4";
  auto st = check_receipt(edited, key);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("not included at index 3"), std::string::npos);
  auto other = note::Signer::generate(kOrigin).value();
  st = check_receipt(r, other.verifier());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("not signed by the log key"), std::string::npos);
  EXPECT_FALSE(receipt_from_json("{\"receipt\":\"tallylog receipt v1\",\"log_index\":3}"));
}

}  // namespace
}  // namespace tallylog::log
