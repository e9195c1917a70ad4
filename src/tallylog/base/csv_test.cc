#include "tallylog/base/csv.h"

#include <gtest/gtest.h>

namespace tallylog {
namespace {

TEST(CsvField, LeavesPlainValuesAsTheyAre) {
  EXPECT_EQ(csv_field("Mérida"), "Mérida");
  EXPECT_EQ(csv_field(""), "");
}

TEST(CsvField, QuotesCommasQuotesAndLineBreaksAndDoublesInnerQuotes) {
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"no\""), "\"say \"\"no\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
  std::string out = "x,";
  append_csv_field(out, "y\"");
  EXPECT_EQ(out, "x,\"y\"\"\"");
}

}  // namespace
}  // namespace tallylog
