// Power-cut durability (issue 11, point 4): the log runs on testing::FaultEnv, which models what
// POSIX promises is durable and, at a crash point, drops everything else. The test steps through
// EVERY crash point of a scenario that appends, publishes checkpoints, completes a tile (so
// superseded partials are deleted), rolls and releases journal files — and, after each crash,
// through every crash point of recovery itself (crashing recovery again and again until it
// completes). After each it asserts that the log opens, that no acknowledged entry is lost and
// that the stored log verifies.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "tallylog/base/fault_env.h"
#include "tallylog/base/testing.h"
#include "tallylog/log/log.h"
#include "tallylog/log/verify.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::log {
namespace {

namespace fs = std::filesystem;

std::string entry_text(uint64_t i) { return "crash entry " + std::to_string(i); }

merkle::Hash root_of_first(uint64_t n) {
  std::vector<merkle::Hash> leaves;
  for (uint64_t i = 0; i < n; ++i) leaves.push_back(merkle::leaf_hash(entry_text(i)));
  return merkle::root_of(leaves);
}

constexpr uint64_t kSeed = 250;   // entries before the scenario: the next tile completes at 256
constexpr uint64_t kBatches = 4;  // appends in the scenario
constexpr uint64_t kPerBatch = 3;

// What recovery reported; a torn or missing checkpoint would mean it was not written durably.
std::vector<std::string>* notices = nullptr;

OpenOptions options(Env* env) {
  OpenOptions o;
  o.env = env;
  o.journal_rotate_bytes = 1;  // every append starts a journal file; publishing releases them
  o.checkpoint_interval = std::chrono::milliseconds(0);
  o.notice = [](std::string_view l) {
    if (notices) notices->emplace_back(l);
  };
  return o;
}

// The scenario under a FaultEnv: open (recovery), then appends, each awaited to its checkpoint.
// Returns how many entries were acknowledged before the crash (or all of them).
uint64_t run_scenario(testing::FaultEnv& env, const std::string& dir) {
  uint64_t acked = kSeed;
  auto log = Log::open(dir, options(&env));
  if (!log) return acked;
  for (uint64_t b = 0; b < kBatches; ++b) {
    std::vector<std::string> batch;
    for (uint64_t i = 0; i < kPerBatch; ++i) batch.push_back(entry_text(acked + i));
    auto r = (*log)->append_batch(batch);
    if (!r) break;
    EXPECT_EQ(*r, acked);
    acked += kPerBatch;
    if (!(*log)->await_checkpoint(acked)) break;
  }
  (void)(*log)->close();
  return acked;
}

struct Totals {
  uint64_t scenario_points = 0, recovery_points = 0, runs = 0, lost = 0, failed_opens = 0;
};

// After a power cut: recover, crashing recovery at its 0th, 1st, 2nd... point (each time
// cutting power again) until it completes; then check the log.
void recover_and_check(testing::FaultEnv& env, const std::string& dir, uint64_t acked, Totals& t,
                       const std::string& what) {
  for (uint64_t j = 0;; ++j) {
    env.crash_at(j);
    auto log = Log::open(dir, options(&env));
    ++t.runs;
    if (env.crashed()) {
      ++t.recovery_points;
      if (log) (*log).reset();
      ASSERT_TRUE(env.power_cut(j % 2 ? testing::FaultEnv::Unsynced::kKeepTornTail : testing::FaultEnv::Unsynced::kDrop));
      continue;
    }
    env.crash_at(std::nullopt);
    if (!log) {
      ++t.failed_opens;
      ADD_FAILURE() << what << ", recovery crashed " << j << " times: the log does not open: " << log.error().to_string();
      return;
    }
    uint64_t n = (*log)->size();
    if (n < acked) {
      ++t.lost;
      ADD_FAILURE() << what << ": " << acked << " entries acknowledged, " << n << " recovered";
      return;
    }
    auto v = note::Verifier::parse((*log)->verifier_key()).value();
    auto c = note::open_checkpoint((*log)->checkpoint().value(), v);
    ASSERT_TRUE(c) << what;
    EXPECT_EQ(c->size, n) << what;
    EXPECT_EQ(c->root, root_of_first(n)) << what;
    // It keeps working: one more append, published.
    ASSERT_TRUE((*log)->append(entry_text(n))) << what;
    ASSERT_TRUE((*log)->await_checkpoint(n + 1)) << what;
    ASSERT_TRUE((*log)->close()) << what;
    auto files = local_log_files(Env::posix(), dir + "/log");
    auto r = verify_log(*files, v);
    EXPECT_TRUE(r) << what << ": " << r.error().to_string();
    return;
  }
}

TEST(LogCrash, EveryCrashPointOfAppendPublishDeleteRotateAndRecoveryLosesNoAcknowledgedEntry) {
  testing::TempDir seed(testing::memory_tmp_dir());
  {
    OpenOptions o;
    o.notice = [](std::string_view) {};
    auto log = Log::create(seed.file("d"), {.origin = "tallylog.test/crash"}, o).value();
    std::vector<std::string> batch;
    for (uint64_t i = 0; i < kSeed; ++i) batch.push_back(entry_text(i));
    ASSERT_TRUE(log->append_batch(batch));
    ASSERT_TRUE(log->close());
  }
  // A clean run counts the crash points of the scenario.
  uint64_t points = 0;
  {
    testing::TempDir dir(testing::memory_tmp_dir());
    fs::copy(seed.file("d"), dir.file("d"), fs::copy_options::recursive);
    testing::FaultEnv env(dir.path());
    ASSERT_EQ(run_scenario(env, dir.file("d")), kSeed + kBatches * kPerBatch);
    points = env.points();
  }
  ASSERT_GT(points, 40u);
  Totals t;
  t.scenario_points = points;
  std::vector<std::string> seen;
  notices = &seen;
  for (uint64_t k = 0; k < points; ++k) {
    testing::TempDir dir(testing::memory_tmp_dir());
    fs::copy(seed.file("d"), dir.file("d"), fs::copy_options::recursive);
    testing::FaultEnv env(dir.path());
    env.crash_at(k);
    uint64_t acked = run_scenario(env, dir.file("d"));
    ASSERT_TRUE(env.crashed()) << "crash point " << k << " of " << points << " was not reached";
    ASSERT_TRUE(env.power_cut(k % 2 ? testing::FaultEnv::Unsynced::kKeepTornTail : testing::FaultEnv::Unsynced::kDrop));
    recover_and_check(env, dir.file("d"), acked, t, "crash point " + std::to_string(k));
    if (HasFatalFailure()) return;
  }
  notices = nullptr;
  for (const auto& n : seen) EXPECT_EQ(n.find("checkpoint"), std::string::npos) << n;
  std::printf("crash test: %llu crash points in append/publish/delete/rotate, %llu more in recoveries, %llu opens; "
              "%llu acknowledged entries lost, %llu logs failed to open\n",
              static_cast<unsigned long long>(t.scenario_points), static_cast<unsigned long long>(t.recovery_points),
              static_cast<unsigned long long>(t.runs), static_cast<unsigned long long>(t.lost),
              static_cast<unsigned long long>(t.failed_opens));
  EXPECT_EQ(t.lost, 0u);
  EXPECT_EQ(t.failed_opens, 0u);
}

}  // namespace
}  // namespace tallylog::log
