#include "tallylog/http/submit_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

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

// Several sheets in one failing batch: every member gets the batch's error, none an outcome.
// The first batch (one sheet) is held open until five more submitters have queued behind it, so
// the second batch holds exactly those five.
TEST(SubmitBatcher, GivesTheBatchErrorToEveryMember) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> first_running{false};
  std::vector<std::vector<std::string>> batches;  // stations per call; calls never overlap
  SubmitBatcher b([&](std::span<election::Sheet> sheets) -> Result<std::vector<ingest::Outcome>> {
    std::vector<std::string> stations;
    for (const auto& s : sheets) stations.push_back(s.station);
    batches.push_back(stations);
    if (batches.size() == 1) {
      first_running = true;
      first_running.notify_all();
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
      ingest::Outcome ok;
      ok.verdict = ingest::Verdict::kAccepted;
      ok.log_index = 7;
      return std::vector<ingest::Outcome>(sheets.size(), ok);
    }
    return err(ErrorCode::kIo, "disk full");
  });
  auto sheet = [](int i) {
    election::Sheet s;
    s.station = "S" + std::to_string(i);
    return s;
  };
  Result<ingest::Outcome> leader = std::unexpected(Error{});
  std::thread first([&] { leader = b.submit(sheet(0)); });
  first_running.wait(false);
  constexpr int kMembers = 5;
  std::vector<Result<ingest::Outcome>> got(kMembers, std::unexpected(Error{}));
  std::vector<std::thread> members;
  for (int i = 0; i < kMembers; ++i) members.emplace_back([&, i] { got[i] = b.submit(sheet(i + 1)); });
  while (b.pending() < static_cast<size_t>(kMembers)) std::this_thread::yield();
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  first.join();
  for (auto& t : members) t.join();

  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"S0"}));
  std::multiset<std::string> second(batches[1].begin(), batches[1].end());
  EXPECT_EQ(second, (std::multiset<std::string>{"S1", "S2", "S3", "S4", "S5"}));
  ASSERT_TRUE(leader) << leader.error().to_string();
  EXPECT_EQ(leader->log_index, 7u);
  for (int i = 0; i < kMembers; ++i) {
    ASSERT_FALSE(got[i]) << "member " << i << " got an outcome from a failed batch";
    EXPECT_EQ(got[i].error().code, ErrorCode::kIo);
    EXPECT_EQ(got[i].error().message, "disk full");
  }
  EXPECT_EQ(b.batches(), 2u);
}

}  // namespace
}  // namespace tallylog::http
