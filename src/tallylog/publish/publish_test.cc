#include "tallylog/publish/publish.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tallylog/base/testing.h"

namespace tallylog::publish {
namespace {

TEST(StaticApiPath, MapsEveryPublishedRoute) {
  EXPECT_EQ(static_api_path("/api/v1/election", ""), "api/v1/election.json");
  EXPECT_EQ(static_api_path("/api/v1/tally", "level=state&source=official"),
            "api/v1/tally/state/official.json");
  EXPECT_EQ(static_api_path("/api/v1/tally", "source=%2A&level=national"),
            "api/v1/tally/national/_all.json");
  EXPECT_EQ(static_api_path("/api/v1/bound", ""), "api/v1/bound/_all.json");
  EXPECT_EQ(static_api_path("/api/v1/compare", "a=official&b=qr&level=state"),
            "api/v1/compare/official/qr/state.json");
  EXPECT_EQ(static_api_path("/api/v1/areas", "level=state&contest=president"),
            "api/v1/contest/president/areas/state.json");
  EXPECT_EQ(static_api_path("/api/v1/log/vkey", ""), "api/v1/log/vkey");
  EXPECT_EQ(static_api_path("/api/v1/areas", "level=municipality&parent=01"),
            "api/v1/areas/municipality/01.json");
  EXPECT_EQ(static_api_path("/api/v1/stations/010113042.01/sheets", ""),
            "api/v1/stations/010113042.01/sheets.json");
  EXPECT_EQ(static_api_path("/api/v1/search-index", ""), "api/v1/search-index.json");
  EXPECT_EQ(static_api_path("/api/v1/search-index", "contest=mayor"),
            "api/v1/contest/mayor/search-index.json");
  EXPECT_EQ(static_api_path("/api/v1/witnesses", ""), "api/v1/witnesses.json");  // one per log
  EXPECT_EQ(static_api_path("/api/v1/witnesses", "contest=mayor"), "");
}

TEST(StaticApiPath, RefusesWhatNeedsTheServerOrEscapes) {
  EXPECT_EQ(static_api_path("/api/v1/tally", "level=state&parent=01"), "");  // drill-down
  EXPECT_EQ(static_api_path("/api/v1/tally", "level=state&format=csv"), "");
  EXPECT_EQ(static_api_path("/api/v1/stations/..%2F01/sheets", ""), "");
  EXPECT_EQ(static_api_path("/api/v1/stations/01", ""), "");  // the station alone: not published
  EXPECT_EQ(static_api_path("/api/v1/tally", "level=..&source=x"), "");
  EXPECT_EQ(static_api_path("/api/v1/tally", "level=state&source=a%2Fb"), "");
  EXPECT_EQ(static_api_path("/api/v1/tally", "source=x"), "");  // the page always names the level
  EXPECT_EQ(static_api_path("/log/checkpoint", ""), "");
  // Each search is answered by the page from search-index.json, never from a file of its own.
  EXPECT_EQ(static_api_path("/api/v1/search", "q=soublette"), "");
}

// A data directory with one tile and entry bundle and a fake read API; a second run copies nothing
// it copied before and rewrites only answers whose bytes changed; the checkpoint is there after
// each run. The log's files published are those the checkpoint commits to (tlog-tiles widths),
// read through PublishInput::read_log_file.
TEST(PublishSite, SecondRunCopiesOnlyWhatChanged) {
  namespace fs = std::filesystem;
  const std::string root =
      testing::memory_tmp_dir() + "/publish_test_" + std::to_string(::getpid());
  const std::string data = root + "/data", out = root + "/out";
  Env& env = Env::posix();
  ASSERT_TRUE(env.create_dirs(data + "/log/tile/0/000.p"));
  ASSERT_TRUE(env.create_dirs(data + "/log/tile/entries/000.p"));
  ASSERT_TRUE(env.write_file_atomic(data + "/log/tile/0/000.p/1", "h", Durability::kNoSync));
  ASSERT_TRUE(env.write_file_atomic(data + "/log/tile/entries/000.p/1", "e", Durability::kNoSync));
  // Beyond the checkpoint: not published.
  ASSERT_TRUE(env.write_file_atomic(data + "/log/tile/0/000.p/3", "hhh", Durability::kNoSync));
  int log_size = 1;
  PublishInput in;
  in.data_dir = data;
  in.read_log_file = [&](const std::string& path) { return env.read_file(data + "/log/" + path); };
  in.checkpoint = "example.org/log\n1\nroot\n\n— sig\n";
  in.get = [&](const http::Request& r) {
    if (r.path == "/api/v1/election")
      return http::Response::json(200, R"({"levels":[{"code":"state"}]})");
    if (r.path == "/api/v1/sources")
      return http::Response::json(200, R"({"sources":["official"]})");
    if (r.path == "/api/v1/tally")
      return http::Response::json(200, "{\"log_size\":" + std::to_string(log_size) + "}\n");
    return http::Response::json(200, "{}\n");
  };
  auto first = publish_site(in, out);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->checkpoint_size, 1u);
  EXPECT_EQ(*env.read_file(out + "/log/tile/0/000.p/1"), "h");
  EXPECT_EQ(*env.read_file(out + "/log/tile/entries/000.p/1"), "e");
  EXPECT_FALSE(env.exists(out + "/log/tile/0/000.p/3"));
  EXPECT_EQ(*env.read_file(out + "/log/checkpoint"), in.checkpoint);
  EXPECT_EQ(env.read_file(out + "/api/v1/tally/state/official.json").value_or(""),
            "{\"log_size\":1}\n");
  EXPECT_TRUE(env.exists(out + "/site.json"));
  EXPECT_TRUE(env.exists(out + "/api/v1/search-index.json"));

  // The log grows by one entry, read from elsewhere (as from a log in PostgreSQL); the tally
  // answers change, nothing else does; the superseded partials go.
  std::vector<std::string> read;
  in.read_log_file = [&read](const std::string& path) -> Result<std::string> {
    read.push_back(path);
    return path.starts_with("tile/entries/") ? std::string("ee") : std::string("hh");
  };
  log_size = 2;
  in.checkpoint = "example.org/log\n2\nroot2\n\n— sig\n";
  auto second = publish_site(in, out);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(read, (std::vector<std::string>{"tile/0/000.p/2", "tile/entries/000.p/2"}));
  EXPECT_EQ(*env.read_file(out + "/log/tile/0/000.p/2"), "hh");
  EXPECT_EQ(*env.read_file(out + "/log/tile/entries/000.p/2"), "ee");
  const uint64_t tallies = 2 * 2;  // two levels (national, state) x two rules (*, official)
  EXPECT_EQ(second->files_written, 2 + tallies + 1) << "the new tile and bundle, the tallies, the checkpoint";
  // The partials of the first checkpoint stay while their tile is incomplete (tlog-tiles MUST).
  EXPECT_EQ(second->files_removed, 0u);
  EXPECT_EQ(*env.read_file(out + "/log/tile/0/000.p/1"), "h");
  EXPECT_EQ(*env.read_file(out + "/log/checkpoint"), in.checkpoint);
  EXPECT_EQ(env.read_file(out + "/api/v1/tally/national/_all.json").value_or(""),
            "{\"log_size\":2}\n");

  // A third run with nothing new writes nothing.
  auto third = publish_site(in, out);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->files_written, 0u);
  EXPECT_EQ(third->files_removed, 0u);

  // The tile and bundle become full: their partials may go now, and do.
  log_size = 256;
  in.checkpoint = "example.org/log\n256\nroot3\n\n— sig\n";
  auto full = publish_site(in, out);
  ASSERT_TRUE(full) << full.error().to_string();
  // Level 0's full tile and bundle, and level 1's first hash (a partial of width 1).
  EXPECT_EQ(std::vector<std::string>(read.end() - 3, read.end()),
            (std::vector<std::string>{"tile/0/000", "tile/entries/000", "tile/1/000.p/1"}));
  EXPECT_TRUE(env.exists(out + "/log/tile/0/000"));
  EXPECT_EQ(full->files_removed, 4u);
  EXPECT_FALSE(env.exists(out + "/log/tile/0/000.p/1"));
  EXPECT_FALSE(env.exists(out + "/log/tile/entries/000.p/2"));
  fs::remove_all(root);
}

}  // namespace
}  // namespace tallylog::publish
