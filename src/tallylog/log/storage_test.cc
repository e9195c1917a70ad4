// The POSIX drivers of the log's storage seam: LogStorage (published files) and Journal.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>

#include "tallylog/base/testing.h"
#include "tallylog/log/journal.h"
#include "tallylog/log/storage.h"

namespace tallylog::log {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct StorageDirs {
  testing::TempDir dir;
  std::string log = dir.file("log"), staging = dir.file("staging");
  StorageDirs() { fs::create_directories(log); }
  std::unique_ptr<LogStorage> open(std::vector<std::string>* notices = nullptr) {
    PosixStorageOptions o{staging, {}};
    if (notices) o.notice = [notices](std::string_view l) { notices->emplace_back(l); };
    return posix_log_storage(Env::posix(), log, o).value();
  }
};

TEST(PosixLogStorage, StagedFilesAppearOnlyOnceDurable) {
  StorageDirs d;
  auto s = d.open();
  ASSERT_TRUE(s->write_once("tile/0/000.p/3", std::string(96, 'h')));
  ASSERT_TRUE(s->write_once("tile/entries/000.p/3", "bundle"));
  EXPECT_EQ(s->read("tile/0/000.p/3").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(files_under(d.log).empty());
  ASSERT_TRUE(s->make_durable());
  EXPECT_EQ(s->read("tile/entries/000.p/3").value(), "bundle");
  EXPECT_EQ(s->list("tile/0/000.p").value(), std::vector<std::string>{"3"});
  EXPECT_TRUE(s->list("tile/0/001.p").value().empty());
  EXPECT_TRUE(files_under(d.staging).empty());
}

TEST(PosixLogStorage, WriteOnceAcceptsTheSameBytesAndRefusesDifferentOnes) {
  StorageDirs d;
  auto s = d.open();
  ASSERT_TRUE(s->write_once("tile/entries/000", "original"));
  ASSERT_TRUE(s->make_durable());
  EXPECT_TRUE(s->write_once("tile/entries/000", "original"));
  auto r = s->write_once("tile/entries/000", "forged!!");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("tile/entries/000"), std::string::npos) << r.error().message;
  ASSERT_TRUE(s->make_durable());
  EXPECT_EQ(s->read("tile/entries/000").value(), "original");
}

TEST(PosixLogStorage, AFileThatAppearsBeforeTheRenameIsComparedNotReplaced) {
  StorageDirs d;
  auto s = d.open();
  ASSERT_TRUE(s->write_once("tile/entries/000", "mine"));
  fs::create_directories(d.log + "/tile/entries");
  ASSERT_TRUE(Env::posix().write_file_atomic(d.log + "/tile/entries/000", "theirs", Durability::kNoSync));
  auto r = s->make_durable();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(s->read("tile/entries/000").value(), "theirs");
}

TEST(PosixLogStorage, TheCheckpointIsReplacedAfterStagedFilesAreDurable) {
  StorageDirs d;
  auto s = d.open();
  ASSERT_TRUE(s->write_once("tile/0/000.p/1", std::string(32, 'x')));
  ASSERT_TRUE(s->write_checkpoint("one"));
  EXPECT_TRUE(s->read("tile/0/000.p/1"));  // made durable first
  ASSERT_TRUE(s->write_checkpoint("two"));
  EXPECT_EQ(s->read("checkpoint").value(), "two");
  EXPECT_EQ(files_under(d.log), (std::vector<std::string>{"checkpoint", "tile/0/000.p/1"}));
}

TEST(PosixLogStorage, RemovingTheLastPartialRemovesItsDirectory) {
  StorageDirs d;
  auto s = d.open();
  ASSERT_TRUE(s->write_once("tile/0/000.p/1", std::string(32, 'x')));
  ASSERT_TRUE(s->write_once("tile/0/000.p/2", std::string(64, 'x')));
  ASSERT_TRUE(s->make_durable());
  ASSERT_TRUE(s->remove("tile/0/000.p/1"));
  EXPECT_TRUE(fs::exists(d.log + "/tile/0/000.p"));
  ASSERT_TRUE(s->remove("tile/0/000.p/2"));
  EXPECT_FALSE(fs::exists(d.log + "/tile/0/000.p"));
}

// Issue 10, finding 2: `touch D/log/tile/entries/191.p/170.tmp.99.1` made every later verify
// fail. Opening for writing removes such leftovers (and anything left in staging).
TEST(PosixLogStorage, OpeningForWritingRemovesLeftoverTemporaries) {
  StorageDirs d;
  fs::create_directories(d.log + "/tile/entries/191.p");
  fs::create_directories(d.log + "/tile/0/x001");
  fs::create_directories(d.staging);
  for (const char* p : {"tile/entries/191.p/170.tmp.99.1", "checkpoint.tmp.12.0", "tile/0/x001/234.tmp.5.7",
                        "tile/entries/191.p/170"}) {
    ASSERT_TRUE(Env::posix().write_file_atomic(d.log + "/" + p, "", Durability::kNoSync));
  }
  ASSERT_TRUE(Env::posix().write_file_atomic(d.staging + "/17", "half a tile", Durability::kNoSync));
  std::vector<std::string> notices;
  auto s = d.open(&notices);
  EXPECT_EQ(files_under(d.log), (std::vector<std::string>{"tile/entries/191.p/170"}));
  EXPECT_TRUE(files_under(d.staging).empty());
  EXPECT_EQ(notices.size(), 3u);
}

TEST(PosixLogStorage, ReadOnlyStorageRefusesWritesAndBadPaths) {
  StorageDirs d;
  auto s = posix_log_storage(Env::posix(), d.log).value();
  EXPECT_EQ(s->write_once("tile/0/000", "x").error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(s->read("../log.key").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s->read("/etc/passwd").error().code, ErrorCode::kInvalidArgument);
}

TEST(PosixLogStorage, RecognisesTheTemporariesOlderVersionsLeft) {
  EXPECT_TRUE(is_leftover_temporary("170.tmp.99.1"));
  EXPECT_TRUE(is_leftover_temporary("checkpoint.tmp.4242.0"));
  EXPECT_TRUE(is_leftover_temporary("log.vkey.tmp.77"));
  EXPECT_FALSE(is_leftover_temporary("170"));
  EXPECT_FALSE(is_leftover_temporary("170.tmp."));
  EXPECT_FALSE(is_leftover_temporary("170.tmp.x.1"));
  EXPECT_FALSE(is_leftover_temporary(".tmp.1.2"));
  EXPECT_FALSE(is_leftover_temporary("junk"));
}

std::vector<std::string_view> views(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

std::vector<std::pair<uint64_t, std::string>> replay_all(Journal& j, uint64_t from) {
  std::vector<std::pair<uint64_t, std::string>> out;
  EXPECT_TRUE(j.replay(from, [&](uint64_t first, std::span<const std::string_view> es) -> Status {
    for (size_t i = 0; i < es.size(); ++i) out.emplace_back(first + i, std::string(es[i]));
    return ok();
  }));
  return out;
}

size_t journal_files(const std::string& dir) {
  size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".journal";
  return n;
}

TEST(PosixJournal, RollsFilesReplaysThemAndReleasesPublishedOnes) {
  testing::TempDir dir;
  std::string jdir = dir.file("journal");
  {
    auto j = open_posix_journal(Env::posix(), jdir, {.file_bytes = 100, .notice = {}}).value();
    EXPECT_EQ(j->begin(), 0u);
    for (uint64_t i = 0; i < 10; ++i) {
      std::vector<std::string> es = {std::string(30, char('a' + i)), "x" + std::to_string(i)};
      ASSERT_TRUE(j->append(2 * i, views(es)));
    }
    EXPECT_EQ(j->end(), 20u);
    EXPECT_GT(journal_files(jdir), 3u);
  }
  auto j = open_posix_journal(Env::posix(), jdir, {.file_bytes = 100, .notice = {}}).value();
  EXPECT_EQ(j->end(), 20u);
  auto all = replay_all(*j, 0);
  ASSERT_EQ(all.size(), 20u);
  EXPECT_EQ(all[19], (std::pair<uint64_t, std::string>{19, "x9"}));
  auto tail = replay_all(*j, 15);
  ASSERT_FALSE(tail.empty());
  EXPECT_LE(tail.front().first, 15u);
  ASSERT_TRUE(j->release(15));
  EXPECT_LE(j->begin(), 15u);
  EXPECT_GT(j->begin(), 0u);
  ASSERT_TRUE(j->release(20));
  EXPECT_EQ(journal_files(jdir), 1u);  // the current file stays
  std::vector<std::string> more = {"next"};
  ASSERT_TRUE(j->append(20, views(more)));
  EXPECT_FALSE(j->append(7, views(more)));  // must follow end()
}

TEST(PosixJournal, CutsOffATornFinalRecord) {
  testing::TempDir dir;
  std::string jdir = dir.file("journal");
  {
    auto j = open_posix_journal(Env::posix(), jdir).value();
    std::vector<std::string> a = {"one", "two"}, b = {"three"};
    ASSERT_TRUE(j->append(0, views(a)));
    ASSERT_TRUE(j->append(2, views(b)));
  }
  std::string file = jdir + "/00000000000000000000.journal";
  fs::resize_file(file, fs::file_size(file) - 3);
  std::vector<std::string> notices;
  auto j = open_posix_journal(Env::posix(), jdir, {.notice = [&](std::string_view l) { notices.emplace_back(l); }})
               .value();
  EXPECT_EQ(j->end(), 2u);
  EXPECT_EQ(notices.size(), 1u);
  std::vector<std::string> c = {"three again"};
  ASSERT_TRUE(j->append(2, views(c)));
}

TEST(PosixJournal, DamageBeforeTheLastRecordIsCorrupt) {
  testing::TempDir dir;
  std::string jdir = dir.file("journal");
  {
    auto j = open_posix_journal(Env::posix(), jdir).value();
    std::vector<std::string> a = {"one"}, b = {"two"};
    ASSERT_TRUE(j->append(0, views(a)));
    ASSERT_TRUE(j->append(1, views(b)));
  }
  std::string file = jdir + "/00000000000000000000.journal";
  std::string data = Env::posix().read_file(file).value();
  data[26] ^= 1;  // inside the first record's payload
  ASSERT_TRUE(Env::posix().write_file_atomic(file, data, Durability::kNoSync));
  auto j = open_posix_journal(Env::posix(), jdir);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(j.error().message.find("offset 0"), std::string::npos) << j.error().message;
}

// release() deletes files without syncing the directory; a power cut may bring back some of them
// in front of a gap: they hold only published entries and are dropped.
TEST(PosixJournal, ReleasedFilesThatReappearBeforeAGapAreDropped) {
  testing::TempDir dir;
  std::string jdir = dir.file("journal");
  std::string kept;
  {
    auto j = open_posix_journal(Env::posix(), jdir, {.file_bytes = 10, .notice = {}}).value();
    for (uint64_t i = 0; i < 4; ++i) {
      std::vector<std::string> es = {"entry " + std::to_string(i)};
      ASSERT_TRUE(j->append(i, views(es)));
    }
  }
  ASSERT_EQ(journal_files(jdir), 4u);
  fs::remove(jdir + "/00000000000000000001.journal");  // released; 0 came back
  auto j = open_posix_journal(Env::posix(), jdir, {.file_bytes = 10, .notice = {}}).value();
  EXPECT_EQ(j->begin(), 2u);
  EXPECT_EQ(j->end(), 4u);
  EXPECT_FALSE(fs::exists(jdir + "/00000000000000000000.journal"));
}

}  // namespace
}  // namespace tallylog::log
