#include "tallylog/index/station_areas.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tallylog::index {
namespace {

using Areas = std::vector<election::AreaRef>;

void expect_same(const Areas& a, const Areas& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].code, b[i].code) << i;
    EXPECT_EQ(a[i].name, b[i].name) << i;
  }
}

TEST(StationAreasTest, WhatTheEncoderWritesDecodesToTheSameAreas) {
  const std::vector<Areas> cases = {
      {},
      {{"01", "DTTO. CAPITAL"}, {"0101", "MP. BLVNO LIBERTADOR"}, {"010101001.01", "Mesa 1"}},
      {{"q\"uote", "back\\slash"}, {"nl", "a\nb\rc\td"}, {"ctl", std::string("x\x01y\x1fz", 5)}},
      {{"", ""}, {"ñ", "Añasco — ü 中"}},
  };
  for (const auto& areas : cases) {
    const std::string text = encode_station_areas(areas);
    auto back = decode_station_areas(text, "S1");
    ASSERT_TRUE(back) << text << ": " << back.error().message;
    expect_same(*back, areas);
  }
}

TEST(StationAreasTest, JsonTheEncoderWouldNotWriteIsStillReadByTheGeneralParser) {
  // Spaces, \u escapes of printable characters and \/ are valid JSON the fast reader leaves to
  // the general parser: same areas either way.
  auto back = decode_station_areas(" [ [\"01\" , \"A\\u0042\\/C\"] ] ", "S1");
  ASSERT_TRUE(back) << back.error().message;
  expect_same(*back, {{"01", "AB/C"}});
}

TEST(StationAreasTest, MalformedTextIsCorruptAndNamesTheStation) {
  for (std::string_view bad : {"", "[", "[[\"01\"]]", "[[\"01\",\"a\"]", "[[\"01\",\"a\"]]x", "[[\"01\",\"a\\q\"]]",
                               "[[\"01\",\"\xff\"]]", "[[\"01\",\"a\nb\"]]", "[[\"01\",\"a\"],]"}) {
    auto r = decode_station_areas(bad, "S7");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt) << bad;
    EXPECT_NE(r.error().message.find("station S7"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace tallylog::index
