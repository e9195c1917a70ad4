#include "tallylog/log/log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tallylog/log/verify.h"

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
  expect_checkpoint(*log, vkey, 1500, merkle::root_of(leaf_hashes(1500)));
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
    std::string text;
    auto log = Log::open(dir.path()).value();
    ASSERT_TRUE(log->append("one more"));
    text = log->checkpoint().value();
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

// Fails every mutating call after a budget of them, as a crash at that point would.
class CrashingEnv : public EnvWrapper {
 public:
  explicit CrashingEnv(int budget) : EnvWrapper(&Env::posix()), budget_(budget) {}
  Status write_file_atomic(const std::string& p, std::string_view d, Durability du) override {
    TL_TRY(spend());
    (void)du;  // a process crash (not a power cut) is simulated: skip the slow fsyncs
    return base_.write_file_atomic(p, d, Durability::kNoSync);
  }
  Result<std::unique_ptr<AppendFile>> open_append(const std::string& p) override {
    TL_TRY(spend());
    TL_ASSIGN_OR_RETURN(auto f, base_.open_append(p));
    return std::unique_ptr<AppendFile>(new File(this, std::move(f)));
  }
  Status truncate(const std::string& p, uint64_t s) override {
    TL_TRY(spend());
    return base_.truncate(p, s);
  }
  Status create_dirs(const std::string& p) override {
    TL_TRY(spend());
    return base_.create_dirs(p);
  }
  Status remove_file(const std::string& p) override {
    TL_TRY(spend());
    return base_.remove_file(p);
  }
  Status rename(const std::string& f, const std::string& t) override {
    TL_TRY(spend());
    return base_.rename(f, t);
  }
  Status sync_dir(const std::string&) override { return spend(); }
  Status write_new_file_private(const std::string& p, std::string_view d, unsigned m) override {
    TL_TRY(spend());
    return base_.write_new_file_private(p, d, m);
  }
  bool crashed() const { return budget_ < 0; }

 private:
  class File : public AppendFile {
   public:
    File(CrashingEnv* env, std::unique_ptr<AppendFile> f) : env_(env), f_(std::move(f)) {}
    Status append(std::string_view d) override {
      TL_TRY(env_->spend());
      // A crash in the middle of a write leaves a torn record behind.
      if (env_->budget_ == 0) {
        (void)f_->append(d.substr(0, d.size() / 2));
        return err(ErrorCode::kIo, "simulated crash in the middle of a write");
      }
      return f_->append(d);
    }
    Status sync() override { return env_->spend(); }
    Status close() override { return f_->close(); }

   private:
    CrashingEnv* env_;
    std::unique_ptr<AppendFile> f_;
  };
  Status spend() {
    if (--budget_ < 0) return err(ErrorCode::kIo, "simulated crash");
    return ok();
  }
  Env& base_ = Env::posix();
  int budget_;
};

TEST(Log, ACrashAtAnyPointLosesNoAcknowledgedEntry) {
  testing::TempDir seed;
  {
    auto log = Log::create(seed.path(), {.origin = "tallylog.test/crash"}).value();
    ASSERT_TRUE(append_range(*log, 0, 300, 50));
  }
  for (int budget = 0; budget < 400; budget += 5) {
    testing::TempDir dir;
    std::filesystem::copy(seed.path(), dir.path(), std::filesystem::copy_options::recursive);
    uint64_t acked = 300;
    {
      CrashingEnv env(budget);
      OpenOptions o;
      o.env = &env;
      o.journal_rotate_bytes = 4000;
      auto log = Log::open(dir.path(), o);
      if (log) {
        for (uint64_t i = 300; i < 1000; i += 20) {
          std::vector<std::string> b;
          for (uint64_t j = i; j < i + 20; ++j) b.push_back(entry_text(j));
          auto r = (*log)->append_batch(b);
          if (!r) break;
          ASSERT_EQ(*r, i);
          acked = i + 20;
        }
      }
      if (!env.crashed()) continue;
    }
    CrashingEnv no_sync(1 << 30);
    OpenOptions o;
    o.env = &no_sync;
    auto log = Log::open(dir.path(), o);
    ASSERT_TRUE(log) << "budget " << budget << ": " << log.error().to_string();
    ASSERT_GE((*log)->size(), acked) << "budget " << budget;
    uint64_t n = (*log)->size();
    expect_checkpoint(**log, (*log)->verifier_key(), n, merkle::root_of(leaf_hashes(n)));
    ASSERT_TRUE((*log)->append("after the crash"));
  }
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
