#include "tallylog/http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "tallylog/base/testing.h"

namespace tallylog::http {
namespace {

TEST(CheckedLogPath, AcceptsTheCheckpointAndTilePaths) {
  for (const char* p : {"checkpoint", "tile/0/000", "tile/0/x001/234", "tile/3/x001/x002/003", "tile/entries/000",
                        "tile/entries/x123/456.p/7", "tile/0/000.p/255", "tile/1/001.p/1"})
    EXPECT_TRUE(checked_log_path(p)) << p;
}

TEST(CheckedLogPath, RefusesTraversalEncodingAndOddShapes) {
  for (const char* p :
       {"", "..", "../log.key", "tile/../../log.key", "tile/0/../../../etc/passwd", "%2e%2e/log.key",
        "tile/0/%2e%2e", "tile%2f0%2f000", "/etc/passwd", "tile//000", "tile/0/000/", "tile/0/00", "tile/0/0000",
        "tile/0/abc", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/", "tile/0/x01/000", "tile/999/000",
        "tile/0/000\\..", "checkpoint/", "checkpoint.bak", "tile/0/.", "log.key", "tile/0/x001", "tile/0/000.p"})
    EXPECT_FALSE(checked_log_path(p)) << p;
  EXPECT_FALSE(checked_log_path(std::string_view("tile/0/000\0/x", 12)));
}

// Found by fuzz/tile_path_fuzzer.cc: "tile/entries/x000/x234/067.p/255" was accepted though
// bundle 234067 is spelled "tile/entries/x234/067.p/255"; a level "00" likewise.
TEST(CheckedLogPath, RefusesPathsThatAreNotTheOneSpellingOfTheirTile) {
  for (const char* p : {"tile/0/x000/067", "tile/entries/x000/x234/067.p/255", "tile/0/x000/x000/000", "tile/00/000",
                        "tile/01/000", "tile/07/x001/000.p/5"})
    EXPECT_FALSE(checked_log_path(p)) << p;
  for (const char* p : {"tile/0/x001/x000/067", "tile/10/000", "tile/0/x234/067", "tile/entries/x234/067.p/255"})
    EXPECT_TRUE(checked_log_path(p)) << p;
}

// Found by fuzz/tile_path_fuzzer.cc (campaign, 3 Dec 2026): ten groups of digits name a tile index
// past uint64, which no tile_path/bundle_path spelling can give.
TEST(CheckedLogPath, RefusesTileIndicesPastUint64) {
  for (const char* p : {"tile/entries/x001/x234/x001/x234/x001/x234/x034/x001/x234/x034/055",
                        "tile/0/x018/x446/x744/x073/x709/x551/616", "tile/0/x999/x999/x999/x999/x999/x999/999.p/3"})
    EXPECT_FALSE(checked_log_path(p)) << p;
  // 2^64 - 1 = 18446744073709551615 is the largest index: still a log path.
  EXPECT_TRUE(checked_log_path("tile/0/x018/x446/x744/x073/x709/x551/615"));
  EXPECT_TRUE(checked_log_path("tile/entries/x018/x446/x744/x073/x709/x551/615.p/1"));
}

TEST(CheckedLogPath, NeverAcceptsDotDotInRandomPaths) {
  std::mt19937 rng(7);
  const std::string alphabet = "tile/0123456789x.p%e2entriscko\\\0";
  for (int i = 0; i < 200000; ++i) {
    std::string p(rng() % 24, ' ');
    for (auto& c : p) c = alphabet[rng() % alphabet.size()];
    if (auto ok = checked_log_path(p)) {
      EXPECT_EQ(ok->find(".."), std::string::npos) << p;
      EXPECT_EQ(ok->find('%'), std::string::npos) << p;
      EXPECT_NE(ok->front(), '/') << p;
    }
  }
}

TEST(CheckedBlobDigest, AcceptsOnlyLowercaseSha256Hex) {
  std::string hex(64, 'a');
  EXPECT_EQ(*checked_blob_digest("sha256/" + hex), hex);
  EXPECT_FALSE(checked_blob_digest("sha256/" + std::string(64, 'A')));
  EXPECT_FALSE(checked_blob_digest("sha256/" + std::string(63, 'a')));
  EXPECT_FALSE(checked_blob_digest("sha256/../" + std::string(61, 'a')));
  EXPECT_FALSE(checked_blob_digest("sha1/" + hex));
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Env& env = Env::posix();
    ASSERT_TRUE(env.create_dirs(dir.file("log/tile/0/x001")));
    ASSERT_TRUE(env.create_dirs(dir.file("log/tile/0/000.p")));
    ASSERT_TRUE(env.write_file_atomic(dir.file("log/checkpoint"), "origin\n5\nroot\n", Durability::kNoSync));
    ASSERT_TRUE(env.write_file_atomic(dir.file("log/tile/0/x001/234"), std::string(8192, 't'), Durability::kNoSync));
    ASSERT_TRUE(env.write_file_atomic(dir.file("log/tile/0/000.p/5"), std::string(160, 'p'), Durability::kNoSync));
    ASSERT_TRUE(env.write_file_atomic(dir.file("log.key"), "SECRET", Durability::kNoSync));
  }
  testing::TempDir dir;
};

TEST_F(StaticFilesTest, ServesTheCheckpointAsUncachedUtf8Text) {
  auto r = serve_log_file(Env::posix(), dir.file("log"), "checkpoint");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "origin\n5\nroot\n");
  bool no_cache = false;
  for (auto& [k, v] : r.headers)
    if (k == "Cache-Control") no_cache = v == "no-cache";
  EXPECT_TRUE(no_cache);
}

TEST_F(StaticFilesTest, MarksFullTilesImmutableButNotPartialOnes) {
  auto full = serve_log_file(Env::posix(), dir.file("log"), "tile/0/x001/234");
  EXPECT_EQ(full.status, 200);
  EXPECT_EQ(full.content_type, "application/octet-stream");
  auto partial = serve_log_file(Env::posix(), dir.file("log"), "tile/0/000.p/5");
  EXPECT_EQ(partial.status, 200);
  auto cache = [](const Response& r) {
    for (auto& [k, v] : r.headers)
      if (k == "Cache-Control") return v;
    return std::string();
  };
  EXPECT_EQ(cache(full), kImmutable);
  EXPECT_NE(cache(partial), kImmutable);
}

TEST_F(StaticFilesTest, AnswersMissingWith404AndBadPathsWith400) {
  EXPECT_EQ(serve_log_file(Env::posix(), dir.file("log"), "tile/0/999").status, 404);
  auto r = serve_log_file(Env::posix(), dir.file("log"), "../log.key");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
}

TEST(SniffContentType, RecognisesJpegAndPng) {
  EXPECT_EQ(sniff_content_type("\xFF\xD8\xFF\xE0 jfif"), "image/jpeg");
  EXPECT_EQ(sniff_content_type("\x89PNG\r\n\x1a\n...."), "image/png");
  EXPECT_EQ(sniff_content_type("<html>"), "application/octet-stream");
}


// Regression (issue 10.9): `serve --web D` with the data directory published log.key.
TEST(WebRoot, IsRefusedWhenItIsContainsOrLiesInsideTheDataDirectory) {
  testing::TempDir top;
  namespace fs = std::filesystem;
  fs::create_directories(top.file("data/web"));
  fs::create_directories(top.file("site"));
  fs::create_symlink(top.file("data"), top.file("alias"));
  EXPECT_FALSE(check_web_root(top.file("data"), top.file("data")));
  EXPECT_FALSE(check_web_root(top.file("alias"), top.file("data")));  // the same place by a symlink
  EXPECT_FALSE(check_web_root(top.file("data/web"), top.file("data")));
  EXPECT_FALSE(check_web_root(top.path(), top.file("data")));
  EXPECT_FALSE(check_web_root(top.file("data/."), top.file("data")));
  EXPECT_TRUE(check_web_root(top.file("site"), top.file("data")));
  EXPECT_FALSE(check_web_root(top.file("missing"), top.file("data")));
}

// Regression (issue 10.9): a symlink in the web root was followed wherever it pointed.
TEST(WebRoot, FilesAreReadOnlyFromInsideTheRootSymlinksResolved) {
  testing::TempDir top;
  namespace fs = std::filesystem;
  fs::create_directories(top.file("site/assets"));
  fs::create_directories(top.file("data"));
  Env& env = Env::posix();
  ASSERT_TRUE(env.write_file_atomic(top.file("site/index.html"), "<html>", Durability::kNoSync));
  ASSERT_TRUE(env.write_file_atomic(top.file("data/log.key"), "SECRET", Durability::kNoSync));
  fs::create_symlink(top.file("data/log.key"), top.file("site/key.txt"));
  fs::create_symlink(top.file("data"), top.file("site/assets/d"));
  fs::create_symlink(top.file("site/index.html"), top.file("site/home.html"));  // inside: fine
  EXPECT_EQ(read_file_inside(env, top.file("site"), "index.html"), "<html>");
  EXPECT_EQ(read_file_inside(env, top.file("site"), "home.html"), "<html>");
  EXPECT_EQ(read_file_inside(env, top.file("site"), "key.txt"), std::nullopt);
  EXPECT_EQ(read_file_inside(env, top.file("site"), "assets/d/log.key"), std::nullopt);
  EXPECT_EQ(read_file_inside(env, top.file("site"), "missing.js"), std::nullopt);
}

}  // namespace
}  // namespace tallylog::http
