// One suite for every driver of the log's storage seams (log/storage.h, log/journal.h): the
// POSIX files and PostgreSQL. Then the log itself over the PostgreSQL drivers (create, append,
// crash and replay, verify) and the sequencer fence.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "tallylog/base/testing.h"
#include "tallylog/log/journal.h"
#include "tallylog/log/log.h"
#include "tallylog/log/storage.h"
#include "tallylog/log/verify.h"
#include "tallylog/pg/conn.h"
#include "tallylog/pg/testing.h"
#include "tallylog/store/store.h"

namespace tallylog::store {
namespace {

namespace fs = std::filesystem;

// A driver pair under test, reopened as a process would after a restart.
class PosixDrivers {
 public:
  PosixDrivers() {
    fs::create_directories(dir_.file("log"));
    fs::create_directories(dir_.file("journal"));
  }
  std::shared_ptr<log::LogStorage> storage() {
    return log::posix_log_storage(Env::posix(), dir_.file("log"), log::PosixStorageOptions{dir_.file("staging"), {}}).value();
  }
  std::shared_ptr<log::Journal> journal() { return log::open_posix_journal(Env::posix(), dir_.file("journal")).value(); }

 private:
  testing::TempDir dir_;
};

class PostgresDrivers {
 public:
  PostgresDrivers() {
    static std::atomic<int> n{0};
    url_ = pg::testing::database_url("store-" + std::to_string(n.fetch_add(1)));
    auto created = create_postgres_store(url_);
    EXPECT_TRUE(created) << created.error().to_string();
  }
  std::shared_ptr<log::LogStorage> storage() { return open_postgres_store(url_).value().storage; }
  std::shared_ptr<log::Journal> journal() { return open_postgres_store(url_, {.write = true}).value().journal; }
  const std::string& url() const { return url_; }

 private:
  std::string url_;
};

template <class D>
class StorageConformance : public ::testing::Test {
 protected:
  D drivers;
};
using Drivers = ::testing::Types<PosixDrivers, PostgresDrivers>;
TYPED_TEST_SUITE(StorageConformance, Drivers);

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TYPED_TEST(StorageConformance, StagedFilesAppearOnlyOnceDurable) {
  auto s = this->drivers.storage();
  ASSERT_TRUE(s->write_once("tile/0/000.p/3", std::string(96, 'h')));
  EXPECT_EQ(s->read("tile/0/000.p/3").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(s->make_durable());
  EXPECT_EQ(s->read("tile/0/000.p/3").value(), std::string(96, 'h'));
  // Durable means another opening (another process, a restart) sees it.
  EXPECT_EQ(this->drivers.storage()->read("tile/0/000.p/3").value(), std::string(96, 'h'));
  EXPECT_EQ(s->read("tile/0/001").error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StorageConformance, WriteOnceAcceptsTheSameBytesAndRefusesDifferentOnes) {
  auto s = this->drivers.storage();
  ASSERT_TRUE(s->write_once("tile/entries/000", "bundle-a"));
  ASSERT_TRUE(s->make_durable());
  EXPECT_TRUE(s->write_once("tile/entries/000", "bundle-a"));
  auto bad = s->write_once("tile/entries/000", "bundle-b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(bad.error().message.find("tile/entries/000"), std::string::npos) << bad.error().message;
  ASSERT_TRUE(s->make_durable());
  EXPECT_EQ(this->drivers.storage()->read("tile/entries/000").value(), "bundle-a");
}

TYPED_TEST(StorageConformance, TheCheckpointIsReplacedWithWhatWasStagedBeforeIt) {
  auto s = this->drivers.storage();
  EXPECT_EQ(s->read("checkpoint").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(s->write_once("tile/0/000.p/1", std::string(32, 'x')));
  ASSERT_TRUE(s->write_checkpoint("o\n1\nR1\n"));
  auto other = this->drivers.storage();
  EXPECT_EQ(other->read("checkpoint").value(), "o\n1\nR1\n");
  EXPECT_EQ(other->read("tile/0/000.p/1").value(), std::string(32, 'x'));
  ASSERT_TRUE(s->write_checkpoint("o\n2\nR2\n"));
  EXPECT_EQ(this->drivers.storage()->read("checkpoint").value(), "o\n2\nR2\n");
}

TYPED_TEST(StorageConformance, ListsAPartialDirectoryAndRemovesFromIt) {
  auto s = this->drivers.storage();
  for (const char* p : {"tile/0/001.p/5", "tile/0/001.p/17", "tile/0/000", "tile/0/002.p/1"})
    ASSERT_TRUE(s->write_once(p, std::string(p)));
  ASSERT_TRUE(s->make_durable());
  EXPECT_EQ(sorted(s->list("tile/0/001.p").value()), (std::vector<std::string>{"17", "5"}));
  EXPECT_TRUE(s->list("tile/3/000.p").value().empty());
  ASSERT_TRUE(s->remove("tile/0/001.p/5"));
  EXPECT_EQ(sorted(this->drivers.storage()->list("tile/0/001.p").value()), (std::vector<std::string>{"17"}));
  EXPECT_EQ(this->drivers.storage()->read("tile/0/001.p/5").error().code, ErrorCode::kNotFound);
}

TYPED_TEST(StorageConformance, TheJournalReplaysWhatItAcknowledgedAndDropsWhatWasReleased) {
  {
    auto j = this->drivers.journal();
    EXPECT_EQ(j->begin(), 0u);
    EXPECT_EQ(j->end(), 0u);
    std::vector<std::string_view> a = {"e0", "e1", "e2"}, b = {"e3"}, c = {std::string_view("e\0" "4", 3), ""};
    ASSERT_TRUE(j->append(0, a));
    ASSERT_TRUE(j->append(3, b));
    ASSERT_TRUE(j->append(4, c));
    EXPECT_EQ(j->end(), 6u);
    EXPECT_FALSE(j->append(2, b));  // not at the end
  }
  // Reopened (a restart): everything acknowledged is there, in order, bytes intact.
  auto j = this->drivers.journal();
  EXPECT_EQ(j->begin(), 0u);
  EXPECT_EQ(j->end(), 6u);
  std::vector<std::string> got;
  uint64_t next = 0;
  ASSERT_TRUE(j->replay(0, [&](uint64_t first, std::span<const std::string_view> es) -> Status {
    EXPECT_EQ(first, next);
    for (auto e : es) got.emplace_back(e);
    next = first + es.size();
    return ok();
  }));
  EXPECT_EQ(got, (std::vector<std::string>{"e0", "e1", "e2", "e3", std::string("e\0" "4", 3), ""}));
  // Released up to 4: a replay from the new beginning starts at or before it and covers the rest.
  ASSERT_TRUE(j->release(4));
  auto again = this->drivers.journal();
  EXPECT_LE(again->begin(), 4u);
  EXPECT_EQ(again->end(), 6u);
  uint64_t last = 0;
  ASSERT_TRUE(again->replay(4, [&](uint64_t first, std::span<const std::string_view> es) -> Status {
    last = first + es.size();
    return ok();
  }));
  EXPECT_EQ(last, 6u);
  ASSERT_TRUE(again->append(6, std::vector<std::string_view>{"e6"}));
  EXPECT_EQ(this->drivers.journal()->end(), 7u);
}

TYPED_TEST(StorageConformance, TheCleanNoteIsKeptUntilRemoved) {
  auto j = this->drivers.journal();
  EXPECT_EQ(j->clean_note().value(), "");
  ASSERT_TRUE(j->set_clean_note("size 5 root abc"));
  EXPECT_EQ(this->drivers.journal()->clean_note().value(), "size 5 root abc");
  ASSERT_TRUE(j->set_clean_note(""));
  EXPECT_EQ(this->drivers.journal()->clean_note().value(), "");
}

// The log over the PostgreSQL drivers: what a node appends, another opening reads, verifies and
// (after a crash, i.e. no close) recovers from the journal.
class PostgresLog : public ::testing::Test {
 protected:
  PostgresDrivers pg;
  testing::TempDir dir;
  std::string data = dir.file("data");

  void SetUp() override {
    fs::create_directories(data);
    std::ofstream(data + "/store.url") << pg.url() << "\n";
  }
};

TEST_F(PostgresLog, AppendsSurviveACrashAndVerifyFromTheDatabase) {
  // A writer process appends 200 entries and publishes them, appends 140 more (acknowledged:
  // durable in the journal; not published, the interval being an hour) and dies at once (_exit:
  // no close). Replaying them completes the first full bundle and tile (256), written during
  // recovery.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto o = open_log_options(data);
    if (!o) _exit(2);
    o->checkpoint_interval = std::chrono::hours(1);
    auto lg = log::Log::create(data, {.origin = "example.org/pg"}, *o);
    if (!lg) _exit(3);
    for (int i = 0; i < 200; ++i)
      if (!(*lg)->append("entry " + std::to_string(i))) _exit(4);
    if (!(*lg)->publish_now()) _exit(5);
    for (int i = 200; i < 340; ++i)
      if (!(*lg)->append("entry " + std::to_string(i))) _exit(6);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // Nothing of the log is in the data directory: only the key, the vkey and store.url.
  EXPECT_FALSE(fs::exists(data + "/log/checkpoint"));
  {
    auto reader = open_reader(data).value();
    EXPECT_EQ(reader->size(), 200u);
    EXPECT_EQ(reader->entry(123).value(), "entry 123");
  }
  // A new writer (another node after the lease moved) replays the journal: every acknowledged
  // entry is there, and the stored tree verifies.
  auto o = open_log_options(data).value();
  auto lg = log::Log::open(data, o).value();
  EXPECT_EQ(lg->sequenced_size(), 340u);
  ASSERT_TRUE(lg->publish_now());
  EXPECT_EQ(lg->entry(339).value(), "entry 339");
  ASSERT_TRUE(lg->close());
  auto storage = open_postgres_store(pg.url()).value().storage;
  auto cp = storage->read("checkpoint").value();
  auto files = log::storage_log_files(*storage);
  auto reader = open_reader(data).value();
  EXPECT_EQ(reader->size(), 340u);
  auto root = reader->root_hash(340).value();
  auto report = log::verify_tree(*files, log::TreeHead{340, root}, std::nullopt);
  EXPECT_TRUE(report) << report.error().to_string();
}

TEST_F(PostgresLog, AStaleFenceWritesNothing) {
  auto o = open_log_options(data).value();
  auto lg = log::Log::create(data, {.origin = "example.org/pg"}, o).value();
  ASSERT_TRUE(lg->append("first"));
  ASSERT_TRUE(lg->publish_now());
  ASSERT_TRUE(lg->close());
  // Another node took the lease: epoch 2. A store fenced at epoch 1 may not write.
  pg::Conn c;
  ASSERT_TRUE(c.connect(pg.url()));
  ASSERT_TRUE(c.exec("UPDATE tl_sequencer SET epoch = 2"));
  EXPECT_EQ(sequencer_epoch(pg.url()).value(), 2u);
  auto stale = open_postgres_store(pg.url(), {.write = true, .fence = 1}).value();
  const uint64_t end = stale.journal->end();
  auto appended = stale.journal->append(end, std::vector<std::string_view>{"sneaked in"});
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(appended.error().message.find("fenced"), std::string::npos) << appended.error().message;
  auto cp = stale.storage->write_checkpoint("forged\n");
  ASSERT_FALSE(cp);
  EXPECT_EQ(open_postgres_store(pg.url()).value().storage->read("checkpoint").value().find("forged"), std::string::npos);
  // The current epoch writes.
  auto current = open_postgres_store(pg.url(), {.write = true, .fence = 2}).value();
  EXPECT_TRUE(current.journal->append(current.journal->end(), std::vector<std::string_view>{"allowed"}));
}

// Two writers on one store (e.g. two nodes started by mistake without the lease): the published
// checkpoint never steps back nor forks.
TEST(PostgresStore, NeverReplacesTheCheckpointWithASmallerOrDifferentTree) {
  const std::string url = pg::testing::database_url("store-checkpoint-order");
  ASSERT_TRUE(create_postgres_store(url));
  auto a = open_postgres_store(url, {.write = true}).value().storage;
  auto b = open_postgres_store(url, {.write = true}).value().storage;
  ASSERT_TRUE(a->write_checkpoint("example.org/x\n10\nROOT10\n\n- sig a\n"));
  auto smaller = b->write_checkpoint("example.org/x\n9\nROOT9\n\n- sig b\n");
  ASSERT_FALSE(smaller);
  EXPECT_NE(smaller.error().message.find("another writer"), std::string::npos) << smaller.error().message;
  EXPECT_FALSE(b->write_checkpoint("example.org/x\n10\nOTHER\n\n- sig b\n"));
  EXPECT_EQ(a->read("checkpoint").value(), "example.org/x\n10\nROOT10\n\n- sig a\n");
  // The same tree again with more signatures (cosignatures), and a larger tree: fine.
  EXPECT_TRUE(b->write_checkpoint("example.org/x\n10\nROOT10\n\n- sig a\n- cosig w\n"));
  EXPECT_TRUE(b->write_checkpoint("example.org/x\n11\nROOT11\n\n- sig a\n"));
  EXPECT_EQ(a->read("checkpoint").value(), "example.org/x\n11\nROOT11\n\n- sig a\n");
}

TEST(PostgresStore, RefusesADatabaseWithoutAStoreOrWithALogAlready) {
  const std::string url = pg::testing::database_url("store-refusals");
  auto none = open_postgres_store(url);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("init --store"), std::string::npos) << none.error().message;
  ASSERT_TRUE(create_postgres_store(url));
  auto twice = create_postgres_store(url);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kAlreadyExists);
  auto unreachable = open_postgres_store("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(unreachable.error().message.find("secret"), std::string::npos) << unreachable.error().message;
  EXPECT_NE(unreachable.error().message.find("log store"), std::string::npos) << unreachable.error().message;
}

TEST(StoreUrl, IsEmptyForPosixAndRefusesAnythingButAPostgresUrl) {
  testing::TempDir dir;
  EXPECT_EQ(store_url(dir.path()).value(), "");
  std::ofstream(dir.file("store.url")) << "sqlite:/tmp/x\n";
  auto bad = store_url(dir.path());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("store.url"), std::string::npos);
  std::ofstream(dir.file("store.url")) << "postgresql:///db?host=/run/x\n";
  EXPECT_EQ(store_url(dir.path()).value(), "postgresql:///db?host=/run/x");
}

}  // namespace
}  // namespace tallylog::store
