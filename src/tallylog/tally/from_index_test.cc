#include "tallylog/tally/from_index.h"

#include <gtest/gtest.h>

#include "tallylog/tally/test_election.h"

namespace tallylog::tally {
namespace {

using testing::sheet;

// An in-memory IndexReader holding current sheets only.
class FakeIndex : public index::IndexReader {
 public:
  election::Election e = testing::small_election();
  std::vector<election::Station> stations = testing::small_stations();
  std::vector<index::SheetRecord> sheets;
  bool fail_sheets = false;

  Result<uint64_t> indexed_size() override { return sheets.size(); }
  Result<election::Election> election() override { return e; }
  Result<std::optional<election::Station>> station(std::string_view) override { return std::nullopt; }
  Status for_each_station(const std::function<void(const election::Station&)>& fn) override {
    for (const auto& s : stations) fn(s);
    return ok();
  }
  Result<uint64_t> station_count() override { return stations.size(); }
  Status for_each_current_sheet(std::string_view source, const std::function<void(const index::SheetRecord&)>& fn) override {
    if (fail_sheets) return err(ErrorCode::kIo, "disk on fire");
    for (const auto& r : sheets) {
      if (source.empty() || r.sheet.source == source) fn(r);
    }
    return ok();
  }
  Result<std::vector<index::SheetRecord>> sheets_for_station(std::string_view, std::string_view) override { return {}; }
  Result<std::optional<index::SheetRecord>> sheet_at(uint64_t) override { return std::nullopt; }
  Result<std::vector<index::Conflict>> conflicts() override { return {}; }
  Result<std::vector<std::string>> sources() override { return {}; }
  Result<std::vector<index::Reject>> rejects(size_t) override { return {}; }
};

TEST(FromIndex, TabulatesTheCurrentSheetsOfTheIndexUnderARule) {
  FakeIndex idx;
  idx.sheets = {sheet(1, "T1", "official", 1, 2, 3), sheet(2, "T2", "witness:a", 4, 5, 6), sheet(3, "T3", "qr", 7, 8, 9)};
  auto geo = geography_from_index(idx);
  ASSERT_TRUE(geo.has_value()) << geo.error().to_string();
  EXPECT_EQ((*geo)->table_count(), 5u);
  auto tab = tabulate_index(idx, *geo, *SourceRule::parse("witness:*"));
  ASSERT_TRUE(tab.has_value());
  EXPECT_EQ(tab->totals(0).candidates, (std::vector<int64_t>{4, 5, 6}));
  auto exact = tabulate_index(idx, *geo, *SourceRule::parse("official"));
  EXPECT_EQ(exact->totals(0).candidates, (std::vector<int64_t>{1, 2, 3}));
}

TEST(FromIndex, ReaderErrorsAndBadSheetsComeBackAsErrors) {
  FakeIndex idx;
  auto geo = *geography_from_index(idx);
  idx.fail_sheets = true;
  auto r = tabulate_index(idx, geo, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  idx.fail_sheets = false;
  auto bad = sheet(9, "T1", "official", 1, 1, 1);
  bad.sheet.fields["turnout"] = 3;
  idx.sheets = {bad};
  r = tabulate_index(idx, geo, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("turnout"), std::string::npos);
}

}  // namespace
}  // namespace tallylog::tally
