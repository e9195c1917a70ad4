#include "tallylog/witness/state.h"

#include <gtest/gtest.h>

#include <thread>

#include "tallylog/base/testing.h"
#include "tallylog/witness/test_log.h"

namespace tallylog::witness {
namespace {

using testing::TestLog;

Status record(WitnessState& s, const TestLog& log, uint64_t size) {
  return s.update(log.key.name(), LogState{size, log.root(size)}, log.checkpoint(size),
                  [](const std::optional<LogState>&) { return ok(); });
}

TEST(WitnessState, KeepsTheLatestCheckpointOfEachLogAcrossReopen) {
  tallylog::testing::TempDir dir;
  TestLog a("a.example/log", 10), b("b.example/log", 5);
  {
    auto s = WitnessState::open(Env::posix(), dir.path()).value();
    ASSERT_TRUE(record(*s, a, 3));
    ASSERT_TRUE(record(*s, b, 5));
    ASSERT_TRUE(record(*s, a, 10));
  }
  auto s = WitnessState::open(Env::posix(), dir.path()).value();
  EXPECT_EQ(s->get("a.example/log")->size, 10u);
  EXPECT_EQ(s->get("a.example/log")->root, a.root(10));
  EXPECT_EQ(s->get("b.example/log")->size, 5u);
  EXPECT_EQ(*s->checkpoint("a.example/log"), a.checkpoint(10));  // Ed25519 is deterministic
  EXPECT_FALSE(s->get("c.example/log"));
  EXPECT_EQ(s->origins().size(), 2u);
}

TEST(WitnessState, ARefusedDecisionChangesNothing) {
  tallylog::testing::TempDir dir;
  TestLog a("a.example/log", 4);
  auto s = WitnessState::open(Env::posix(), dir.path()).value();
  ASSERT_TRUE(record(*s, a, 2));
  auto r = s->update("a.example/log", LogState{4, a.root(4)}, a.checkpoint(4), [](const std::optional<LogState>& cur) -> Status {
    EXPECT_EQ(cur->size, 2u);
    return err(ErrorCode::kFailedPrecondition, "no");
  });
  EXPECT_FALSE(r);
  EXPECT_EQ(s->get("a.example/log")->size, 2u);
}

TEST(WitnessState, CutsATornTailButRefusesDamageBeforeIt) {
  tallylog::testing::TempDir dir;
  TestLog a("a.example/log", 4);
  {
    auto s = WitnessState::open(Env::posix(), dir.path()).value();
    ASSERT_TRUE(record(*s, a, 2));
    ASSERT_TRUE(record(*s, a, 4));
  }
  std::string path = dir.file("witness.journal");
  std::string data = Env::posix().read_file(path).value();
  // A crash in the middle of the second record: the first survives.
  size_t first_end = data.size() / 2;
  ASSERT_TRUE(Env::posix().write_file_atomic(path, data.substr(0, first_end + 10), Durability::kNoSync));
  {
    auto s = WitnessState::open(Env::posix(), dir.path()).value();
    EXPECT_EQ(s->get("a.example/log")->size, 2u);
  }
  EXPECT_EQ(Env::posix().file_size(path).value(), first_end);
  // A flipped byte inside the first record, with the second one after it: corruption.
  std::string damaged = data;
  damaged[20] ^= 1;
  ASSERT_TRUE(Env::posix().write_file_atomic(path, damaged, Durability::kNoSync));
  auto r = WitnessState::open(Env::posix(), dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("offset 0"), std::string::npos);
}

TEST(WitnessState, OneProcessAtATime) {
  tallylog::testing::TempDir dir;
  auto s = WitnessState::open(Env::posix(), dir.path()).value();
  auto r = WitnessState::open(Env::posix(), dir.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("another witness"), std::string::npos);
}

TEST(WitnessState, ConcurrentUpdatesAreAllDurableAndCompactionKeepsTheLatest) {
  tallylog::testing::TempDir dir;
  std::vector<TestLog> logs;
  for (int i = 0; i < 8; ++i) logs.emplace_back("log" + std::to_string(i) + ".example", 40);
  {
    // A tiny compaction threshold so the journal is rewritten many times meanwhile.
    auto s = WitnessState::open(Env::posix(), dir.path(), 4096).value();
    std::vector<std::thread> threads;
    for (auto& log : logs) {
      threads.emplace_back([&s, &log] {
        for (uint64_t n = 1; n <= 40; ++n) EXPECT_TRUE(record(*s, log, n));
      });
    }
    for (auto& t : threads) t.join();
    // Without compaction the journal would hold all 320 records (~70 KB).
    EXPECT_LT(Env::posix().file_size(dir.file("witness.journal")).value(), 48000u);
  }
  auto s = WitnessState::open(Env::posix(), dir.path()).value();
  for (auto& log : logs) {
    ASSERT_TRUE(s->get(log.key.name()));
    EXPECT_EQ(s->get(log.key.name())->size, 40u);
    EXPECT_EQ(s->get(log.key.name())->root, log.root(40));
  }
}

}  // namespace
}  // namespace tallylog::witness
