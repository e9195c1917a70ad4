// End-to-end imports: the real Venezuela table (skipped without ../shared/data) and a kill -9 in
// the middle of a large import by the real `tallylog` binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tallylog/base/testing.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/toml.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/csv_import.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/merkle/tree.h"

namespace tallylog::ingest {
namespace {

std::string src(const std::string& rel) { return testing::source_dir() + "/" + rel; }

election::Election ve2024() { return election::load_election_toml(src("elections/ve2024/election.toml")).value(); }
Mapping convzla() { return Mapping::load(Env::posix(), src("elections/ve2024/convzla-v1.mapping.toml")).value(); }

// Checks every log entry hashes into the root the log reports for its size.
void expect_log_verifies(const log::LogReader& lg) {
  std::vector<merkle::Hash> leaves;
  ASSERT_TRUE(lg.for_each_entry(0, lg.size(), [&](uint64_t, std::string_view e) -> Status {
    leaves.push_back(merkle::leaf_hash(e));
    return {};
  }));
  ASSERT_EQ(leaves.size(), lg.size());
  auto root = lg.root_hash(lg.size());
  ASSERT_TRUE(root) << root.error().to_string();
  EXPECT_EQ(merkle::hash_hex(*root), merkle::hash_hex(merkle::root_of(leaves)));
}

TEST(RealData, VenezuelaCsvImportsEveryRowAndNationalTotalsEqualTheColumnSums) {
  const std::string file = src("elections/ve2024/data/RESULTADOS_2024_CSV_V1.csv");  // the bundled copy
  std::string text = Env::posix().read_file(file).value();

  // Independent column sums: the file has no quoted fields, so a plain split is exact.
  std::map<std::string, int64_t> expected;
  std::vector<std::string> header;
  uint64_t rows = 0;
  {
    std::istringstream in(text.substr(3));  // BOM
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      std::vector<std::string> cols;
      std::stringstream ls(line);
      std::string c;
      while (std::getline(ls, c, ',')) cols.push_back(c);
      if (header.empty()) {
        header = cols;
        continue;
      }
      ++rows;
      for (size_t i = 8; i + 1 < header.size(); ++i) expected[header[i]] += std::stoll(cols[i]);
    }
  }
  ASSERT_EQ(rows, 24532u);
  ASSERT_EQ(expected["RE"], 17745239);

  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  ASSERT_TRUE(Ingestor::init(data, ve2024(), ""));
  auto ing = Ingestor::open(data).value();
  auto m = convzla();
  auto t0 = std::chrono::steady_clock::now();
  auto st = import_stations_csv(*ing, text, file, m, ImportOptions{});
  ASSERT_TRUE(st) << st.error().to_string();
  EXPECT_EQ(st->summary_line(), "accepted 24532, duplicates 0, conflicts 0, rejected 0");
  auto t1 = std::chrono::steady_clock::now();
  ImportOptions o;
  o.source = "witness:convzla";
  auto sh = import_sheets_csv(*ing, text, file, m, o);
  ASSERT_TRUE(sh) << sh.error().to_string();
  auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(sh->summary_line(), "accepted 24532, duplicates 0, conflicts 0, rejected 0");
  std::printf("stations %.3f s, sheets %.3f s\n", std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count());

  std::map<std::string, int64_t> got;
  uint64_t sheets = 0, registered = 0;
  ASSERT_TRUE(ing->index().for_each_current_sheet("", [&](const index::SheetRecord& r) {
    ++sheets;
    for (const auto& [c, v] : r.sheet.candidates) got[c] += v;
    got["VOTOS_VALIDOS"] += r.sheet.fields.at("valid");
    got["VOTOS_NULOS"] += r.sheet.fields.at("null");
  }));
  ASSERT_TRUE(ing->index().for_each_station([&](const election::Station& s) { registered += s.registered.value(); }));
  EXPECT_EQ(sheets, 24532u);
  EXPECT_EQ(registered, 17745239u);
  for (const char* c : {"EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA", "VOTOS_VALIDOS", "VOTOS_NULOS"})
    EXPECT_EQ(got[c], expected[c]) << c;
  ASSERT_TRUE(ing->log().await_checkpoint(ing->index().indexed_size().value()));  // checkpoints follow appends
  EXPECT_EQ(ing->log().size(), 1u + 2 * 24532u);
  auto first = ing->index().sheets_for_station("010113042.01").value();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].sheet.candidates.at("EG"), 232);
}

// A synthetic election CSV in the convzla layout: `centres` centres of `tables` tables each.
std::string synthetic_csv(uint64_t centres, int tables) {
  std::string out =
      "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,"
      "BERA,URL\n";
  for (uint64_t c = 0; c < centres; ++c) {
    uint64_t state = c % 24 + 1, mun = (c / 24) % 10 + 1, par = (c / 240) % 40 + 1, ccc = c / 9600 + 1;
    uint64_t cod_par = ((state - 1) * 10 + (mun - 1)) * 40 + par;
    uint64_t centro = ((state * 100 + mun) * 100 + par) * 1000 + ccc;
    for (int t = 1; t <= tables; ++t) {
      uint64_t k = c * tables + t;
      int64_t votes[10];
      int64_t valid = 0;
      for (int i = 0; i < 10; ++i) valid += votes[i] = static_cast<int64_t>((k * (i + 7)) % 31);
      out += std::to_string(state) + ",S" + std::to_string(state) + "," + std::to_string(mun) + ",M," +
             std::to_string(cod_par) + ",P," + std::to_string(centro) + "," + std::to_string(t) + "," +
             std::to_string(400 + k % 200) + "," + std::to_string(valid) + "," + std::to_string(k % 5);
      for (int64_t v : votes) out += "," + std::to_string(v);
      out += ",\n";
    }
  }
  return out;
}

std::string tallylog_binary() {
  if (const char* b = std::getenv("TALLYLOG_BINARY")) return b;
  return TALLYLOG_BINARY;
}

int run_binary(const std::vector<std::string>& args, pid_t* pid_out = nullptr) {
  pid_t pid = fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (pid_out) {
    *pid_out = pid;
    return 0;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(KillDuringImport, RerunLosesNoAcknowledgedSheetAndDuplicatesNone) {
  const std::string bin = tallylog_binary();
  ASSERT_EQ(access(bin.c_str(), X_OK), 0) << "tallylog binary not built at " << bin;  // a dependency of this test
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  const uint64_t centres = 6000;
  const int tables = 10;
  const uint64_t n = centres * tables;
  const std::string csv = dir.file("sheets.csv");
  const std::string text = synthetic_csv(centres, tables);
  ASSERT_TRUE(Env::posix().write_file_atomic(csv, text, Durability::kNoSync));
  ASSERT_TRUE(Ingestor::init(data, ve2024(), ""));
  {
    auto ing = Ingestor::open(data).value();
    auto st = import_stations_csv(*ing, text, csv, convzla(), ImportOptions{}).value();
    ASSERT_EQ(st.accepted, n);
  }
  const uint64_t base = 1 + n;  // election + stations
  const std::vector<std::string> args = {bin,      "import",    data, csv, "--source", "official", "--mapping",
                                         src("elections/ve2024/convzla-v1.mapping.toml"), "--batch", "1000"};
  pid_t pid = 0;
  run_binary(args, &pid);
  // Kill it once the index has grown past the stations (sheets are being acknowledged).
  const std::string wal = index::index_path(data) + "-wal";
  auto start = std::chrono::steady_clock::now();
  struct stat sb {};
  uint64_t wal_start = stat(wal.c_str(), &sb) == 0 ? sb.st_size : 0;
  bool killed = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (stat(wal.c_str(), &sb) == 0 && static_cast<uint64_t>(sb.st_size) > wal_start + (4u << 20)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!killed) std::printf("note: the import finished before it could be killed\n");

  // What survived the crash (the ingestor heals the index from the log on open).
  std::map<std::string, uint64_t> acknowledged;
  {
    auto ing = Ingestor::open(data).value();
    ASSERT_EQ(ing->index().indexed_size().value(), ing->log().size());
    ASSERT_TRUE(ing->index().for_each_current_sheet("", [&](const index::SheetRecord& r) {
      acknowledged[r.sheet.station] = r.log_index;
    }));
    std::printf("killed=%d: %zu of %llu sheets logged before the kill\n", killed, acknowledged.size(),
                static_cast<unsigned long long>(n));
    if (killed) {
      EXPECT_GT(acknowledged.size(), 0u);
      EXPECT_LT(acknowledged.size(), n);
    }
  }
  ASSERT_EQ(run_binary(args), 0);
  auto ing = Ingestor::open(data).value();
  EXPECT_EQ(ing->log().size(), base + n);  // every sheet once, none twice
  std::map<std::string, uint64_t> after;
  uint64_t count = 0;
  ASSERT_TRUE(ing->index().for_each_current_sheet("", [&](const index::SheetRecord& r) {
    ++count;
    after[r.sheet.station] = r.log_index;
  }));
  EXPECT_EQ(count, n);
  EXPECT_EQ(after.size(), n);
  for (const auto& [station, idx] : acknowledged) EXPECT_EQ(after[station], idx) << station;
  EXPECT_TRUE(ing->index().conflicts().value().empty());
  expect_log_verifies(ing->log());
  ing.reset();
  // The log module's independent verifier agrees.
  EXPECT_EQ(run_binary({bin, "verify", data + "/log"}), 0);
}

}  // namespace
}  // namespace tallylog::ingest
