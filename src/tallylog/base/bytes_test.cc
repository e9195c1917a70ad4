#include "tallylog/base/bytes.h"

#include <gtest/gtest.h>

#include "tallylog/base/sha256.h"

namespace tallylog {
namespace {

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYg==").value(), "foob");
  EXPECT_EQ(base64_decode("Zm9vYmE=").value(), "fooba");
}

TEST(Base64, RejectsMalformedInput) {
  EXPECT_FALSE(base64_decode("Zm9"));         // length
  EXPECT_FALSE(base64_decode("Zm9v!A=="));    // alphabet
  EXPECT_FALSE(base64_decode("Zh=="));        // non-canonical trailing bits
  EXPECT_FALSE(base64_decode("Zg==Zg=="));    // padding in the middle
  EXPECT_FALSE(base64_decode("Z==="));
}

TEST(Base64, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n < all.size(); n += 7) {
    auto s = all.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(s)).value(), s);
  }
}

TEST(Hex, RoundTripsAndRejectsBadDigits) {
  EXPECT_EQ(hex_encode("\x01\xab\xff"), "01abff");
  EXPECT_EQ(hex_decode("01ABff").value(), "\x01\xab\xff");
  EXPECT_FALSE(hex_decode("0"));
  EXPECT_FALSE(hex_decode("0g"));
}

TEST(TrimAsciiSpace, DropsSpacesTabsAndLineEndsAtBothEndsOnly) {
  EXPECT_EQ(trim_ascii_space("tl_ab12\r\n"), "tl_ab12");  // a line from a Windows file
  EXPECT_EQ(trim_ascii_space(" \t key  value \n"), "key  value");
  EXPECT_EQ(trim_ascii_space("x"), "x");
  EXPECT_EQ(trim_ascii_space(" \r\n\t"), "");
  EXPECT_EQ(trim_ascii_space(""), "");
  EXPECT_EQ(trim_ascii_space("\vx\f"), "\vx\f");  // only the four: other controls stay for the caller to refuse
}

TEST(Utf8, AcceptsValidAndRejectsInvalidSequences) {
  EXPECT_TRUE(is_valid_utf8("Mérida ñ €"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));             // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(hex_encode(as_bytes(h.finish())), sha256_hex("abc"));
}

TEST(BigEndian, RoundTrips) {
  std::string s;
  put_u16_be(s, 0x1234);
  put_u64_be(s, 0x0102030405060708ULL);
  EXPECT_EQ(get_u16_be(s), 0x1234);
  EXPECT_EQ(get_u64_be(std::string_view(s).substr(2)), 0x0102030405060708ULL);
}

}  // namespace
}  // namespace tallylog
