#include "tallylog/ingest/read_only.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/test_fixtures.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/log/data_dir_lock.h"

namespace tallylog::ingest {
namespace {

namespace fs = std::filesystem;
using election::testing::small_election;
using election::testing::small_sheet;
using election::testing::small_station;

class ReadOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    ASSERT_TRUE(Ingestor::init(data_, small_election(), ""));
    auto ing = Ingestor::open(data_).value();
    std::vector<election::Station> stations = {small_station("R1.01"), small_station("R1.02")};
    ASSERT_TRUE(ing->add_stations(stations));
    ASSERT_TRUE(ing->submit(small_sheet("R1.01")));
    dump_ = ing->index().dump().value();
    ASSERT_TRUE(ing->close());
  }
  // A directory holding only what a mirror publishes: log/ and log.vkey.
  std::string published_copy() {
    const std::string copy = dir_.path() + "/copy";
    fs::create_directories(copy);
    fs::copy(data_ + "/log", copy + "/log", fs::copy_options::recursive);
    fs::copy_file(data_ + "/log.vkey", copy + "/log.vkey");
    return copy;
  }
  // The index a rebuild from the log alone makes (on a published copy): what any catch-up must equal.
  std::string rebuilt_dump() {
    ReadOnlyOptions o;
    o.rebuild = true;
    auto fresh = open_for_reading(published_copy(), o);
    if (!fresh) return "rebuild failed: " + fresh.error().to_string();
    return fresh->index->dump().value();
  }
  void append_sheet_without_indexing(const std::string& station, int64_t a = 15) {
    auto lg = log::Log::open(data_).value();
    auto s = small_sheet(station);
    s.candidates = {{"A", a}, {"B", 35 - a}};  // as the ingestor logs it: candidates derived from the cards
    ASSERT_TRUE(lg->append(election::encode_entry(s)));
    ASSERT_TRUE(lg->close());
  }

  testing::TempDir dir_;
  std::string data_;
  std::string dump_;
};

// Regression, issue 9 point 1: `reindex` on a copy of log/ failed with "log.key is missing".
TEST_F(ReadOnlyTest, ACopyOfThePublishedLogIsIndexedWithoutThePrivateKey) {
  const std::string copy = published_copy();
  ASSERT_FALSE(fs::exists(copy + "/log.key"));
  ReadOnlyOptions o;
  o.rebuild = true;
  auto d = open_for_reading(copy, o);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->indexed_size, d->log_size);
  EXPECT_EQ(d->index->dump().value(), dump_);
  EXPECT_FALSE(fs::exists(copy + "/log.key"));
  EXPECT_FALSE(fs::exists(copy + "/journal"));
}

TEST_F(ReadOnlyTest, AReadOfADirectoryWithoutAnIndexBuildsItAndSaysSo) {
  const std::string copy = published_copy();
  auto d = open_for_reading(copy);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->index->dump().value(), dump_);
  EXPECT_NE(d->note.find("built the index"), std::string::npos) << d->note;
}

// Regression, issue 9 point 1: after a crash between a log append and its index commit, `tally`
// silently read the stale index.
TEST_F(ReadOnlyTest, ALaggingIndexIsBroughtUpToDateWhenNoWriterHoldsTheDirectory) {
  append_sheet_without_indexing("R1.02");
  auto d = open_for_reading(data_);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->caught_up, 1u);
  EXPECT_EQ(d->indexed_size, d->log_size);
  EXPECT_EQ(d->index->sheets_for_station("R1.02").value().size(), 1u);
  EXPECT_NE(d->note.find("brought the index up to date"), std::string::npos) << d->note;
}

TEST_F(ReadOnlyTest, ALaggingIndexIsReadAsItIsWhileAWriterHoldsTheDirectoryAndTheLagIsStated) {
  append_sheet_without_indexing("R1.02");
  auto writer = log::DataDirLock::try_acquire(data_);
  ASSERT_TRUE(writer);
  auto d = open_for_reading(data_);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->caught_up, 0u);
  EXPECT_EQ(d->indexed_size + 1, d->log_size);
  EXPECT_TRUE(d->index->sheets_for_station("R1.02").value().empty());
  EXPECT_NE(d->note.find("1 entries behind the log"), std::string::npos) << d->note;
  EXPECT_NE(d->note.find("a writer holds"), std::string::npos) << d->note;
  EXPECT_NE(d->note.find("results reflect log size " + std::to_string(d->indexed_size)), std::string::npos)
      << d->note;
  // A rebuild would delete the index the writer uses: refused.
  ReadOnlyOptions o;
  o.rebuild = true;
  auto r = open_for_reading(data_, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("is locked"), std::string::npos) << r.error().message;
}

// Issue 15: a follower node re-opens its data directory each time the log grows; with a
// DeriverCache it derives only the new entries, from the verdict rules' state the previous open
// left, instead of loading that state from the index every time. The index must come out exactly
// as a rebuild from the log makes it, including a verdict (a conflict) that only the kept state
// can decide.
TEST_F(ReadOnlyTest, AKeptDeriverStateCatchesUpExactlyAsARebuildDoes) {
  DeriverCache cache;
  ReadOnlyOptions o;
  o.deriver_cache = &cache;
  append_sheet_without_indexing("R1.02", 15);
  {
    auto d = open_for_reading(data_, o);
    ASSERT_TRUE(d) << d.error().to_string();
    EXPECT_EQ(d->caught_up, 1u);
  }
  EXPECT_EQ(cache.loaded(), 1u);
  EXPECT_EQ(cache.reused(), 0u);
  // The same source, the same table, other counts: a conflict with the sheet the first open derived.
  append_sheet_without_indexing("R1.02", 16);
  auto d = open_for_reading(data_, o);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->caught_up, 1u);
  EXPECT_EQ(cache.loaded(), 1u);
  EXPECT_EQ(cache.reused(), 1u);
  const std::string dump = d->index->dump().value();
  auto sheets = d->index->sheets_for_station("R1.02").value();
  ASSERT_EQ(sheets.size(), 2u);
  EXPECT_TRUE(sheets[0].conflicted && sheets[1].conflicted);
  EXPECT_EQ(dump, rebuilt_dump());
}

TEST_F(ReadOnlyTest, AKeptDeriverStateLeftAtAnotherSizeIsNotUsed) {
  DeriverCache cache;
  ReadOnlyOptions o;
  o.deriver_cache = &cache;
  append_sheet_without_indexing("R1.02", 15);
  ASSERT_TRUE(open_for_reading(data_, o));
  EXPECT_EQ(cache.loaded(), 1u);
  // Caught up without the cache: the kept state is now behind the index.
  append_sheet_without_indexing("R1.02", 16);
  ASSERT_TRUE(open_for_reading(data_));
  append_sheet_without_indexing("R1.01", 17);
  auto d = open_for_reading(data_, o);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(cache.reused(), 0u);
  EXPECT_EQ(cache.loaded(), 2u);
  const std::string dump = d->index->dump().value();
  EXPECT_EQ(dump, rebuilt_dump());
}

TEST_F(ReadOnlyTest, WithoutAVerifierKeyNothingIsRead) {
  const std::string copy = published_copy();
  fs::remove(copy + "/log.vkey");
  EXPECT_FALSE(open_for_reading(copy));
}

}  // namespace
}  // namespace tallylog::ingest
