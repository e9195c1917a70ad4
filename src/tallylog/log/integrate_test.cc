#include "tallylog/log/integrate.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tallylog/merkle/tree.h"

namespace tallylog::log {
namespace {

std::string entry(uint64_t i) { return "integrated " + std::to_string(i) + std::string(i % 7, '.'); }

struct Files {
  std::map<std::string, std::string> full, partial;
};

// Integrates entries [from, to) in chunks of the given sizes, taking partials after each.
Status integrate(Integrator& in, uint64_t from, uint64_t to, std::mt19937_64* rng, Files& out) {
  std::vector<std::string> owned;
  for (uint64_t i = from; i < to;) {
    uint64_t n = rng ? 1 + (*rng)() % 40 : to - i;
    owned.clear();
    for (; i < to && n > 0; ++i, --n) owned.push_back(entry(i));
    std::vector<std::string_view> views(owned.begin(), owned.end());
    TL_TRY(in.add(views, [&](TileFile&& f) -> Status {
      EXPECT_TRUE(out.full.emplace(f.path, f.data).second) << f.path << " emitted twice";
      return ok();
    }));
    for (auto& f : in.partials()) out.partial[f.path] = f.data;
  }
  return ok();
}

TEST(Integrator, OnePassAndManySmallBatchesGiveTheSameFiles) {
  const uint64_t n = 70000;  // two levels of full tiles
  Integrator one, many;
  Files a, b;
  std::mt19937_64 rng(7);
  ASSERT_TRUE(integrate(one, 0, n, nullptr, a));
  ASSERT_TRUE(integrate(many, 0, n, &rng, b));
  EXPECT_EQ(a.full, b.full);
  for (const auto& [path, data] : a.partial) EXPECT_EQ(b.partial[path], data) << path;
  EXPECT_EQ(one.root(), many.root());
  std::vector<merkle::Hash> leaves;
  for (uint64_t i = 0; i < n; ++i) leaves.push_back(merkle::leaf_hash(entry(i)));
  EXPECT_EQ(one.root(), merkle::root_of(leaves));
  EXPECT_EQ(a.full.count("tile/1/000"), 1u);
  EXPECT_EQ(a.full.count("tile/entries/272"), 1u);
  EXPECT_EQ(a.partial.count(bundle_path(273, n % 256)), 1u);
  EXPECT_TRUE(one.partials().empty());  // nothing changed since
}

TEST(Integrator, RestoresTheRightEdgeFromAWiderPartialOrTheFullFile) {
  Integrator in;
  Files f;
  std::mt19937_64 rng(11);
  ASSERT_TRUE(integrate(in, 0, 600, &rng, f));
  // Only the files of size 600 remain: restoring at 530 reads the prefix of the wider ones.
  std::map<std::string, std::string> stored = f.full;
  for (const std::string& p : {bundle_path(2, 88), tile_path(0, 2, 88), tile_path(1, 0, 2)}) stored[p] = f.partial.at(p);
  auto read = [&](unsigned level, uint64_t n, uint64_t width) -> Result<std::string> {
    for (uint64_t w = width; w <= kTileWidth; ++w) {
      std::string p = level == Integrator::kEntriesLevel ? bundle_path(n, w) : tile_path(level, n, w);
      if (auto it = stored.find(p); it != stored.end()) return it->second;
    }
    return err(ErrorCode::kNotFound, "no file");
  };
  auto restored = Integrator::restore(530, read);
  ASSERT_TRUE(restored) << restored.error().to_string();
  Files again;
  ASSERT_TRUE(integrate(*restored, 530, 600, nullptr, again));
  EXPECT_EQ(restored->root(), in.root());
  for (const auto& [path, data] : again.partial) EXPECT_EQ(f.partial.at(path), data) << path;
  EXPECT_FALSE(Integrator::restore(530, [](unsigned, uint64_t, uint64_t) -> Result<std::string> {
    return err(ErrorCode::kNotFound, "gone");
  }));
}

}  // namespace
}  // namespace tallylog::log
