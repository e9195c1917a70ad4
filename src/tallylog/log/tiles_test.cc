#include "tallylog/log/tiles.h"

#include <gtest/gtest.h>

#include <random>

#include "tallylog/merkle/tree.h"

namespace tallylog::log {
namespace {

TEST(TilePaths, FollowTheC2spLayout) {
  EXPECT_EQ(tile_index_path(0), "000");
  EXPECT_EQ(tile_index_path(67), "067");
  EXPECT_EQ(tile_index_path(1000), "x001/000");
  EXPECT_EQ(tile_index_path(1234067), "x001/x234/067");
  EXPECT_EQ(tile_path(0, 1234067, 256), "tile/0/x001/x234/067");
  EXPECT_EQ(tile_path(1, 5, 12), "tile/1/005.p/12");
  EXPECT_EQ(bundle_path(3, 256), "tile/entries/003");
  EXPECT_EQ(bundle_path(3, 1), "tile/entries/003.p/1");
  EXPECT_EQ(tile_width(0, 0, 10), 10u);
  EXPECT_EQ(tile_width(0, 0, 300), 256u);
  EXPECT_EQ(tile_width(0, 1, 300), 44u);
  EXPECT_EQ(tile_width(1, 0, 300), 1u);
  EXPECT_EQ(tile_width(1, 0, 255), 0u);
}

TEST(TreeFiles, NameEveryTileAndBundleACheckpointCommitsTo) {
  EXPECT_TRUE(tree_files(0).empty());
  EXPECT_EQ(tree_files(1), (std::vector<std::string>{"tile/0/000.p/1", "tile/entries/000.p/1"}));
  EXPECT_EQ(tree_files(256), (std::vector<std::string>{"tile/0/000", "tile/entries/000", "tile/1/000.p/1"}));
  // 65,793 leaves: level 0 has 257 full tiles and one of width 1 (each with its bundle), level 1
  // one full tile and one of width 1, level 2 one hash.
  const auto f = tree_files(65536 + 257);
  ASSERT_EQ(f.size(), 2 * 258 + 2 + 1u);
  EXPECT_EQ(f[2 * 256], "tile/0/256");
  EXPECT_EQ(f[2 * 257], "tile/0/257.p/1");
  EXPECT_EQ(f[2 * 257 + 1], "tile/entries/257.p/1");
  EXPECT_EQ(std::vector<std::string>(f.end() - 3, f.end()),
            (std::vector<std::string>{"tile/1/000", "tile/1/001.p/1", "tile/2/000.p/1"}));
}

TEST(EntryBundle, RoundTripsAndRejectsWrongCounts) {
  std::vector<std::string> e = {"", "a", std::string(65535, 'x'), "last"};
  std::string b = encode_bundle(e);
  auto p = parse_bundle(b, 4, "b").value();
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[2].size(), 65535u);
  EXPECT_EQ(p[3], "last");
  EXPECT_FALSE(parse_bundle(b, 3, "b"));
  EXPECT_FALSE(parse_bundle(b, 5, "b"));
  EXPECT_FALSE(parse_bundle(b.substr(0, b.size() - 1), 4, "b"));
}

TEST(EntryBundle, ParserSurvivesRandomBytes) {
  std::mt19937 rng(3);
  for (int t = 0; t < 5000; ++t) {
    std::string s(rng() % 600, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 3);
    auto r = parse_bundle(s, rng() % 300, "fuzz");
    if (r) {
      size_t total = 0;
      for (auto v : *r) total += 2 + v.size();
      EXPECT_EQ(total, s.size());
    }
    EXPECT_EQ(parse_tile(s, s.size() / 32, "fuzz").has_value(), s.size() % 32 == 0);
  }
}

TEST(TileBuilder, RootMatchesTheCompactRangeAtEverySize) {
  TileBuilder b;
  merkle::CompactRange c;
  std::vector<std::pair<unsigned, uint64_t>> full;
  for (int i = 0; i < 70000; ++i) {
    auto h = merkle::leaf_hash(std::to_string(i));
    c.append(h);
    ASSERT_TRUE(b.add_leaf(h, [&](unsigned l, uint64_t n, std::span<const merkle::Hash> hs) -> Status {
      EXPECT_EQ(hs.size(), 256u);
      full.emplace_back(l, n);
      return ok();
    }));
    if (i < 600 || i % 997 == 0 || i == 65535) {
      ASSERT_EQ(b.root(), c.root()) << i;
    }
  }
  EXPECT_EQ(full.size(), 70000u / 256 + 1);  // 273 level-0 tiles and one level-1 tile
  EXPECT_EQ(full.back(), std::make_pair(0u, uint64_t{272}));
  auto r = TileBuilder::restore(b.size(), {b.edge(0), b.edge(1), b.edge(2)}).value();
  EXPECT_EQ(r.root(), c.root());
}

}  // namespace
}  // namespace tallylog::log
