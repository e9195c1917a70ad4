#include "tallylog/index/area_row.h"

#include <gtest/gtest.h>

#include <limits>

namespace tallylog::index {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

std::vector<int64_t> decoded(std::string_view blob, size_t n) {
  std::vector<int64_t> out;
  auto s = decode_area_row(blob, n, out);
  EXPECT_TRUE(s) << s.error().to_string();
  return out;
}

TEST(AreaRow, ZigzagVarintsRoundTripAtTheEdges) {
  const std::vector<int64_t> row = {0, 1, -1, 63, -64, 64, 300, kMax, kMin};
  const std::string blob = encode_area_row(row);
  // zigzag: 0 -> 0, 1 -> 2, -1 -> 1, 63 -> 126, -64 -> 127 (one byte each), 64 -> 128 (two bytes)
  EXPECT_EQ(blob.substr(0, 7), std::string("\x00\x02\x01\x7e\x7f\x80\x01", 7));
  EXPECT_EQ(decoded(blob, row.size()), row);
  std::vector<int64_t> out;
  EXPECT_FALSE(decode_area_row(blob, row.size() + 1, out));  // a row of another length
  EXPECT_FALSE(decode_area_row(blob, row.size() - 1, out));
  EXPECT_FALSE(decode_area_row(std::string("\x80", 1), 1, out));   // truncated varint
  EXPECT_FALSE(decode_area_row(std::string(11, '\xff'), 1, out));  // longer than 64 bits
}

TEST(AreaRow, AddsValueByValue) {
  const std::vector<int64_t> a = {5, 0, -7, 1 << 20};
  const std::vector<int64_t> b = {-5, 3, 7, 1};
  auto sum = add_area_rows(encode_area_row(a), encode_area_row(b));
  ASSERT_TRUE(sum) << sum.error().to_string();
  EXPECT_EQ(decoded(*sum, 4), (std::vector<int64_t>{0, 3, 0, (1 << 20) + 1}));
  // The sum of the encodings is the encoding of the sum (what the index stores either way).
  EXPECT_EQ(*sum, encode_area_row(std::vector<int64_t>{0, 3, 0, (1 << 20) + 1}));
  EXPECT_EQ(add_area_rows("", "").value(), "");
}

TEST(AreaRow, RefusesRowsThatDoNotAdd) {
  const std::string three = encode_area_row(std::vector<int64_t>{1, 2, 3});
  const std::string two = encode_area_row(std::vector<int64_t>{1, 2});
  auto r = add_area_rows(three, two);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("more values"), std::string::npos) << r.error().message;
  r = add_area_rows(two, three);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("fewer values"), std::string::npos) << r.error().message;
  EXPECT_FALSE(add_area_rows(std::string("\x80", 1), "\x02"));  // truncated stored value
  EXPECT_FALSE(add_area_rows("\x02", std::string("\x80", 1)));  // truncated change
  r = add_area_rows(encode_area_row(std::vector<int64_t>{kMax}),
                    encode_area_row(std::vector<int64_t>{1}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("outside 64 bits"), std::string::npos);
  r = add_area_rows(encode_area_row(std::vector<int64_t>{kMin}),
                    encode_area_row(std::vector<int64_t>{-1}));
  EXPECT_FALSE(r);
  EXPECT_EQ(decoded(add_area_rows(encode_area_row(std::vector<int64_t>{kMax}),
                                  encode_area_row(std::vector<int64_t>{kMin}))
                        .value(),
                    1),
            (std::vector<int64_t>{-1}));
}

}  // namespace
}  // namespace tallylog::index
