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

// Finding 10.9: NUL bytes from a hostile CSV were copied raw into rejects.csv.
TEST(PrintableText, EscapesControlCharactersAndKeepsLetters) {
  using namespace std::string_literals;
  EXPECT_EQ(printable_text("Mérida, Táchira"), "Mérida, Táchira");
  EXPECT_EQ(printable_text("a\0b"s), "a\\x00b");
  EXPECT_EQ(printable_text("\x1b[31mred\r\n\t\x7f"), "\\x1b[31mred\\x0d\\x0a\\x09\\x7f");
  EXPECT_EQ(printable_text("next\u0085line"), "next\\u{0085}line");     // C1 NEL
  EXPECT_EQ(printable_text("abc\u202Efdp.exe"), "abc\\u{202e}fdp.exe");  // right-to-left override
  EXPECT_EQ(printable_text("\u2066x\u2069\u200F"), "\\u{2066}x\\u{2069}\\u{200f}");
  EXPECT_EQ(printable_text("bad \xff\xc3 end"), "bad \\xff\\xc3 end");  // not UTF-8
  EXPECT_EQ(printable_text("C:\\x00"), "C:\\\\x00");  // a literal backslash stays unambiguous
  EXPECT_EQ(printable_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // an encoded surrogate is not UTF-8
}

TEST(PrintableText, NeverLeavesAControlByteWhateverTheInput) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  for (const std::string& in : {all, all + "\u0085\u202e", std::string("\xc2\x85\xc2")}) {
    std::string out;
    append_csv_text_field(out, in);
    for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "byte " << int(c) << " in " << out;
    EXPECT_EQ(out.find("\u0085"), std::string::npos);
    EXPECT_EQ(out.find("\u202e"), std::string::npos);
  }
}

}  // namespace
}  // namespace tallylog
