#include "tallylog/audit/stream_compare.h"

#include <gtest/gtest.h>

#include <vector>

namespace tallylog::audit {
namespace {

// Feeds `published` in pieces of `p` bytes and `derived` in pieces of `d` bytes; returns whether
// they were found equal and the published body as reconstructed from matched() + take_rest().
struct Outcome {
  bool same;
  std::string published;
};
Outcome run(const std::string& published, const std::string& derived, size_t p, size_t d) {
  std::vector<std::string> pieces;
  for (size_t i = 0; i < published.size(); i += p) pieces.push_back(published.substr(i, p));
  size_t next = 0;
  StreamComparer c([&]() -> Result<std::optional<std::string>> {
    if (next == pieces.size()) return std::optional<std::string>();
    return std::optional<std::string>(pieces[next++]);
  });
  for (size_t i = 0; i < derived.size(); i += d) EXPECT_TRUE(c.derived(std::string_view(derived).substr(i, d)).has_value());
  auto same = c.finish();
  EXPECT_TRUE(same.has_value());
  std::string rebuilt = derived.substr(0, c.matched()) + c.take_rest();
  return {*same, rebuilt};
}

TEST(StreamComparer, EqualBodiesInAnyPiecesAreEqual) {
  const std::string body = R"({"areas":[{"code":"T1","votes":12},{"code":"T2","votes":7}],"total":19})";
  for (size_t p : {1, 3, 7, 1000}) {
    for (size_t d : {1, 5, 1000}) {
      auto o = run(body, body, p, d);
      EXPECT_TRUE(o.same) << p << " " << d;
      EXPECT_EQ(o.published, body);
    }
  }
}

TEST(StreamComparer, AChangedVoteIsFoundAndThePublishedBodyCanBeRebuiltForTheDiff) {
  const std::string derived = R"({"areas":[{"code":"T1","votes":12},{"code":"T2","votes":7}],"total":19})";
  const std::string published = R"({"areas":[{"code":"T1","votes":13},{"code":"T2","votes":7}],"total":19})";
  for (size_t p : {1, 4, 1000}) {
    for (size_t d : {1, 6, 1000}) {
      auto o = run(published, derived, p, d);
      EXPECT_FALSE(o.same);
      EXPECT_EQ(o.published, published) << p << " " << d;
    }
  }
}

TEST(StreamComparer, APublishedBodyShorterOrLongerThanTheDerivedOneDiffers) {
  const std::string derived = R"({"areas":[{"code":"T1"},{"code":"T2"}]})";
  const std::string shorter = R"({"areas":[{"code":"T1"}]})";
  const std::string longer = derived + "\n";
  for (size_t p : {1, 5, 1000}) {
    auto s = run(shorter, derived, p, 3);
    EXPECT_FALSE(s.same);
    EXPECT_EQ(s.published, shorter);
    auto l = run(longer, derived, p, 3);
    EXPECT_FALSE(l.same);
    EXPECT_EQ(l.published, longer);
    auto prefix = run(derived.substr(0, 10), derived, p, 1000);  // cut mid-answer
    EXPECT_FALSE(prefix.same);
    EXPECT_EQ(prefix.published, derived.substr(0, 10));
  }
}

TEST(StreamComparer, AFailureToReadThePublishedBodyIsReturned) {
  StreamComparer c([]() -> Result<std::optional<std::string>> {
    return err(ErrorCode::kUnavailable, "GET http://x/api/v1/tally: connection reset");
  });
  auto fed = c.derived("{}");
  ASSERT_FALSE(fed.has_value());
  EXPECT_NE(fed.error().message.find("connection reset"), std::string::npos);
}

}  // namespace
}  // namespace tallylog::audit
