#include "tallylog/qr/scan.h"

#include <gtest/gtest.h>

#include "tallylog/base/sha256.h"
#include "tallylog/base/testing.h"
#include "tallylog/election/toml.h"
#include "tallylog/qr/synthetic_acta.h"

namespace tallylog::qr {
namespace {

election::Election ve2024_election() {
  auto e = election::load_election_toml(tallylog::testing::source_dir() +
                                        "/elections/ve2024/election.toml");
  EXPECT_TRUE(e) << e.error().to_string();
  return e.value_or(election::Election{});
}

election::Station station(const std::string& code) {
  election::Station s;
  s.code = code;
  s.areas = {{code.substr(0, 2), "state"},
             {code.substr(0, 4), "municipality"},
             {code.substr(0, 6), "parish"},
             {code.substr(0, 9), "centre"},
             {code, "table"}};
  s.registered = 2000;
  return s;
}

std::string acta_png(const std::string& payload) {
  testing::ActaLayout layout;
  layout.height = 2400;
  return encode_png(testing::make_acta(payload, layout)).value();
}

class ScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = ve2024_election();
    ASSERT_EQ(e.qr_profile, "ve2024-acta");
    ASSERT_TRUE(ingest::Ingestor::init(data_.path(), e, ""));
    auto ing = ingest::Ingestor::open(data_.path());
    ASSERT_TRUE(ing) << ing.error().to_string();
    ingestor_ = std::move(*ing);
    std::vector<election::Station> stations = {station("240111018.01"), station("240111020.01"),
                                               station("040202001.01")};
    ASSERT_TRUE(ingestor_->add_stations(stations));
    auto blobs = blob::BlobStore::open(Env::posix(), data_.path());
    ASSERT_TRUE(blobs);
    blobs_.emplace(std::move(*blobs));
    ASSERT_TRUE(Env::posix().create_dirs(images_.file("in/sub")));
  }

  void write(const std::string& name, const std::string& bytes) {
    ASSERT_TRUE(Env::posix().write_file_atomic(images_.file(name), bytes, Durability::kNoSync));
  }

  tallylog::testing::TempDir data_, images_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  std::optional<blob::BlobStore> blobs_;
};

TEST_F(ScanTest, ScansADirectoryCountingEachOutcomeAndStoringAcceptedImages) {
  const std::string p1 = testing::ve2024_payload("240111018", "01", 1);
  const std::string p2 = testing::ve2024_payload("240111020", "01", 2);
  const std::string p3 = testing::ve2024_payload("040202001", "01", 3);
  std::string short_payload = p1.substr(0, p1.find('!') + 1);
  for (int i = 0; i < 37; ++i) short_payload += (i ? ",1" : "1");
  short_payload += "!0!0";
  write("in/a.png", acta_png(p1));
  write("in/b.PNG", acta_png(p2));
  write("in/sub/c.png", acta_png(p3));
  write("in/sub/c-copy.png", acta_png(p3));                                    // duplicate
  write("in/d.png", "this is a text file, not an image\n");                    // image
  write("in/e.png", acta_png(short_payload));                                  // qr: 37 counts
  write("in/f.png", acta_png(testing::ve2024_payload("999999999", "01", 4)));  // unknown station
  write("in/notes.txt", "ignored: not an image extension");

  auto files = list_image_files({images_.file("in")});
  ASSERT_TRUE(files) << files.error().to_string();
  ASSERT_EQ(files->size(), 7u);

  ScanOptions options;
  options.source = "qr";
  options.threads = 3;
  options.batch_size = 2;
  uint64_t last_progress = 0;
  options.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, 7u);
    last_progress = done;
  };
  auto summary = scan_images(*ingestor_, *blobs_, *files, options);
  ASSERT_TRUE(summary) << summary.error().to_string();
  EXPECT_EQ(summary->summary_line(), "accepted 3, duplicates 1, conflicts 0, rejected 3");
  EXPECT_EQ(last_progress, 7u);
  ASSERT_EQ(summary->rejects.size(), 3u);
  // Input order: d.png, e.png, f.png.
  EXPECT_EQ(summary->rejects[0].file, images_.file("in/d.png"));
  EXPECT_EQ(summary->rejects[0].field, "image");
  EXPECT_EQ(summary->rejects[1].file, images_.file("in/e.png"));
  EXPECT_EQ(summary->rejects[1].field, "qr");
  EXPECT_NE(summary->rejects[1].reason.find("37 comma-separated counts"), std::string::npos);
  EXPECT_EQ(summary->rejects[2].file, images_.file("in/f.png"));
  EXPECT_EQ(summary->rejects[2].field, "station");

  // Accepted sheets name their image, and the image is in the blob store.
  auto sheets = ingestor_->index().sheets_for_station("240111018.01", "qr");
  ASSERT_TRUE(sheets) << sheets.error().to_string();
  ASSERT_EQ(sheets->size(), 1u);
  const auto& sheet = (*sheets)[0].sheet;
  EXPECT_EQ(sheet.qr_payload, p1);
  EXPECT_EQ(sheet.source, "qr");
  EXPECT_EQ(sheet.image_sha256, sha256_hex(acta_png(p1)));
  EXPECT_TRUE(blobs_->contains(sheet.image_sha256));
  // Nothing stored for the images that did not decode or parse.
  EXPECT_FALSE(blobs_->contains(sha256_hex(acta_png(short_payload))));

  ASSERT_TRUE(write_scan_rejects_csv(Env::posix(), images_.file("rejects.csv"), summary->rejects));
  auto csv = Env::posix().read_file(images_.file("rejects.csv"));
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->rfind("file,field,reason\n", 0), 0u);
  EXPECT_NE(csv->find("d.png,image,"), std::string::npos);
}

TEST_F(ScanTest, RescanningTheSameImagesGivesOnlyDuplicates) {
  write("in/a.png", acta_png(testing::ve2024_payload("240111018", "01", 1)));
  write("in/b.png", acta_png(testing::ve2024_payload("240111020", "01", 2)));
  auto files = list_image_files({images_.file("in")}).value();
  ScanOptions options;
  ASSERT_EQ(scan_images(*ingestor_, *blobs_, files, options)->summary_line(),
            "accepted 2, duplicates 0, conflicts 0, rejected 0");
  options.threads = 1;
  ASSERT_EQ(scan_images(*ingestor_, *blobs_, files, options)->summary_line(),
            "accepted 0, duplicates 2, conflicts 0, rejected 0");
}

TEST(Scan, ListingAMissingInputIsNotFound) {
  auto r = list_image_files({"/nonexistent/tallylog/actas"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(Scan, RefusesAnElectionWithoutQrProfile) {
  tallylog::testing::TempDir data;
  auto e = ve2024_election();
  e.qr_profile.clear();
  ASSERT_TRUE(ingest::Ingestor::init(data.path(), e, ""));
  auto ing = ingest::Ingestor::open(data.path());
  ASSERT_TRUE(ing);
  auto blobs = blob::BlobStore::open(Env::posix(), data.path()).value();
  auto r = scan_images(**ing, blobs, {}, ScanOptions{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tallylog::qr
