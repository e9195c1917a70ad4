#include "tallylog/http/submit_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace tallylog::http {
namespace {

TEST(SubmitBatcher, GathersConcurrentSubmissionsIntoFewerBatchesWithEachOwnOutcome) {
  std::atomic<int> concurrent{0};
  std::atomic<bool> overlapped{false};
  uint64_t next_index = 100;
  SubmitBatcher b([&](std::span<election::Sheet> sheets) -> Result<std::vector<ingest::Outcome>> {
    if (++concurrent > 1) overlapped = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // an fsync
    std::vector<ingest::Outcome> out;
    for (auto& s : sheets) {
      ingest::Outcome o;
      o.verdict = ingest::Verdict::kAccepted;
      o.log_index = next_index++;
      o.reason = s.station;  // echo, to check each caller gets its own outcome
      out.push_back(o);
    }
    --concurrent;
    return out;
  });
  constexpr int kThreads = 32;
  std::vector<std::thread> threads;
  std::vector<ingest::Outcome> got(kThreads);
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      election::Sheet s;
      s.station = "S" + std::to_string(i);
      got[i] = *b.submit(s);
    });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(overlapped);
  EXPECT_LT(b.batches(), static_cast<uint64_t>(kThreads));
  std::set<uint64_t> indexes;
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(got[i].reason, "S" + std::to_string(i));
    indexes.insert(*got[i].log_index);
  }
  EXPECT_EQ(indexes.size(), static_cast<size_t>(kThreads));
}

TEST(SubmitBatcher, GivesTheBatchErrorToEveryMember) {
  SubmitBatcher b([](std::span<election::Sheet>) -> Result<std::vector<ingest::Outcome>> {
    return err(ErrorCode::kIo, "disk full");
  });
  auto r = b.submit({});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace tallylog::http
