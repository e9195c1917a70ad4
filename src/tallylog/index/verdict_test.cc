#include "tallylog/index/verdict.h"

#include <gtest/gtest.h>

namespace tallylog::index {
namespace {

constexpr uint32_t kOfficial = 0;
constexpr uint32_t kWitness = 1;

Digest digest(uint8_t b) {
  Digest d{};
  d.fill(b);
  return d;
}

LoggedSheet logged(uint64_t at, uint32_t source, uint8_t says, bool superseded = false, bool conflicted = false) {
  LoggedSheet s;
  s.log_index = at;
  s.source = source;
  s.superseded = superseded;
  s.conflicted = conflicted;
  s.identity = digest(says);
  s.content = digest(says);
  return s;
}

SheetFacts facts(uint32_t source, uint8_t says, std::optional<uint64_t> supersedes = std::nullopt) {
  SheetFacts f;
  f.source = source;
  f.content = digest(says);
  // A correction's identity includes what it corrects; its content does not.
  f.identity = supersedes ? digest(static_cast<uint8_t>(says + 100)) : digest(says);
  f.supersedes = supersedes;
  return f;
}

TEST(Verdict, FirstSheetOfAStationIsNew) {
  auto d = decide_sheet({}, facts(kOfficial, 1), "T1");
  EXPECT_EQ(d.verdict, SheetVerdict::kNew);
  EXPECT_TRUE(d.logged());
  EXPECT_FALSE(d.conflicted);
  EXPECT_TRUE(d.changes.empty());
}

TEST(Verdict, IdenticalSheetOfTheSameSourceIsADuplicateEvenIfSuperseded) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1, /*superseded=*/true)};
  auto d = decide_sheet(sheets, facts(kOfficial, 1), "T1");
  EXPECT_EQ(d.verdict, SheetVerdict::kDuplicate);
  EXPECT_EQ(d.duplicate_of, 5u);
  EXPECT_FALSE(d.logged());
}

TEST(Verdict, TheSameCountsFromAnotherSourceAreNotADuplicate) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1)};
  auto d = decide_sheet(sheets, facts(kWitness, 1), "T1");
  EXPECT_EQ(d.verdict, SheetVerdict::kNew);
}

TEST(Verdict, DifferingCurrentSheetOfTheSameSourceConflictsAndMarksTheGroup) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1), logged(6, kWitness, 3)};
  auto d = decide_sheet(sheets, facts(kOfficial, 2), "T1");
  EXPECT_EQ(d.verdict, SheetVerdict::kConflict);
  EXPECT_EQ(d.conflicts_with, 5u);
  EXPECT_TRUE(d.conflicted);
  ASSERT_EQ(d.changes.size(), 1u);  // the witness sheet is another group: untouched
  EXPECT_EQ(d.changes[0].log_index, 5u);
  EXPECT_TRUE(d.changes[0].conflicted);
  EXPECT_FALSE(d.changes[0].superseded);
}

TEST(Verdict, CorrectionOfOneConflictingSheetResolvesTheConflict) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1, false, true), logged(6, kOfficial, 2, false, true)};
  auto d = decide_sheet(sheets, facts(kOfficial, 1, 6), "T1");
  EXPECT_EQ(d.verdict, SheetVerdict::kCorrection);
  EXPECT_EQ(d.corrects, 6u);
  EXPECT_FALSE(d.conflicts_with.has_value());
  EXPECT_FALSE(d.conflicted);
  ASSERT_EQ(d.changes.size(), 2u);
  EXPECT_EQ(d.changes[0].log_index, 5u);
  EXPECT_FALSE(d.changes[0].conflicted);
  EXPECT_EQ(d.changes[1].log_index, 6u);
  EXPECT_TRUE(d.changes[1].superseded);
}

TEST(Verdict, CorrectionThatStillDiffersFromAnotherCurrentSheetConflicts) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1, false, true), logged(6, kOfficial, 2, false, true)};
  auto d = decide_sheet(sheets, facts(kOfficial, 3, 6), "T1");
  EXPECT_EQ(d.verdict, SheetVerdict::kCorrection);
  EXPECT_EQ(d.conflicts_with, 5u);
  EXPECT_TRUE(d.conflicted);
}

// Regression, issue 10 finding 1: a witness's sheet superseded the official sheet of the same
// station (the lookup checked the log index and the station, not the source).
TEST(Verdict, CorrectionFromAnotherSourceIsRejected) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1)};
  auto d = decide_sheet(sheets, facts(kWitness, 2, 5), "T1", "witness:x");
  EXPECT_EQ(d.verdict, SheetVerdict::kRejected);
  EXPECT_EQ(d.field, "supersedes");
  EXPECT_NE(d.reason.find("another source"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("witness:x"), std::string::npos) << d.reason;
  EXPECT_TRUE(d.changes.empty());
}

TEST(Verdict, CorrectionOfAnotherStationOrOfASupersededSheetIsRejected) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1, /*superseded=*/true), logged(7, kOfficial, 2)};
  auto other = decide_sheet(sheets, facts(kOfficial, 3, 99), "T1");
  EXPECT_EQ(other.verdict, SheetVerdict::kRejected);
  EXPECT_EQ(other.reason, "log index 99 is not a sheet of station T1");
  auto again = decide_sheet(sheets, facts(kOfficial, 3, 5), "T1");
  EXPECT_EQ(again.verdict, SheetVerdict::kRejected);
  EXPECT_EQ(again.reason, "the sheet at log index 5 is already superseded");
}

// A log may hold what the rule now refuses (written before the fix): replaying it indexes the
// sheet, but its `supersedes` changes nothing.
TEST(Verdict, LoggedCrossSourceCorrectionIsIndexedWithoutSuperseding) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1)};
  auto d = decide_logged_sheet(sheets, facts(kWitness, 2, 5));
  EXPECT_EQ(d.verdict, SheetVerdict::kNew);
  EXPECT_FALSE(d.corrects.has_value());
  EXPECT_TRUE(d.changes.empty());
}

TEST(Verdict, LoggedDuplicateIsIndexedAsACurrentAgreeingSheet) {
  std::vector<LoggedSheet> sheets = {logged(5, kOfficial, 1)};
  auto d = decide_logged_sheet(sheets, facts(kOfficial, 1));
  EXPECT_EQ(d.verdict, SheetVerdict::kNew);
  EXPECT_FALSE(d.conflicted);
}

}  // namespace
}  // namespace tallylog::index
