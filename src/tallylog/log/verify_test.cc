#include "tallylog/log/verify.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "tallylog/base/testing.h"
#include "tallylog/log/log.h"

namespace tallylog::log {
namespace {

// A published log held in memory, so every byte can be flipped cheaply.
class MemLogFiles final : public LogFiles {
 public:
  explicit MemLogFiles(const std::string& dir) {
    for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      files[std::filesystem::relative(e.path(), dir).string()] = Env::posix().read_file(e.path().string()).value();
    }
  }
  Result<std::string> read(const std::string& rel) override {
    auto it = files.find(rel);
    if (it == files.end()) return err(ErrorCode::kNotFound, "no such file " + rel);
    return it->second;
  }
  std::optional<std::vector<std::string>> list(const std::string& dir) override {
    std::vector<std::string> out;
    for (auto& [k, v] : files) {
      if (k.size() > dir.size() && k.starts_with(dir) && k[dir.size()] == '/' &&
          k.find('/', dir.size() + 1) == std::string::npos) {
        out.push_back(k.substr(dir.size() + 1));
      }
    }
    return out;
  }
  std::map<std::string, std::string> files;
};

struct SmallLog {
  testing::TempDir dir;
  std::string vkey;
  explicit SmallLog(uint64_t n, uint64_t batch) {
    auto log = Log::create(dir.path(), {.origin = "tallylog.test/verify"}).value();
    vkey = log->verifier_key();
    for (uint64_t i = 0; i < n;) {
      std::vector<std::string> b;
      for (; i < n && b.size() < batch; ++i) b.push_back("e" + std::to_string(i));
      EXPECT_TRUE(log->append_batch(b));
      EXPECT_TRUE(log->publish_now());  // a checkpoint (and its partials) per batch
    }
  }
  note::Verifier key() const { return note::Verifier::parse(vkey).value(); }
  std::string log_dir() const { return dir.file("log"); }
};

TEST(Verify, AcceptsAnIntactLogAndReportsWhatItChecked) {
  SmallLog s(70000, 5000);
  auto files = local_log_files(Env::posix(), s.log_dir());
  auto r = verify_log(*files, s.key());
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->size, 70000u);
  EXPECT_GT(r->tiles_checked, 273u);
  EXPECT_EQ(r->beyond_checkpoint, 0u);
}

TEST(Verify, AcceptsTheEmptyLog) {
  SmallLog s(0, 1);
  auto files = local_log_files(Env::posix(), s.log_dir());
  EXPECT_TRUE(verify_log(*files, s.key()));
}

TEST(Verify, DetectsAFlipOfAnyByteOfAnyPublishedFile) {
  SmallLog s(300, 20);
  MemLogFiles mem(s.log_dir());
  ASSERT_GE(mem.files.size(), 9u);  // checkpoint, bundles, tiles and their partials
  ASSERT_TRUE(verify_log(mem, s.key()));
  size_t flips = 0;
  for (auto& [name, data] : mem.files) {
    for (size_t i = 0; i < data.size(); ++i) {
      data[i] ^= 0x01;
      auto r = verify_log(mem, s.key());
      EXPECT_FALSE(r) << name << " byte " << i;
      data[i] ^= 0x01;
      ++flips;
    }
  }
  EXPECT_TRUE(verify_log(mem, s.key()));
  EXPECT_GT(flips, 10000u);
}

TEST(Verify, NamesTheTileAndIndexThatDiffers) {
  SmallLog s(600, 600);
  MemLogFiles mem(s.log_dir());
  mem.files["tile/0/001"][32 * 17 + 3] ^= 0x40;
  auto r = verify_log(mem, s.key());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("tile/0/001: hash 17 (entry 273)"), std::string::npos) << r.error().message;
}

TEST(Verify, ReportsMissingAndTruncatedFiles) {
  SmallLog s(600, 600);
  {
    MemLogFiles mem(s.log_dir());
    mem.files.erase("tile/entries/001");
    auto r = verify_log(mem, s.key());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("tile/entries/001: entry bundle is missing"), std::string::npos);
  }
  {
    MemLogFiles mem(s.log_dir());
    mem.files["tile/0/000"].pop_back();
    auto r = verify_log(mem, s.key());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  }
}

TEST(Verify, RejectsACheckpointSignedByAnotherKey) {
  SmallLog a(10, 10), b(10, 10);
  auto files = local_log_files(Env::posix(), a.log_dir());
  auto r = verify_log(*files, b.key());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kVerificationFailed);
}

TEST(Verify, ChecksAPreviousCheckpointAndRejectsASizeThatShrinks) {
  testing::TempDir dir;
  auto log = Log::create(dir.path(), {.origin = "tallylog.test/prev"}).value();
  ASSERT_TRUE(log->append("a"));
  ASSERT_TRUE(log->append("b"));
  std::string at2 = log->await_checkpoint(2).value();
  ASSERT_TRUE(log->append("c"));
  ASSERT_TRUE(log->await_checkpoint(3));
  auto key = note::Verifier::parse(log->verifier_key()).value();
  auto files = local_log_files(Env::posix(), dir.file("log"));
  EXPECT_TRUE(verify_log(*files, key, VerifyOptions{.progress = {}, .previous_checkpoint = at2, .on_entry = {}}));
  // A later checkpoint presented as "previous": the log would have shrunk.
  std::string at3 = log->checkpoint().value();
  ASSERT_TRUE(log->close());
  MemLogFiles mem(dir.file("log"));
  mem.files["checkpoint"] = at2;
  auto r = verify_log(mem, key, VerifyOptions{.progress = {}, .previous_checkpoint = at3, .on_entry = {}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("shrinks from 3"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace tallylog::log
