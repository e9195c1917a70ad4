#include "tallylog/ingest/csv.h"

#include <gtest/gtest.h>

#include <random>

namespace tallylog::ingest {
namespace {

std::vector<CsvRecord> read_all(std::string_view text, CsvOptions o = {}) {
  CsvReader r(text, o);
  std::vector<CsvRecord> out;
  CsvRecord rec;
  while (r.next(rec)) out.push_back(rec);
  return out;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, ReadsSimpleRecordsWithLfAndCrlf) {
  auto recs = read_all("a,b,c\r\n1,2,3\n4,5,6");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].fields, (Fields{"a", "b", "c"}));
  EXPECT_EQ(recs[1].fields, (Fields{"1", "2", "3"}));
  EXPECT_EQ(recs[2].fields, (Fields{"4", "5", "6"}));
  EXPECT_EQ(recs[2].line, 3u);
  for (auto& r : recs) EXPECT_TRUE(r.error.empty());
}

TEST(CsvReader, SkipsByteOrderMark) {
  auto recs = read_all("\xEF\xBB\xBF" "COD,X\n1,2\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields[0], "COD");
}

TEST(CsvReader, UnquotesCommasQuotesAndNewlinesAndCountsLines) {
  auto recs = read_all("\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\"\nnext,1,2\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields, (Fields{"a,b", "say \"hi\"", "two\r\nlines"}));
  EXPECT_EQ(recs[0].line, 1u);
  EXPECT_EQ(recs[1].line, 3u);
}

TEST(CsvReader, KeepsEmptyFieldsAndSkipsBlankLines) {
  auto recs = read_all("a,,c,\n\n\r\n,\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].fields, (Fields{"a", "", "c", ""}));
  EXPECT_EQ(recs[1].fields, (Fields{"", ""}));
  EXPECT_EQ(recs[1].line, 4u);
}

TEST(CsvReader, RejectsQuoteInsideUnquotedFieldAndResumesAtNextLine) {
  auto recs = read_all("ab\"c,d\nok,1\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(recs[0].error.find("quote inside an unquoted field"), std::string::npos);
  EXPECT_TRUE(recs[1].error.empty());
  EXPECT_EQ(recs[1].fields, (Fields{"ok", "1"}));
  EXPECT_EQ(recs[1].line, 2u);
}

TEST(CsvReader, RejectsTextAfterClosingQuote) {
  auto recs = read_all("\"a\"b,c\nx\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(recs[0].error.find("after the closing quote"), std::string::npos);
  EXPECT_EQ(recs[1].fields, (Fields{"x"}));
}

TEST(CsvReader, RejectsInvalidUtf8NamingTheField) {
  auto recs = read_all("a,b\xFF\nc,d\n");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].error, "field 2: invalid UTF-8");
  EXPECT_TRUE(recs[1].error.empty());
}

TEST(CsvReader, RejectsOverLongFieldButKeepsReading) {
  std::string text = "a," + std::string(100, 'x') + "\nb,c\n";
  auto recs = read_all(text, CsvOptions{10, 100});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(recs[0].error.find("longer than 10 bytes"), std::string::npos);
  EXPECT_TRUE(recs[1].error.empty());
}

TEST(CsvReader, RejectsTooManyFields) {
  auto recs = read_all("1,2,3,4,5\n6\n", CsvOptions{100, 3});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(recs[0].error.find("more than 3 fields"), std::string::npos);
  EXPECT_EQ(recs[1].fields, (Fields{"6"}));
}

// Finding 10.9: a row with an unclosed quote silently swallowed every row after it.
TEST(CsvReader, AnUnclosedQuoteRejectsItsRowAndTheRowsAfterItAreRead) {
  auto recs = read_all("h1,h2\n1,\"never closed\n2,b\n3,c\n");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_NE(recs[1].error.find("field 2: the quote that opens it is never closed"), std::string::npos)
      << recs[1].error;
  EXPECT_EQ(recs[2].fields, (Fields{"2", "b"}));
  EXPECT_EQ(recs[2].line, 3u);
  EXPECT_TRUE(recs[2].error.empty());
  EXPECT_EQ(recs[3].fields, (Fields{"3", "c"}));
  EXPECT_EQ(recs[3].line, 4u);
}

// A stray quote that a later row's quotes "close" must not merge the two rows into one error.
TEST(CsvReader, AStrayQuoteClosedByALaterRowRejectsOnlyItsOwnRow) {
  auto recs = read_all("1,\"bad\n2,\"ok\",3\n4,5,6\n");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].line, 1u);
  EXPECT_NE(recs[0].error.find("text after the closing quote"), std::string::npos) << recs[0].error;
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_TRUE(recs[1].error.empty()) << recs[1].error;
  EXPECT_EQ(recs[1].fields, (Fields{"2", "ok", "3"}));
  EXPECT_EQ(recs[2].fields, (Fields{"4", "5", "6"}));
  EXPECT_EQ(recs[2].line, 3u);
}

// Found by fuzz/csv_fuzzer.cc: a record failed for an unterminated quoted field came back with
// that field holding the whole rest of the input, past max_field_bytes (every other path cuts it).
TEST(CsvReader, CutsAnUnterminatedQuotedFieldToMaxFieldBytes) {
  const std::string text = "a,\"" + std::string(5000, 'x') + "\n" + std::string(5000, 'y');
  auto recs = read_all(text, CsvOptions{10, 100});
  ASSERT_FALSE(recs.empty());
  EXPECT_NE(recs[0].error.find("never closed"), std::string::npos) << recs[0].error;
  for (const auto& r : recs) {
    for (const auto& f : r.fields) EXPECT_LE(f.size(), 10u);
  }
}

// Found by fuzz/csv_fuzzer.cc (2 Dec): a record failed for a quote inside an unquoted field came
// back with that field uncut (4,996 bytes against a 4,096-byte limit): the error returned before
// the field was cut.
TEST(CsvReader, CutsAnUnquotedFieldFailedForAQuoteToMaxFieldBytes) {
  const std::string text = "a," + std::string(5000, 'x') + "\"b\nc,d\n";
  auto recs = read_all(text, CsvOptions{10, 100});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_NE(recs[0].error.find("quote inside an unquoted field"), std::string::npos) << recs[0].error;
  ASSERT_EQ(recs[0].fields.size(), 2u);
  EXPECT_EQ(recs[0].fields[1].size(), 10u);
  EXPECT_TRUE(recs[1].error.empty()) << recs[1].error;  // the next line is read as usual
  EXPECT_EQ(recs[1].fields, (std::vector<std::string>{"c", "d"}));
}

// Finding 10.9: a file with CR-only line endings (old Mac exports) read as 0 rows.
TEST(CsvReader, ReadsCrOnlyLineEndings) {
  auto recs = read_all("a,b\r1,2\r\r3,\"x\ry\"\r4,5");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].fields, (Fields{"a", "b"}));
  EXPECT_EQ(recs[1].fields, (Fields{"1", "2"}));
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_EQ(recs[2].fields, (Fields{"3", "x\ry"}));
  EXPECT_EQ(recs[2].line, 4u);
  EXPECT_EQ(recs[3].fields, (Fields{"4", "5"}));
  EXPECT_EQ(recs[3].line, 6u);
  for (auto& r : recs) EXPECT_TRUE(r.error.empty()) << r.error;
}

TEST(CsvReader, RejectsANulByteNamingTheField) {
  using namespace std::string_literals;
  auto recs = read_all("a,b\0c\nd,e\n"s);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].error, "field 2: contains a NUL byte");
  EXPECT_TRUE(recs[1].error.empty());
}

TEST(CsvReader, SurvivesRandomBytesWithoutCrashingOrLooping) {
  std::mt19937 rng(12345);
  const char alphabet[] = {'a', '1', ',', '"', '\r', '\n', '\xEF', '\xBB', '\xBF', '\xFF', '\xC3', '\xA9', ' '};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    size_t len = rng() % 200;
    for (size_t i = 0; i < len; ++i)
      text.push_back(rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % sizeof alphabet]);
    CsvReader r(text, CsvOptions{16, 8});
    CsvRecord rec;
    size_t records = 0, last_pos = 0;
    uint64_t last_line = 0;
    while (r.next(rec)) {
      ++records;
      ASSERT_LE(records, text.size() + 1) << "reader does not advance";
      ASSERT_GE(r.position(), last_pos);
      ASSERT_GT(rec.line, last_line);
      last_pos = r.position();
      last_line = rec.line;
      ASSERT_LE(rec.fields.size(), 8u);
      if (rec.error.empty()) {
        for (auto& f : rec.fields) ASSERT_LE(f.size(), 16u);
      }
    }
    ASSERT_LE(r.position(), text.size());
  }
}

}  // namespace
}  // namespace tallylog::ingest
