// CSV imports end to end (reader -> mapping -> ingestor -> log), on the rows of the bundled
// fixtures: what a damaged or odd file does to an import (finding 10.9).
#include "tallylog/ingest/csv_import.h"

#include <gtest/gtest.h>

#include "tallylog/base/testing.h"
#include "tallylog/election/toml.h"

namespace tallylog::ingest {
namespace {

std::string src(const std::string& rel) { return testing::source_dir() + "/" + rel; }

const char* kHeader =
    "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,EG,NM,LM,JABE,JOBR,AE,CF,DC,"
    "EM,BERA,URL";

// A valid sheet row for table `mesa` of centre 010113042 (tables 1-3 are in stations.csv).
std::string row(int mesa, int eg, const std::string& state_name = "DTTO. CAPITAL") {
  return "1," + state_name + ",1,MP. BLVNO LIBERTADOR,13,PQ. EL RECREO,10113042," + std::to_string(mesa) +
         ",600," + std::to_string(eg + 100) + ",0," + std::to_string(eg) + ",100,0,0,0,0,0,0,0,0,https://example.org/a.jpg";
}
std::string row_apure(int eg) {
  return "3,EDO. APURE,1,MP. BLVNO LIBERTADOR,13,PQ. EL RECREO,30101007,1,400," + std::to_string(eg + 100) + ",0," +
         std::to_string(eg) + ",100,0,0,0,0,0,0,0,0,https://example.org/a.jpg";
}
std::string row_guaira(int eg) {
  return "24,\"EDO. LA GUAIRA, VARGAS\",1,MP. BLVNO LIBERTADOR,13,PQ. EL RECREO,240111018,1,500," +
         std::to_string(eg + 100) + ",0," + std::to_string(eg) + ",100,0,0,0,0,0,0,0,0,https://example.org/a.jpg";
}

class CsvImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    election_ = election::load_election_toml(src("elections/ve2024/election.toml")).value();
    data_ = dir_.path() + "/data";
    ASSERT_TRUE(Ingestor::init(data_, election_, ""));
    ing_ = Ingestor::open(data_).value();
    mapping_ = Mapping::load(Env::posix(), src("elections/ve2024/convzla-v1.mapping.toml")).value();
    auto stations = Env::posix().read_file(src("tests/fixtures/ingest/stations.csv")).value();
    auto sum = import_stations_csv(*ing_, stations, "stations.csv", mapping_, ImportOptions{});
    ASSERT_TRUE(sum) << sum.error().to_string();
    ASSERT_EQ(sum->accepted, 5u);
  }
  Result<ImportSummary> import(const std::string& text) {
    ImportOptions o;
    o.source = "witness:test";
    return import_sheets_csv(*ing_, text, "sheets.csv", mapping_, o);
  }

  testing::TempDir dir_;
  std::string data_;
  election::Election election_;
  // The log's size once a checkpoint covers everything indexed (log().size() is the published
  // checkpoint's, which the background publisher advances on its own schedule).
  uint64_t settled_log_size() {
    auto& lg = ing_->log();
    EXPECT_TRUE(lg.await_checkpoint(ing_->index().indexed_size().value()));
    return lg.size();
  }

  Mapping mapping_;
  std::unique_ptr<Ingestor> ing_;
};

// Finding 10.9: "a CSV row with an unclosed quote silently drops the rest of the file (5 good
// rows lost, neither logged nor rejected)".
TEST_F(CsvImportTest, AnUnclosedQuoteRejectsItsRowWithLineAndReasonAndTheFiveRowsAfterItAreImported) {
  const std::string text = std::string(kHeader) + "\n" + row(1, 200) + "\n" + row_guaira(230) + "\n" +
                           row(2, 210, "\"DTTO. CAPITAL") + "\n" +  // line 4: the quote never closes
                           row(3, 220) + "\n" + row_apure(240) + "\n" + row(2, 250) + "\n";
  auto sum = import(text);
  ASSERT_TRUE(sum) << sum.error().to_string();
  EXPECT_EQ(sum->rows, 6u);
  EXPECT_EQ(sum->summary_line(), "accepted 5, duplicates 0, conflicts 0, rejected 1");
  ASSERT_EQ(sum->rejects.size(), 1u);  // before the fix: accepted 2, and lines 4-7 vanished
  EXPECT_EQ(sum->rejects[0].line, 4u);
  EXPECT_EQ(sum->rejects[0].field, "row");
  EXPECT_NE(sum->rejects[0].reason.find("never closed"), std::string::npos) << sum->rejects[0].reason;
  EXPECT_EQ(settled_log_size(), 1u + 5u + 5u);  // election, stations, the five good rows
}

// Finding 10.9: "CR-only line endings give 0 rows and exit 0".
TEST_F(CsvImportTest, CrOnlyLineEndingsImportEveryRow) {
  const std::string text = std::string(kHeader) + "\r" + row(1, 200) + "\r" + row(2, 210) + "\r" + row(3, 220) +
                           "\r" + row_guaira(230) + "\r" + row_apure(240) + "\r";
  auto sum = import(text);
  ASSERT_TRUE(sum) << sum.error().to_string();
  EXPECT_EQ(sum->rows, 5u);
  EXPECT_EQ(sum->summary_line(), "accepted 5, duplicates 0, conflicts 0, rejected 0");
}

TEST_F(CsvImportTest, AHeaderWithoutDataRowsIsAnErrorNotZeroRows) {
  for (const std::string& text : {std::string(kHeader), std::string(kHeader) + "\n\n\r\n"}) {
    auto sum = import(text);
    ASSERT_FALSE(sum) << "imported " << sum->rows << " rows";
    EXPECT_EQ(sum.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(sum.error().message, "sheets.csv: no data rows after the header");
  }
}

// Finding 10.9: "a duplicate header column silently uses the first".
TEST_F(CsvImportTest, ADuplicateHeaderColumnIsAnErrorNamingIt) {
  const std::string header = std::string(kHeader) + ",EG";
  const std::string text = header + "\n" + row(1, 200) + ",999\n";
  auto sum = import(text);
  ASSERT_FALSE(sum);
  EXPECT_EQ(sum.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(sum.error().message, "sheets.csv:1: bad header: column 'EG' appears twice (columns 12 and 23)");
  EXPECT_EQ(settled_log_size(), 1u + 5u) << "nothing imported";
  auto stations = import_stations_csv(*ing_, header + "\n", "stations2.csv", mapping_, ImportOptions{});
  ASSERT_FALSE(stations);
  EXPECT_NE(stations.error().message.find("column 'EG' appears twice"), std::string::npos);
}

// Finding 10.9: "NUL bytes are copied raw into rejects.csv".
TEST_F(CsvImportTest, RejectsCsvNeverCarriesRawControlCharacters) {
  using namespace std::string_literals;
  std::string nul_row = row(1, 200);
  nul_row.replace(nul_row.find("10113042"), 8, "1011\0" "3042"s);
  std::string esc_row = row(2, 210);
  esc_row.replace(esc_row.find("10113042"), 8, "\x1b[2J10113042\u202e");
  const std::string text = std::string(kHeader) + "\n" + nul_row + "\n" + esc_row + "\n" + row(3, 220) + "\n";
  auto sum = import(text);
  ASSERT_TRUE(sum) << sum.error().to_string();
  EXPECT_EQ(sum->summary_line(), "accepted 1, duplicates 0, conflicts 0, rejected 2");
  const std::string path = dir_.file("rejects.csv");
  ASSERT_TRUE(write_rejects_csv(Env::posix(), path, sum->rejects));
  const std::string written = Env::posix().read_file(path).value();
  for (unsigned char c : written) ASSERT_TRUE(c >= 0x20 || c == '\n') << "raw byte " << int(c) << " in\n" << written;
  EXPECT_EQ(written.find("\u202e"), std::string::npos) << written;
  EXPECT_NE(written.find("2,"), std::string::npos);
  EXPECT_NE(written.find("\\x1b[2J"), std::string::npos) << written;
  EXPECT_NE(written.find("\\u{202e}"), std::string::npos) << written;
  EXPECT_NE(written.find("NUL byte"), std::string::npos) << written;
}

// A sink that answers every sheet accepted and records the batches it was given: the importer's
// batching seen from the sink.
class RecordingSink final : public SheetSink {
 public:
  explicit RecordingSink(const election::Election& e) : election_(e) {}
  const election::Election& election() const override { return election_; }
  Result<std::vector<Outcome>> submit_batch(std::span<election::Sheet> sheets,
                                            std::span<const std::string>) override {
    ADD_FAILURE() << "an import submits deferred batches";
    return std::vector<Outcome>(sheets.size());
  }
  Result<std::vector<Outcome>> submit_batch_deferred(std::vector<election::Sheet> sheets,
                                                     std::span<const std::string>) override {
    sizes.push_back(sheets.size());
    for (const auto& s : sheets) order.push_back(s.station);
    std::vector<Outcome> out(sheets.size());
    for (auto& o : out) o.verdict = Verdict::kAccepted;
    return out;
  }
  Status sync() override { return ok(); }
  Status record_rejects(std::span<const index::Reject>) override { return ok(); }

  std::vector<size_t> sizes;
  std::vector<std::string> order;

 private:
  const election::Election& election_;
};

TEST_F(CsvImportTest, BatchesOfTheBatchSizeReachTheSinkInFileOrder) {
  std::string text = std::string(kHeader) + "\n";
  std::vector<std::string> expected;
  for (int k = 0; k < 10'000; ++k) {  // 1,000 centres of 10 tables
    const int centre = 10113000 + k / 10, mesa = 1 + k % 10;
    std::string r = row(mesa, 50);
    r.replace(r.find("10113042"), 8, std::to_string(centre));
    text += r + "\n";
    expected.push_back("0" + std::to_string(centre) + "." + (mesa < 10 ? "0" : "") +
                       std::to_string(mesa));
  }
  RecordingSink sink(election_);
  ImportOptions o;
  o.source = "witness:test";
  o.batch_size = 1000;
  auto sum = import_sheets_csv(sink, text, "sheets.csv", mapping_, o);
  ASSERT_TRUE(sum) << sum.error().to_string();
  EXPECT_EQ(sum->accepted, 10'000u);
  ASSERT_EQ(sink.sizes.size(), 10u);
  for (size_t n : sink.sizes) EXPECT_EQ(n, 1000u);
  EXPECT_EQ(sink.order, expected) << "sheets reach the sink in file order";
}

}  // namespace
}  // namespace tallylog::ingest
