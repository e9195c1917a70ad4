#include "tallylog/election/rules.h"

#include <gtest/gtest.h>

#include "tallylog/election/test_fixtures.h"

namespace tallylog::election {
namespace {

using testing::small_election;

RuleSet compile_one(std::string_view text) {
  Election e = small_election();
  e.rules = {std::string(text)};
  auto r = compile_rules(e);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : RuleSet();
}

std::string compile_error(std::string_view text) {
  Election e = small_election();
  e.rules = {"valid == candidates", std::string(text)};
  auto r = compile_rules(e);
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().message;
}

struct Numbers {
  std::vector<int64_t> fields = {35, 2};       // valid, null
  std::vector<int64_t> candidates = {15, 20};  // A, B
  int64_t registered = 100;
  int64_t cards = 35;
  RuleInputs inputs() const {
    int64_t sum = 0;
    for (int64_t n : candidates) {
      if (__builtin_add_overflow(sum, n, &sum))
        sum = INT64_MAX;  // saturate: only the terms matter here
    }
    return RuleInputs{fields, candidates, sum, cards, registered, {}};
  }
};

TEST(Rules, HoldOnConsistentNumbers) {
  Election e = small_election();
  auto rules = compile_rules(e);
  ASSERT_TRUE(rules) << rules.error().message;
  EXPECT_EQ(rules->size(), 2u);
  EXPECT_FALSE(rules->check(Numbers{}.inputs()));
}

TEST(Rules, FailureNamesTheRuleAndBothSides) {
  Numbers n;
  n.fields[0] = 36;
  auto f = compile_one("valid == candidates").check(n.inputs());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->rule, 0u);
  EXPECT_EQ(f->message, "rule \"valid == candidates\" fails: 36 != 35");
}

TEST(Rules, EveryComparisonOperatorEvaluates) {
  Numbers n;  // valid 35, null 2, A 15, B 20, registered 100
  EXPECT_FALSE(compile_one("valid + null <= registered").check(n.inputs()));
  EXPECT_FALSE(compile_one("valid != null").check(n.inputs()));
  EXPECT_FALSE(compile_one("candidate.B > candidate.A").check(n.inputs()));
  EXPECT_FALSE(compile_one("candidate.A < candidate.B").check(n.inputs()));
  EXPECT_FALSE(compile_one("registered >= 100").check(n.inputs()));
  EXPECT_FALSE(compile_one("cards == 35").check(n.inputs()));
  EXPECT_FALSE(compile_one("-null + 37 == valid").check(n.inputs()));
  EXPECT_FALSE(compile_one("registered-valid-null==63").check(n.inputs()));
  EXPECT_EQ(compile_one("registered < 100").check(n.inputs())->message,
            "rule \"registered < 100\" fails: 100 >= 100");
  EXPECT_EQ(compile_one("valid > registered").check(n.inputs())->message,
            "rule \"valid > registered\" fails: 35 <= 100");
  EXPECT_EQ(compile_one("null != 2").check(n.inputs())->message,
            "rule \"null != 2\" fails: 2 == 2");
  EXPECT_EQ(compile_one("valid - 40 >= 0").check(n.inputs())->message,
            "rule \"valid - 40 >= 0\" fails: -5 < 0");
}

TEST(Rules, SumsDoNotOverflowOnHugeCounts) {
  Numbers n;
  n.candidates = {INT64_MAX, INT64_MAX};
  n.fields = {INT64_MAX, 0};
  auto f = compile_one("candidate.A + candidate.B == valid").check(n.inputs());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message,
            "rule \"candidate.A + candidate.B == valid\" fails: 18446744073709551614 != "
            "9223372036854775807");
}

TEST(Rules, ReportsTheRuleIndexAndColumnOfAnUnknownField) {
  EXPECT_EQ(compile_error("valid + nul <= registered"),
            "rules[1] \"valid + nul <= registered\": column 9: unknown field \"nul\"");
}

TEST(Rules, RejectsMalformedRulesWithColumn) {
  EXPECT_NE(compile_error("candidate.Z >= 0").find("column 11: unknown candidate \"Z\""),
            std::string::npos);
  EXPECT_NE(compile_error("candidate >= 0").find("column 10: expected '.'"), std::string::npos);
  EXPECT_NE(compile_error("valid").find("column 6: expected a comparison"), std::string::npos);
  EXPECT_NE(compile_error("valid = null").find("column 7: expected a comparison"),
            std::string::npos);
  EXPECT_NE(compile_error("valid == ").find("column 10: expected a term at end of rule"),
            std::string::npos);
  EXPECT_NE(compile_error("valid == null null").find("column 15: unexpected 'n'"),
            std::string::npos);
  EXPECT_NE(compile_error("valid * 2 == null").find("column 7: expected a comparison"),
            std::string::npos);
  EXPECT_NE(compile_error("12ab == valid").find("column 1: malformed integer"), std::string::npos);
  EXPECT_NE(compile_error("99999999999999999999 > valid").find("column 1: integer too large"),
            std::string::npos);
  EXPECT_NE(compile_error("").find("empty rule"), std::string::npos);
  EXPECT_NE(compile_error("valid == (null)").find("column 10: expected a term, found '('"),
            std::string::npos);
  EXPECT_NE(compile_error("valid == candidates == null").find("column 21: unexpected '='"),
            std::string::npos);
}

TEST(Rules, CompilerSurvivesRandomText) {
  Election e = small_election();
  std::string alphabet = "validnulcandidate.AB registered cards 0123456789+-=<>!() \t\xff";
  uint64_t x = 12345;
  for (int i = 0; i < 5000; ++i) {
    std::string text;
    size_t n = (x >> 7) % 30;
    for (size_t k = 0; k < n; ++k) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      text.push_back(alphabet[(x >> 33) % alphabet.size()]);
    }
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    auto r = compile_rule(text, e);
    if (!r) {
      EXPECT_NE(r.error().message.find("column"), std::string::npos) << text;
    }
  }
}


// Issue 13: at a station whose registered voters are unknown, a rule using `registered` cannot be
// checked: it neither fails nor holds by accident of a zero; other rules are still checked.
TEST(Rules, ARuleUsingRegisteredIsNotCheckedWhereRegisteredVotersAreUnknown) {
  Numbers n;  // valid 35, null 2
  RuleInputs in = n.inputs();
  in.registered = 0;  // what the validator passes for unknown
  in.registered_known = false;
  EXPECT_FALSE(compile_one("valid + null <= registered").check(in));
  EXPECT_FALSE(compile_one("registered >= 100").check(in));
  ASSERT_TRUE(compile_one("null != 2").check(in));
  in.registered_known = true;  // the same numbers with a known 0 fail
  EXPECT_EQ(compile_one("valid + null <= registered").check(in)->message,
            "rule \"valid + null <= registered\" fails: 37 > 0");

  Election e = small_election();
  e.rules = {"valid == candidates", "valid + null <= registered", "-registered < 1"};
  auto rules = compile_rules(e);
  ASSERT_TRUE(rules) << rules.error().message;
  EXPECT_FALSE(rules->uses_registered(0));
  EXPECT_TRUE(rules->uses_registered(1));
  EXPECT_TRUE(rules->uses_registered(2));
}

}  // namespace
}  // namespace tallylog::election
