#include "tallylog/log/log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tallylog/log/storage.h"
#include "tallylog/log/tiles.h"
#include "tallylog/log/verify.h"

#include "tallylog/base/fault_env.h"
#include "tallylog/base/testing.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::log {
namespace {

std::string entry_text(uint64_t i) { return "entry number " + std::to_string(i) + std::string(i % 50, '.'); }

std::vector<merkle::Hash> leaf_hashes(uint64_t n) {
  std::vector<merkle::Hash> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(merkle::leaf_hash(entry_text(i)));
  return out;
}

Status append_range(Log& log, uint64_t from, uint64_t to, uint64_t batch) {
  for (uint64_t i = from; i < to;) {
    std::vector<std::string> b;
    for (; i < to && b.size() < batch; ++i) b.push_back(entry_text(i));
    TL_ASSIGN_OR_RETURN(uint64_t first, log.append_batch(b));
    if (first != i - b.size()) return err(ErrorCode::kInternal, "wrong first index");
  }
  return ok();
}

void expect_checkpoint(const LogReader& log, const std::string& vkey, uint64_t size, const merkle::Hash& root) {
  auto v = note::Verifier::parse(vkey).value();
  auto c = note::open_checkpoint(log.checkpoint().value(), v);
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->size, size);
  EXPECT_EQ(c->root, root);
}

TEST(Log, CreatesAnEmptySignedLog) {
  testing::TempDir dir;
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/empty"}).value();
  EXPECT_EQ(log->size(), 0u);
  expect_checkpoint(*log, log->verifier_key(), 0, merkle::empty_root());
  EXPECT_EQ(std::filesystem::status(dir.file("log.key")).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(std::filesystem::exists(dir.file("log.vkey")));
  EXPECT_FALSE(Log::create(dir.path(), {.origin = "tallylog.test/empty"}));
}

TEST(Log, RejectsBadOrigins) {
  testing::TempDir dir;
  EXPECT_FALSE(Log::create(dir.path(), {.origin = ""}));
  EXPECT_FALSE(Log::create(dir.path(), {.origin = "a\nb"}));
  EXPECT_FALSE(Log::create(dir.path(), {.origin = "\xff\xfe"}));
}

TEST(Log, AppendsReadsAndProvesAcrossTileBoundaries) {
  testing::TempDir dir;
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/a"}).value();
  const uint64_t n = 70000;  // > 256 * 256: two levels of full tiles
  ASSERT_TRUE(append_range(*log, 0, 1, 1));
  ASSERT_TRUE(append_range(*log, 1, 300, 7));
  ASSERT_TRUE(append_range(*log, 300, n, 1000));
  ASSERT_TRUE(log->await_checkpoint(n));
  ASSERT_EQ(log->size(), n);
  auto leaves = leaf_hashes(n);
  merkle::Hash root = merkle::root_of(leaves);
  EXPECT_EQ(log->root_hash(n).value(), root);
  expect_checkpoint(*log, log->verifier_key(), n, root);
  EXPECT_EQ(log->entry(0).value(), entry_text(0));
  EXPECT_EQ(log->entry(65537).value(), entry_text(65537));
  EXPECT_FALSE(log->entry(n));
  uint64_t seen = 0;
  ASSERT_TRUE(log->for_each_entry(250, 2000, [&](uint64_t i, std::string_view e) -> Status {
    EXPECT_EQ(e, entry_text(i));
    ++seen;
    return ok();
  }));
  EXPECT_EQ(seen, 1750u);
  for (uint64_t size : {uint64_t{1}, uint64_t{255}, uint64_t{256}, uint64_t{257}, uint64_t{65536}, uint64_t{69999}, n}) {
    merkle::Hash r = merkle::root_of(std::span<const merkle::Hash>(leaves).subspan(0, size));
    ASSERT_EQ(log->root_hash(size).value(), r) << size;
    for (uint64_t i : {uint64_t{0}, size / 2, size - 1}) {
      auto p = log->inclusion_proof(i, size).value();
      EXPECT_TRUE(merkle::verify_inclusion(i, size, leaves[i], p, r)) << i << "/" << size;
    }
    auto cp = log->consistency_proof(size / 3 + 1, size).value();
    merkle::Hash r1 = merkle::root_of(std::span<const merkle::Hash>(leaves).subspan(0, size / 3 + 1));
    EXPECT_TRUE(merkle::verify_consistency(size / 3 + 1, size, cp, r1, r)) << size;
  }
  EXPECT_FALSE(log->inclusion_proof(0, n + 1));
}

TEST(Log, ReopensWithTheSameTreeAndKeepsAppending) {
  testing::TempDir dir;
  std::string vkey;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/b"}).value();
    vkey = log->verifier_key();
    ASSERT_TRUE(append_range(*log, 0, 1000, 33));
  }
  auto log = Log::open(dir.path()).value();
  EXPECT_EQ(log->size(), 1000u);
  EXPECT_EQ(log->verifier_key(), vkey);
  ASSERT_TRUE(append_range(*log, 1000, 1500, 100));
  ASSERT_TRUE(log->await_checkpoint(1500));
  expect_checkpoint(*log, vkey, 1500, merkle::root_of(leaf_hashes(1500)));
  ASSERT_TRUE(log->close());
  auto reader = open_reader(dir.path()).value();
  EXPECT_EQ(reader->size(), 1500u);
  EXPECT_EQ(reader->entry(1234).value(), entry_text(1234));
}

TEST(Log, OnlyOneProcessMayHoldTheLog) {
  testing::TempDir dir;
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/c"}).value();
  auto second = Log::open(dir.path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
}

TEST(Log, RejectsAnEntryOver65535BytesAndTheWholeBatch) {
  testing::TempDir dir;
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/d"}).value();
  std::vector<std::string> batch = {"ok", std::string(65536, 'x')};
  auto r = log->append_batch(batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(log->size(), 0u);
  EXPECT_EQ(log->append(std::string(65535, 'y')).value(), 0u);
}

TEST(Log, ConcurrentAppendsGetDistinctIndexesAndAllLand) {
  testing::TempDir dir;
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/e"}).value();
  const int threads = 8, per = 300;
  std::vector<std::vector<uint64_t>> got(threads);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < per; ++i) {
        auto r = log->append("t" + std::to_string(t) + "-" + std::to_string(i));
        ASSERT_TRUE(r);
        got[t].push_back(*r);
      }
    });
  }
  for (auto& t : ts) t.join();
  ASSERT_TRUE(log->await_checkpoint(threads * per));
  std::set<uint64_t> all;
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per; ++i) {
      all.insert(got[t][i]);
      EXPECT_EQ(log->entry(got[t][i]).value(), "t" + std::to_string(t) + "-" + std::to_string(i));
    }
  }
  EXPECT_EQ(all.size(), size_t{threads * per});
  EXPECT_EQ(*all.rbegin(), uint64_t{threads * per - 1});
}

TEST(Log, JournalRotationDeletesSupersededPartialsAndReopens) {
  testing::TempDir dir;
  OpenOptions o;
  o.journal_rotate_bytes = 20000;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/f"}, o).value();
    ASSERT_TRUE(append_range(*log, 0, 3000, 10));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("log/tile/0/000.p/10")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("log/tile/0/000")));
  int journals = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.file("journal"))) journals += e.path().extension() == ".journal";
  EXPECT_EQ(journals, 1);
  auto log = Log::open(dir.path(), o).value();
  EXPECT_EQ(log->size(), 3000u);
  ASSERT_TRUE(append_range(*log, 3000, 3100, 10));
  ASSERT_TRUE(log->await_checkpoint(3100));
  expect_checkpoint(*log, log->verifier_key(), 3100, merkle::root_of(leaf_hashes(3100)));
}

TEST(Log, RefusesToOpenWhenTheCheckpointDisagreesWithTheTiles) {
  testing::TempDir dir;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/g"}).value();
    ASSERT_TRUE(append_range(*log, 0, 10, 10));
  }
  // A checkpoint further along than the journal means acknowledged entries were lost.
  {
    auto log = Log::open(dir.path()).value();
    ASSERT_TRUE(log->append("one more"));
    ASSERT_TRUE(log->close());
    // Roll the journal back to the first record only.
    auto j = dir.file("journal/00000000000000000000.journal");
    auto size = std::filesystem::file_size(j);
    std::filesystem::resize_file(j, size - (4 + 8 + 4 + 8 + 2 + 8 + 32));
  }
  auto r = Log::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("refusing"), std::string::npos) << r.error().to_string();
}

OpenOptions quiet(OpenOptions o = {}) {
  o.notice = [](std::string_view) {};
  return o;
}

// Issue 10, finding 10: appends are acknowledged once durable; checkpoints follow on an
// interval (right away after a quiet spell), so one-by-one appends share checkpoints.
TEST(Log, AppendReturnsOnceDurableAndAwaitCheckpointWaitsForThePublisher) {
  testing::TempDir dir;
  OpenOptions o = quiet();
  o.checkpoint_interval = std::chrono::hours(1);
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/await"}, o).value();
  ASSERT_EQ(log->append("first").value(), 0u);  // after a quiet spell: published at once
  ASSERT_TRUE(log->await_checkpoint(1));
  ASSERT_EQ(log->append("second").value(), 1u);  // within the interval: durable, not yet published
  ASSERT_EQ(log->append("third").value(), 2u);
  EXPECT_EQ(log->sequenced_size(), 3u);
  EXPECT_EQ(log->size(), 1u);
  auto r = log->await_checkpoint(3, std::chrono::milliseconds(20));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(log->await_checkpoint(4).error().code, ErrorCode::kInvalidArgument);  // never appended
  auto cp = log->publish_now();
  ASSERT_TRUE(cp) << cp.error().to_string();
  EXPECT_EQ(log->size(), 3u);
  EXPECT_EQ(log->await_checkpoint(3).value(), *cp);
  EXPECT_EQ(log->entry(2).value(), "third");
  ASSERT_TRUE(log->append("fourth"));
  ASSERT_TRUE(log->close());  // publishes what is pending
  auto reader = open_reader(dir.path()).value();
  EXPECT_EQ(reader->size(), 4u);
  EXPECT_TRUE(reader->await_checkpoint(4));
  EXPECT_EQ(reader->await_checkpoint(5).error().code, ErrorCode::kUnavailable);
}

// Counts what a Log writes through its Env: checkpoints published and files created in log/.
class CountingEnv : public EnvWrapper {
 public:
  explicit CountingEnv(std::string log_dir, Env* target = &Env::posix())
      : EnvWrapper(target), log_dir_(std::move(log_dir) + "/") {}
  Status rename(const std::string& f, const std::string& t) override {
    count(f, t);
    return EnvWrapper::rename(f, t);
  }
  Status rename_no_replace(const std::string& f, const std::string& t) override {
    count(f, t);
    return EnvWrapper::rename_no_replace(f, t);
  }
  Status write_file_atomic(const std::string& p, std::string_view d, Durability du) override {
    if (p.starts_with(log_dir_)) written_in_place.push_back(p);
    if (p == log_dir_ + "checkpoint") ++checkpoints;
    return EnvWrapper::write_file_atomic(p, d, du);
  }
  Result<std::unique_ptr<AppendFile>> open_append(const std::string& p) override {
    if (p.starts_with(log_dir_)) written_in_place.push_back(p);
    return EnvWrapper::open_append(p);
  }
  std::atomic<int> checkpoints{0}, published_files{0};
  std::vector<std::string> written_in_place;  // files written directly under log/ (not renamed in)

 private:
  void count(const std::string& f, const std::string& t) {
    if (!t.starts_with(log_dir_)) return;
    if (f.starts_with(log_dir_)) written_in_place.push_back(f);
    if (t == log_dir_ + "checkpoint") ++checkpoints;
    else ++published_files;
  }
  std::string log_dir_;
};

TEST(Log, OneByOneAppendsShareCheckpoints) {
  testing::TempDir dir;
  { auto log = Log::create(dir.path(), {.origin = "tallylog.test/share"}, quiet()).value(); }
  CountingEnv env(dir.file("log"));
  OpenOptions o = quiet();
  o.env = &env;
  o.checkpoint_interval = std::chrono::hours(1);
  auto log = Log::open(dir.path(), o).value();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->append("one by one " + std::to_string(i)));
  ASSERT_TRUE(log->close());
  // One at once (the first after a quiet spell), one at close: not one per append.
  EXPECT_LE(env.checkpoints.load(), 2);
  EXPECT_EQ(open_reader(dir.path()).value()->size(), 100u);
}

// Issue 10, finding 2: temporaries of atomic writes are never published inside log/: every
// file there appears by renaming a complete file from outside.
TEST(Log, NeverWritesATemporaryInsideTheLogDirectory) {
  testing::TempDir dir;
  CountingEnv env(dir.file("log"));
  OpenOptions o = quiet();
  o.env = &env;
  o.checkpoint_interval = std::chrono::milliseconds(0);
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/tmp"}, o).value();
    for (uint64_t i = 0; i < 600; i += 50) {
      ASSERT_TRUE(append_range(*log, i, i + 50, 50));
      ASSERT_TRUE(log->publish_now());
    }
  }
  auto log = Log::open(dir.path(), o).value();
  ASSERT_TRUE(log->close());
  EXPECT_TRUE(env.written_in_place.empty()) << env.written_in_place.front();
  EXPECT_GT(env.published_files.load(), 10);
}

// Issue 10, finding 2: a temporary left in log/ by a crash of an older version is removed at
// open, and verify reports it instead of raising a tamper alarm; an unknown file is still an error.
TEST(Log, LeftoverTemporariesAreRemovedAtOpenAndReportedByVerify) {
  testing::TempDir dir;
  std::string vkey;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/leftover"}, quiet()).value();
    vkey = log->verifier_key();
    ASSERT_TRUE(append_range(*log, 0, 300, 300));
  }
  Env& env = Env::posix();
  ASSERT_TRUE(env.write_file_atomic(dir.file("log/tile/entries/001.p/170.tmp.99.1"), "", Durability::kNoSync));
  ASSERT_TRUE(env.write_file_atomic(dir.file("log/checkpoint.tmp.99.2"), "", Durability::kNoSync));
  auto key = note::Verifier::parse(vkey).value();
  auto files = local_log_files(env, dir.file("log"));
  auto r = verify_log(*files, key);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->leftover_temporaries, std::vector<std::string>{"tile/entries/001.p/170.tmp.99.1"});
  ASSERT_TRUE(env.write_file_atomic(dir.file("log/tile/entries/001.p/junk"), "", Durability::kNoSync));
  auto bad = verify_log(*files, key);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unexpected file"), std::string::npos);
  ASSERT_TRUE(env.remove_file(dir.file("log/tile/entries/001.p/junk")));

  std::vector<std::string> notices;
  OpenOptions o;
  o.notice = [&](std::string_view l) { notices.emplace_back(l); };
  auto log = Log::open(dir.path(), o).value();
  ASSERT_TRUE(log->append("after"));
  ASSERT_TRUE(log->close());
  EXPECT_FALSE(env.exists(dir.file("log/tile/entries/001.p/170.tmp.99.1")));
  EXPECT_FALSE(env.exists(dir.file("log/checkpoint.tmp.99.2")));
  EXPECT_EQ(notices.size(), 2u);
  auto again = verify_log(*files, key);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(again->leftover_temporaries.empty());
}

// Issue 10, finding 10: partials of a tile are deleted as soon as the full tile is published
// (tlog-tiles allows it; clients with older checkpoints read the full tile), while the
// partials every published checkpoint of the incomplete tile needs stay.
TEST(Log, DeletesSupersededPartialsAsSoonAsTheFullTileIsPublished) {
  testing::TempDir dir;
  testing::FaultEnv no_fsync(dir.path());  // models durability instead of waiting for the disk
  OpenOptions o = quiet();
  o.env = &no_fsync;
  o.checkpoint_interval = std::chrono::milliseconds(0);
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/partials"}, o).value();
  std::vector<uint64_t> published;
  for (uint64_t i = 0; i < 300; i += 10) {
    ASSERT_TRUE(append_range(*log, i, i + 10, 10));
    ASSERT_TRUE(log->publish_now());
    published.push_back(i + 10);
  }
  namespace fs = std::filesystem;
  EXPECT_FALSE(fs::exists(dir.file("log/tile/0/000.p")));
  EXPECT_FALSE(fs::exists(dir.file("log/tile/entries/000.p")));
  EXPECT_TRUE(fs::exists(dir.file("log/tile/0/000")));
  for (uint64_t size : published) {
    if (size <= 256) continue;
    EXPECT_TRUE(fs::exists(dir.file("log/" + bundle_path(1, size - 256)))) << size;
    EXPECT_TRUE(fs::exists(dir.file("log/" + tile_path(0, 1, size - 256)))) << size;
  }
  // A client holding the checkpoint of size 100 still gets every proof from the full tile.
  auto leaves = leaf_hashes(300);
  auto p = log->inclusion_proof(42, 100).value();
  EXPECT_TRUE(merkle::verify_inclusion(42, 100, leaves[42], p,
                                       merkle::root_of(std::span<const merkle::Hash>(leaves).subspan(0, 100))));
}

// Issue 10, finding 10: restart time must not depend on how many checkpoints were published:
// recovery integrates the journal in one pass and writes nothing it already has.
TEST(Log, RestartRewritesNoIntermediatePartials) {
  testing::TempDir dir;
  testing::FaultEnv no_fsync(dir.path());  // models durability instead of waiting for the disk
  OpenOptions o = quiet();
  o.env = &no_fsync;
  o.checkpoint_interval = std::chrono::milliseconds(0);
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/restart"}, o).value();
    for (uint64_t i = 0; i < 300; ++i) {
      ASSERT_TRUE(log->append(entry_text(i)));
      ASSERT_TRUE(log->await_checkpoint(i + 1));  // worst case: a checkpoint per append
    }
  }
  CountingEnv env(dir.file("log"));
  o.env = &env;
  auto log = Log::open(dir.path(), o).value();
  EXPECT_EQ(log->size(), 300u);
  EXPECT_EQ(env.published_files.load(), 0);
  EXPECT_EQ(env.checkpoints.load(), 0);
}

// Issue 11, point 4: a torn or empty checkpoint (a power cut on a file system that does not
// flush before rename, or an older version that wrote it without fsync) is rebuilt from the
// tiles and the journal, never a reason to refuse to open.
TEST(Log, RebuildsATornOrEmptyCheckpoint) {
  for (int damage = 0; damage < 3; ++damage) {
    testing::TempDir dir;
    std::string full;
    {
      auto log = Log::create(dir.path(), {.origin = "tallylog.test/torn"}, quiet()).value();
      ASSERT_TRUE(append_range(*log, 0, 700, 100));
      full = log->publish_now().value();
    }
    std::string cp = dir.file("log/checkpoint");
    std::string damaged = damage == 0 ? "" : damage == 1 ? full.substr(0, full.size() - 20) : full.substr(0, 30);
    ASSERT_TRUE(Env::posix().write_file_atomic(cp, damaged, Durability::kNoSync));
    std::vector<std::string> notices;
    OpenOptions o;
    o.notice = [&](std::string_view l) { notices.emplace_back(l); };
    auto log = Log::open(dir.path(), o);
    ASSERT_TRUE(log) << damage << ": " << log.error().to_string();
    EXPECT_EQ((*log)->size(), 700u);
    EXPECT_EQ((*log)->checkpoint().value(), full);  // Ed25519 is deterministic: the same note
    EXPECT_EQ(Env::posix().read_file(cp).value(), full);
    ASSERT_EQ(notices.size(), 1u) << damage;
    EXPECT_NE(notices[0].find("rebuilding"), std::string::npos);
  }
}

// Issue 10, finding 7: readers (reindex and catch-up use for_each_entry) recompute each leaf
// hash against the tiles and the signed root, and name the bundle and index that differ.
TEST(Log, ReadersRejectAnEntryAlteredInItsBundle) {
  testing::TempDir dir;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/forged"}, quiet()).value();
    ASSERT_TRUE(append_range(*log, 0, 600, 600));
  }
  std::string bundle = dir.file("log/tile/entries/001");
  std::string data = Env::posix().read_file(bundle).value();
  size_t at = data.find(entry_text(300));
  ASSERT_NE(at, std::string::npos);
  data[at + 13] = data[at + 13] == '7' ? '8' : '7';  // one digit, as in the adversarial test
  ASSERT_TRUE(Env::posix().write_file_atomic(bundle, data, Durability::kNoSync));
  auto reader = open_reader(dir.path()).value();
  auto r = reader->for_each_entry(0, 600, [](uint64_t, std::string_view) { return ok(); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
  EXPECT_NE(r.error().message.find("tile/entries/001: entry 300 "), std::string::npos) << r.error().message;
  EXPECT_FALSE(reader->entry(300));
  EXPECT_EQ(reader->entry(299).value(), entry_text(299));  // the rest of the bundle reads fine
}

TEST(Log, ReadersRejectATileAlteredTogetherWithItsBundle) {
  testing::TempDir dir;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/forged2"}, quiet()).value();
    ASSERT_TRUE(append_range(*log, 0, 600, 600));
  }
  // Forge entry 5 and its leaf hash consistently: the level-0 tile no longer hashes to the root.
  std::vector<std::string> entries;
  for (uint64_t i = 0; i < 256; ++i) entries.push_back(i == 5 ? "forged" : entry_text(i));
  ASSERT_TRUE(Env::posix().write_file_atomic(dir.file("log/tile/entries/000"), encode_bundle(entries), Durability::kNoSync));
  std::vector<merkle::Hash> hashes;
  for (const auto& e : entries) hashes.push_back(merkle::leaf_hash(e));
  ASSERT_TRUE(Env::posix().write_file_atomic(dir.file("log/tile/0/000"), encode_tile(hashes), Durability::kNoSync));
  auto reader = open_reader(dir.path()).value();
  auto r = reader->entry(5);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
  EXPECT_NE(r.error().message.find("tile/0/000"), std::string::npos) << r.error().message;
  EXPECT_FALSE(reader->inclusion_proof(5, 600));
}

// Issue 10, finding 7: a writer refuses to open a log whose stored data disagree with its tree,
// even data older than the journal.
TEST(Log, RefusesToOpenForWritingALogWhoseOldBundlesWereAltered) {
  testing::TempDir dir;
  OpenOptions o = quiet();
  o.journal_rotate_bytes = 1000;  // the altered entry is no longer in the journal
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/old"}, o).value();
    for (uint64_t i = 0; i < 1200; i += 100) {
      ASSERT_TRUE(append_range(*log, i, i + 100, 100));
      ASSERT_TRUE(log->publish_now());
    }
  }
  std::string bundle = dir.file("log/tile/entries/001");
  std::string data = Env::posix().read_file(bundle).value();
  data[data.find(entry_text(300)) + 13] ^= 1;
  ASSERT_TRUE(Env::posix().write_file_atomic(bundle, data, Durability::kNoSync));
  auto log = Log::open(dir.path(), o);
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("entry 300"), std::string::npos) << log.error().message;
  EXPECT_NE(log.error().message.find("refusing to open it for writing"), std::string::npos) << log.error().message;
}

// Issue 10, finding 7: replaying the journal never silently rewrites a stored bundle whose bytes
// differ from the ones rebuilt from the journal: it reports it and leaves the file as it is.
TEST(Log, ReplayReportsAStoredBundleThatDiffersInsteadOfRewritingIt) {
  testing::TempDir dir;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/replay"}, quiet()).value();
    ASSERT_TRUE(append_range(*log, 0, 300, 300));  // still in the journal
  }
  std::string bundle = dir.file("log/tile/entries/000");
  std::string data = Env::posix().read_file(bundle).value();
  data[data.find(entry_text(7)) + 13] ^= 1;
  ASSERT_TRUE(Env::posix().write_file_atomic(bundle, data, Durability::kNoSync));
  auto log = Log::open(dir.path(), quiet());
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(log.error().message.find("tile/entries/000"), std::string::npos) << log.error().message;
  EXPECT_EQ(Env::posix().read_file(bundle).value(), data);
}

// The cosigning hook (witnesses, SEAMS.md): its extra signature lines are published, and every
// reader accepts a checkpoint carrying signatures by keys it does not know.
TEST(Log, PublishesCosignaturesFromTheHookAndEveryReaderAcceptsThem) {
  testing::TempDir dir;
  auto witness = note::Signer::generate("witness.example/w1").value();
  OpenOptions o = quiet();
  o.cosign = [&](const std::string& cp) -> Result<std::string> {
    auto n = note::parse_note(cp).value();
    auto sig = note::sign_note(n.text, witness).value();
    return cp + sig.substr(n.text.size() + 1);  // the witness's signature line appended
  };
  std::string vkey;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/cosigned"}, o).value();
    vkey = log->verifier_key();
    ASSERT_TRUE(log->append("witnessed"));
    auto cp = log->await_checkpoint(1).value();
    auto n = note::parse_note(cp).value();
    ASSERT_EQ(n.signatures.size(), 2u);
    EXPECT_EQ(n.signatures[1].name, "witness.example/w1");
    EXPECT_EQ(Env::posix().read_file(dir.file("log/checkpoint")).value(), cp);
  }
  auto key = note::Verifier::parse(vkey).value();
  auto files = local_log_files(Env::posix(), dir.file("log"));
  EXPECT_TRUE(verify_log(*files, key));
  EXPECT_EQ(open_reader(dir.path()).value()->size(), 1u);
  auto log = Log::open(dir.path(), quiet());  // recovery accepts it too
  ASSERT_TRUE(log) << log.error().to_string();
  EXPECT_EQ(note::parse_note((*log)->checkpoint().value()).value().signatures.size(), 2u);
}

// A log reopened with a hook (a server restarted with witnesses, after the count is over) has the
// checkpoint it opened with cosigned without waiting for an append; a hook that fails then does not
// take away the cosignatures already on disk.
TEST(Log, AsksTheHookToCosignTheCheckpointItOpenedWith) {
  testing::TempDir dir;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/reopened"}, quiet()).value();
    ASSERT_TRUE(log->append("first"));
    ASSERT_TRUE(log->append("second"));
    ASSERT_TRUE(log->close());
  }
  auto witness = note::Signer::generate("witness.example/w1").value();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> asked;
  bool fail = false;
  OpenOptions o = quiet();
  o.cosign = [&](const std::string& cp) -> Result<std::string> {
    std::lock_guard lock(mu);
    asked.push_back(cp);
    cv.notify_all();
    if (fail) return err(ErrorCode::kUnavailable, "witness down");
    auto n = note::parse_note(cp).value();
    return cp + note::sign_note(n.text, witness).value().substr(n.text.size() + 1);
  };
  const std::string cp_file = dir.file("log/checkpoint");
  {
    auto log = Log::open(dir.path(), o).value();
    {
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return !asked.empty(); }));
      EXPECT_EQ(note::Checkpoint::parse_body(note::parse_note(asked[0]).value().text).value().size,
                2u);
    }
    ASSERT_TRUE(log->close());  // joins the publisher: what it published is on disk
    auto n = note::parse_note(Env::posix().read_file(cp_file).value()).value();
    ASSERT_EQ(n.signatures.size(), 2u);
    EXPECT_EQ(n.signatures[1].name, "witness.example/w1");
  }
  const std::string cosigned = Env::posix().read_file(cp_file).value();
  {
    std::lock_guard lock(mu);  // the hook reads both on the log's threads
    fail = true;
    asked.clear();
  }
  {
    auto log = Log::open(dir.path(), o).value();
    {
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return !asked.empty(); }));
    }
    ASSERT_TRUE(log->close());
  }
  EXPECT_EQ(Env::posix().read_file(cp_file).value(),
            cosigned);  // kept, not replaced by the log's own note
  // An empty log has nothing to have cosigned at open.
  testing::TempDir empty;
  {
    std::lock_guard lock(mu);
    asked.clear();
    fail = false;
  }
  ASSERT_TRUE(Log::create(empty.path(), {.origin = "tallylog.test/empty"}, o).value()->close());
  auto reopened = Log::open(empty.path(), o).value();
  ASSERT_TRUE(reopened->close());
  EXPECT_TRUE(asked.empty());
}

TEST(Log, PublishesItsOwnNoteWhenTheHookFailsLiesOrHangs) {
  testing::TempDir dir;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int mode = 0;
  std::string first_seen;
  OpenOptions o = quiet();
  o.cosign_deadline = std::chrono::milliseconds(50);
  o.cosign = [&](const std::string& cp) -> Result<std::string> {
    if (first_seen.empty()) first_seen = cp;
    if (mode == 0) return err(ErrorCode::kUnavailable, "witness unreachable");
    if (mode == 1) return first_seen;  // validly signed by the log, but another checkpoint
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });  // hangs until the test ends
    return cp;
  };
  std::vector<std::string> notices;
  o.notice = [&](std::string_view l) {
    std::lock_guard lock(mu);
    notices.emplace_back(l);
  };
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/hook"}, o).value();
  for (mode = 0; mode < 3; ++mode) {
    ASSERT_TRUE(log->append("entry " + std::to_string(mode)));
    auto cp = log->publish_now();
    ASSERT_TRUE(cp) << mode;
    EXPECT_EQ(note::parse_note(*cp).value().signatures.size(), 1u) << mode;
  }
  ASSERT_TRUE(log->append("while the hook hangs"));  // appends never wait for the hook
  ASSERT_TRUE(log->publish_now());
  {
    std::lock_guard lock(mu);
    release = true;
    EXPECT_GE(notices.size(), 3u);
  }
  cv.notify_all();
  ASSERT_TRUE(log->close());
}

// A mirror holds only log/ and log.vkey: open_reader needs nothing else (no key, no journal).
TEST(Log, OpenReaderWorksOnADirectoryWithOnlyLogAndVkey) {
  testing::TempDir dir, mirror;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/mirror"}, quiet()).value();
    ASSERT_TRUE(append_range(*log, 0, 700, 100));
  }
  namespace fs = std::filesystem;
  fs::copy(dir.file("log"), mirror.file("log"), fs::copy_options::recursive);
  fs::copy(dir.file("log.vkey"), mirror.file("log.vkey"));
  auto reader = open_reader(mirror.path());
  ASSERT_TRUE(reader) << reader.error().to_string();
  EXPECT_EQ((*reader)->size(), 700u);
  EXPECT_EQ((*reader)->entry(650).value(), entry_text(650));
  EXPECT_EQ((*reader)->root_hash(700).value(), merkle::root_of(leaf_hashes(700)));
  EXPECT_FALSE(fs::exists(mirror.file("staging")));  // a reader writes nothing
}

// OpenCheck::kRecent skips re-reading old bundles at open, but what is read is still checked.
TEST(Log, RecentOpenCheckSkipsOldBundlesButReadsStillCatchThem) {
  testing::TempDir dir;
  OpenOptions o = quiet();
  o.journal_rotate_bytes = 1000;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/recent"}, o).value();
    for (uint64_t i = 0; i < 1200; i += 100) {
      ASSERT_TRUE(append_range(*log, i, i + 100, 100));
      ASSERT_TRUE(log->publish_now());
    }
  }
  std::string bundle = dir.file("log/tile/entries/001");
  std::string data = Env::posix().read_file(bundle).value();
  data[data.find(entry_text(300)) + 13] ^= 1;
  ASSERT_TRUE(Env::posix().write_file_atomic(bundle, data, Durability::kNoSync));
  o.check = OpenCheck::kRecent;
  auto log = Log::open(dir.path(), o);
  ASSERT_TRUE(log) << log.error().to_string();
  auto r = (*log)->for_each_entry(0, 1200, [](uint64_t, std::string_view) { return ok(); });
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("entry 300"), std::string::npos) << r.error().message;
}

// Issue 16: after a clean close the next open does not re-read the log's old files (start-up
// proportional to what is new, not to the log), but any file replaced or rewritten since, or a
// close that never happened, brings the full check back.
class CountingStorage final : public LogStorage {
 public:
  explicit CountingStorage(std::shared_ptr<LogStorage> inner) : inner_(std::move(inner)) {}
  Result<std::string> read(const std::string& path) const override {
    if (path.starts_with("tile/entries/")) ++bundle_reads;
    return inner_->read(path);
  }
  Result<std::vector<std::string>> list(const std::string& dir) const override { return inner_->list(dir); }
  Status write_once(const std::string& path, std::string_view data) override { return inner_->write_once(path, data); }
  Status make_durable() override { return inner_->make_durable(); }
  Status write_checkpoint(std::string_view note) override { return inner_->write_checkpoint(note); }
  Status remove(const std::string& path) override { return inner_->remove(path); }
  Result<std::string> fingerprint() const override { return inner_->fingerprint(); }
  mutable std::atomic<int> bundle_reads{0};

 private:
  std::shared_ptr<LogStorage> inner_;
};

TEST(Log, ACleanCloseLetsTheNextOpenSkipRereadingOldBundles) {
  testing::TempDir dir;
  OpenOptions o = quiet();
  o.journal_rotate_bytes = 1000;
  {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/clean"}, o).value();
    for (uint64_t i = 0; i < 2600; i += 100) {
      ASSERT_TRUE(append_range(*log, i, i + 100, 100));
      ASSERT_TRUE(log->publish_now());
    }
    ASSERT_TRUE(log->close());
  }
  // Opens with storage that counts bundle reads; returns them (the log is closed again).
  auto open_counting = [&]() -> int {
    OpenOptions c = o;
    auto inner = posix_log_storage(Env::posix(), dir.file("log"), PosixStorageOptions{dir.file("staging"), {}});
    EXPECT_TRUE(inner) << inner.error().to_string();
    if (!inner) return -1;
    auto counting = std::make_shared<CountingStorage>(std::shared_ptr<LogStorage>(std::move(*inner)));
    c.storage = counting;
    auto log = Log::open(dir.path(), c);
    EXPECT_TRUE(log) << log.error().to_string();
    if (!log) return -1;
    int reads = counting->bundle_reads.load();
    EXPECT_TRUE((*log)->close());
    EXPECT_EQ((*log)->size(), 2600u);
    return reads;
  };
  EXPECT_LE(open_counting(), 2);  // the right edge only (its partial bundle)
  // The same bytes written again (a new file): every bundle is read and checked again.
  std::string bundle = dir.file("log/tile/entries/003");
  std::string data = Env::posix().read_file(bundle).value();
  ASSERT_TRUE(Env::posix().write_file_atomic(bundle, data, Durability::kNoSync));
  EXPECT_GE(open_counting(), 10);
  EXPECT_LE(open_counting(), 2);  // that open closed cleanly again
  // No clean close (the note is consumed at open; a crash never writes it): full check.
  {
    auto log = Log::open(dir.path(), o).value();
    ASSERT_TRUE(std::filesystem::exists(dir.file("journal/clean")) == false);
    ASSERT_TRUE(log->close());
  }
  ASSERT_TRUE(Env::posix().remove_file(dir.file("journal/clean")));
  EXPECT_GE(open_counting(), 10);
}

// A real crash: a child process appends and reports each acknowledged batch through a pipe;
// the parent SIGKILLs it mid-stream, reopens the log and checks nothing acknowledged is lost.
TEST(Log, SurvivesSigkillOfTheAppendingProcess) {
  for (int round = 0; round < 4; ++round) {
    testing::TempDir dir;
    std::string vkey;
    {
      auto log = Log::create(dir.path(), {.origin = "tallylog.test/kill"}).value();
      vkey = log->verifier_key();
    }
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      OpenOptions o;
      o.journal_rotate_bytes = 30000;  // rotations happen too
      auto log = Log::open(dir.path(), o);
      if (!log) ::_exit(2);
      for (uint64_t i = 0;; i += 37) {
        std::vector<std::string> b;
        for (uint64_t j = i; j < i + 37; ++j) b.push_back(entry_text(j));
        if (!(*log)->append_batch(b)) ::_exit(3);
        uint64_t acked = i + 37;
        if (::write(fds[1], &acked, sizeof acked) != sizeof acked) ::_exit(4);
      }
    }
    ::close(fds[1]);
    uint64_t acked = 0, v = 0;
    for (int k = 0; k < 5 + round * 7 && ::read(fds[0], &v, sizeof v) == sizeof v; ++k) acked = v;
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    while (::read(fds[0], &v, sizeof v) == sizeof v) acked = v;  // acks sent before the kill
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    auto log = Log::open(dir.path());
    ASSERT_TRUE(log) << log.error().to_string();
    uint64_t n = (*log)->size();
    EXPECT_GE(n, acked) << "round " << round;
    std::printf("round %d: %llu acknowledged before SIGKILL, %llu recovered\n", round, static_cast<unsigned long long>(acked), static_cast<unsigned long long>(n));
    expect_checkpoint(**log, vkey, n, merkle::root_of(leaf_hashes(n)));
    ASSERT_TRUE((*log)->close());
    auto files = local_log_files(Env::posix(), dir.file("log"));
    auto r = verify_log(*files, note::Verifier::parse(vkey).value());
    EXPECT_TRUE(r) << r.error().to_string();
  }
}

}  // namespace
}  // namespace tallylog::log
