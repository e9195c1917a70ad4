#include "tallylog/mirror/mirror.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tallylog/base/testing.h"
#include "tallylog/log/log.h"
#include "tallylog/log/tiles.h"
#include "tallylog/log/verify.h"
#include "tallylog/mirror/fork_evidence.h"

namespace tallylog::mirror {
namespace {

namespace fs = std::filesystem;
using Outcome = MirrorReport::Outcome;

void append(const std::string& data, size_t n, const std::string& prefix = "entry ") {
  auto log = log::Log::open(data).value();
  std::vector<std::string> batch;
  for (size_t i = 0; i < n; ++i) batch.push_back(prefix + std::to_string(log->size() + i));
  ASSERT_TRUE(log->append_batch(batch));
  ASSERT_TRUE(log->close());
}

struct Fixture {
  tallylog::testing::TempDir tmp;
  std::string src = tmp.file("source");
  std::string dst = tmp.file("mirror");
  std::string vkey;

  explicit Fixture(size_t n) {
    auto log = log::Log::create(src, {.origin = "tallylog.example/test"}).value();
    vkey = log->verifier_key();
    EXPECT_TRUE(log->close());
    if (n) append(src, n);
  }
  Result<MirrorReport> mirror(const std::string& from = "") {
    MirrorOptions o;
    o.source = from.empty() ? src : from;
    o.dir = dst;
    o.vkey = vkey;
    return run_mirror(o);
  }
  std::string copy(const std::string& name) {
    std::string to = tmp.file(name);
    fs::copy(src, to, fs::copy_options::recursive);
    return to;
  }
  void verify_mirror() {
    auto files = log::local_log_files(Env::posix(), dst + "/log");
    auto r = log::verify_log(*files, note::Verifier::parse(vkey).value());
    ASSERT_TRUE(r) << r.error().to_string();
  }
};

std::string read(const std::string& p) { return Env::posix().read_file(p).value(); }

TEST(Mirror, CopiesAVerifiedLogThatIsAReadOnlyDataDirectory) {
  Fixture f(1000);
  auto r = f.mirror();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->outcome, Outcome::kUpdated);
  EXPECT_EQ(r->new_size, 1000u);
  EXPECT_EQ(r->bundles_fetched, 4u);  // 3 full + the partial of 232
  EXPECT_EQ(read(f.dst + "/log/checkpoint"), read(f.src + "/log/checkpoint"));
  EXPECT_EQ(read(f.dst + "/log.vkey"), f.vkey + "\n");
  f.verify_mirror();
  auto reader = log::open_reader(f.dst).value();
  EXPECT_EQ(reader->entry(999).value(), "entry 999");
  EXPECT_FALSE(fs::exists(f.dst + "/log.key"));
  EXPECT_TRUE(fs::is_empty(f.dst + "/.tmp"));
}

TEST(Mirror, ARerunFetchesOnlyWhatIsNew) {
  Fixture f(1000);
  ASSERT_TRUE(f.mirror());
  auto same = f.mirror().value();
  EXPECT_EQ(same.outcome, Outcome::kUpToDate);
  EXPECT_EQ(same.bundles_fetched + same.tiles_fetched, 0u);
  append(f.src, 100);  // 1000 -> 1100: bundle 3 grows (232 -> 256) and bundle 4 starts (76)
  auto r = f.mirror().value();
  EXPECT_EQ(r.outcome, Outcome::kUpdated);
  EXPECT_EQ(r.old_size, 1000u);
  EXPECT_EQ(r.new_size, 1100u);
  EXPECT_EQ(r.bundles_fetched, 2u);
  // Level-0 tile 3 (full now), level-0 partial 4 and the level-1 partial (width 4).
  EXPECT_EQ(r.tiles_fetched, 3u);
  EXPECT_GT(r.consistency_proof_hashes, 0u);
  f.verify_mirror();
  // The superseded partials of the mirrored size are gone; the new ones are there.
  EXPECT_FALSE(fs::exists(f.dst + "/log/" + log::bundle_path(3, 232)));
  EXPECT_TRUE(fs::exists(f.dst + "/log/" + log::bundle_path(4, 76)));
}

TEST(Mirror, CatchesTwoHistoriesOfTheSameSizeAndWritesEvidence) {
  Fixture f(300);
  std::string other = f.copy("other");
  append(f.src, 1, "sheet A ");
  append(other, 1, "sheet B ");
  ASSERT_EQ(f.mirror().value().new_size, 301u);
  auto r = f.mirror(other).value();
  ASSERT_EQ(r.outcome, Outcome::kFork);
  EXPECT_EQ(read(f.dst + "/log/checkpoint"), read(f.src + "/log/checkpoint"));  // nothing adopted
  auto e = parse_fork_evidence(read(r.fork_evidence_path)).value();
  auto v = verify_fork(e, note::Verifier::parse(f.vkey).value());
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->size1, 301u);
  EXPECT_EQ(v->size2, 301u);
}

TEST(Mirror, CatchesALongerRewrittenHistoryAndARollbackToAnotherOne) {
  Fixture f(300);
  std::string other = f.copy("other");
  append(f.src, 10, "sheet A ");
  append(other, 500, "sheet B ");
  ASSERT_EQ(f.mirror().value().new_size, 310u);
  // The source now serves a larger tree that does not extend the mirrored one.
  auto r = f.mirror(other).value();
  ASSERT_EQ(r.outcome, Outcome::kFork);
  auto v = verify_fork(parse_fork_evidence(read(r.fork_evidence_path)).value(), note::Verifier::parse(f.vkey).value());
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->size1, 310u);
  EXPECT_EQ(v->size2, 800u);
  // A fresh mirror of the long history, then a smaller checkpoint of the first one: also a fork.
  Fixture g(0);
  g.src = other;
  g.vkey = f.vkey;
  ASSERT_EQ(g.mirror().value().new_size, 800u);
  auto back = g.mirror(f.src).value();
  ASSERT_EQ(back.outcome, Outcome::kFork);
  auto w = verify_fork(parse_fork_evidence(read(back.fork_evidence_path)).value(), note::Verifier::parse(f.vkey).value());
  ASSERT_TRUE(w) << w.error().to_string();
  EXPECT_EQ(w->size1, 310u);
  EXPECT_EQ(w->size2, 800u);
}

TEST(Mirror, AnOlderConsistentCheckpointIsOnlyBehind) {
  Fixture f(100);
  std::string old = f.copy("old");
  append(f.src, 50);
  ASSERT_TRUE(f.mirror());
  auto r = f.mirror(old).value();
  EXPECT_EQ(r.outcome, Outcome::kSourceBehind);
  EXPECT_EQ(r.new_size, 150u);
}

TEST(Mirror, NamesTheFileAndTheCheckThatFailed) {
  Fixture f(600);
  ASSERT_TRUE(f.mirror());
  append(f.src, 300);
  // A served hash tile that does not match the entries (tile 0/002 became full with the append;
  // hash 200 is entry 712, a new one).
  std::string tile = f.src + "/log/" + log::tile_path(0, 2, 256);
  std::string data = read(tile);
  data[32 * 200] ^= 1;
  ASSERT_TRUE(Env::posix().write_file_atomic(tile, data, Durability::kNoSync));
  std::string before = read(f.dst + "/log/checkpoint");
  auto r = f.mirror();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(f.src + "/log/tile/0/002:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("hash 200 differs from the one recomputed"), std::string::npos) << r.error().message;
  EXPECT_EQ(read(f.dst + "/log/checkpoint"), before);  // unchanged
  data[32 * 200] ^= 1;
  ASSERT_TRUE(Env::posix().write_file_atomic(tile, data, Durability::kNoSync));
  // A served tile whose hashes for entries already mirrored were altered: named too. (The
  // level-1 partial of size 900 holds the hashes of level-0 tiles 0, 1 and 2.)
  std::string upper = f.src + "/log/" + log::tile_path(1, 0, 3);
  std::string upper_data = read(upper);
  std::string altered = upper_data;
  altered[0] ^= 1;
  ASSERT_TRUE(Env::posix().write_file_atomic(upper, altered, Durability::kNoSync));
  auto o = f.mirror();
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find(f.src + "/log/tile/1/000.p/3: hash 0 differs from the mirrored tile"), std::string::npos)
      << o.error().message;
  EXPECT_EQ(read(f.dst + "/log/checkpoint"), before);
  // Repaired at the source: the next run succeeds (resume).
  ASSERT_TRUE(Env::posix().write_file_atomic(upper, upper_data, Durability::kNoSync));
  ASSERT_EQ(f.mirror().value().new_size, 900u);
  f.verify_mirror();
}

TEST(Mirror, RefusesABadSignatureATruncatedBundleAndAnotherLogsMirror) {
  Fixture f(10);
  std::string cp = read(f.src + "/log/checkpoint");
  std::string bad = cp;
  bad[bad.find('\n') + 1] = '9';  // the size line, after signing
  ASSERT_TRUE(Env::posix().write_file_atomic(f.src + "/log/checkpoint", bad, Durability::kNoSync));
  auto r = f.mirror();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("checkpoint at " + f.src + "/log/checkpoint"), std::string::npos) << r.error().message;
  ASSERT_TRUE(Env::posix().write_file_atomic(f.src + "/log/checkpoint", cp, Durability::kNoSync));
  std::string bundle = f.src + "/log/" + log::bundle_path(0, 10);
  std::string b = read(bundle);
  ASSERT_TRUE(Env::posix().write_file_atomic(bundle, b.substr(0, b.size() - 3), Durability::kNoSync));
  auto t = f.mirror();
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find(f.src + "/log/tile/entries/000.p/10"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("truncated"), std::string::npos) << t.error().message;
  ASSERT_TRUE(Env::posix().write_file_atomic(bundle, b, Durability::kNoSync));
  ASSERT_TRUE(f.mirror());
  Fixture g(3);
  g.dst = f.dst;
  auto u = g.mirror();
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("mirrors another log"), std::string::npos) << u.error().message;
}

TEST(Mirror, AWitnessPolicyShortfallMirrorsNothing) {
  Fixture f(10);
  MirrorOptions o;
  o.source = f.src;
  o.dir = f.dst;
  o.vkey = f.vkey;
  o.witnesses.witnesses = {note::Cosigner::generate("w1.example").value().verifier()};
  o.witnesses.quorum = 1;
  auto r = run_mirror(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("0 of 1 witnesses cosigned (quorum 1, NOT met)"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::exists(f.dst + "/log/checkpoint"));
  o.witnesses.quorum = 0;  // report only
  auto ok = run_mirror(o).value();
  ASSERT_TRUE(ok.witnesses);
  EXPECT_EQ(ok.witnesses->missing.size(), 1u);
}

}  // namespace
}  // namespace tallylog::mirror
