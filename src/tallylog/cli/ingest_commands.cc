// `tallylog stations import`, `tallylog import`, `tallylog sheets show` and `tallylog reindex`:
// flags, wiring and printing only; the work is in ingest/ (csv_import.h, ingestor.h) and index/.
#include <chrono>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "tallylog/store/store.h"
#include "tallylog/base/csv.h"
#include "tallylog/base/env.h"
#include "tallylog/base/mapped_file.h"
#include "tallylog/base/zip.h"
#include "tallylog/cli/command.h"
#include "tallylog/cli/progress.h"
#include "tallylog/cli/verify_args.h"
#include "tallylog/election/contest.h"
#include "tallylog/index/open.h"
#include "tallylog/ingest/contest.h"
#include "tallylog/ingest/read_only.h"
#include "tallylog/ingest/csv_import.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/ingest/mapping.h"
#include "tallylog/log/log.h"
#include "tallylog/net/http_client.h"
#include "tallylog/remote/bulk_client.h"

namespace tallylog::cli {
namespace {

struct ImportArgs {
  std::string data_dir;
  std::string index_url;  // --index
  std::string file;
  std::string mapping;
  std::string source;
  std::string submitted_by;
  std::string rejects;  // where the rejected rows go; default <file>.rejects.csv
  size_t batch = 10000;
  bool stats = false;
  std::string token;  // with a server URL in place of the data directory
  std::string contest;  // --contest (empty: the only one)
  std::string device_key;  // --device-key: a device key file to sign every sheet with
};

const char* const kWriteIndexHelp =
    "the index to keep (instead of <data>/index.sqlite): a URL such as postgresql://user@host/db; it is brought up "
    "to date from the log first";
const char* const kContestHelp = "the contest (an election with several needs one; default: the only one)";

// Sheets per POST when importing into a server: small enough that the live tally moves as
// batches land and a killed run loses little, big enough that a batch's append amortises.
constexpr size_t kRemoteBatch = 5000;

// `stations`: the registry is every contest's, so any contest's ingestor registers them (the
// first, when none is named); the other contests' indexes take them from the log.
std::unique_ptr<ingest::Ingestor> open_ingestor(const std::string& data_dir, const std::string& contest,
                                                bool stations, const std::string& index_url,
                                                const std::string& device_key_file = "") {
  ingest::IngestorOptions o;
  if (!device_key_file.empty()) {
    // A device key (tallylog devices keygen): every sheet is signed as that device.
    o.device_signer = std::make_shared<const note::Signer>(signer_or_exit(device_key_file, "--device-key"));
  }
  o.contest = contest;
  o.index_url = index_url;
  o.first_contest_if_unnamed = stations;
  auto progress = std::make_shared<std::unique_ptr<Progress>>();
  o.catch_up_progress = [progress](uint64_t done, uint64_t total) {
    if (!*progress) *progress = std::make_unique<Progress>("index catching up", total);
    (*progress)->update(done);
  };
  return value_or_exit(ingest::Ingestor::open(data_dir, o));
}

// The rejects store, <data>/rejects.sqlite (every contest's), reached through an index of the
// data directory's own: a single-contest election's index.sqlite, else the first contest's
// index.<id>.sqlite (ingest/contest.h). Never <data>/index.sqlite of an election with several
// contests, which no contest reads.
std::unique_ptr<index::Index> open_rejects_or_exit(const std::string& data_dir) {
  auto log = value_or_exit(store::open_reader(data_dir));
  auto ci = value_or_exit(ingest::contest_index(data_dir, *log, "", /*first_if_unnamed=*/true));
  return value_or_exit(index::open_index(ci.url));
}

void report_rejects(const std::string& path, const ingest::ImportSummary& sum) {
  if (sum.rejects.empty()) {
    (void)Env::posix().remove_file(path);  // a stale report from an earlier run would mislead
    return;
  }
  if (auto s = ingest::write_rejects_csv(Env::posix(), path, sum.rejects); !s) {
    std::cerr << "tallylog: could not write " << path << ": " << s.error().to_string() << "\n";
  } else {
    std::cerr << sum.rejects.size() << " rejected rows written to " << path << "\n";
  }
}

// The CSV to import: mapped, and the pages behind the reader handed back after each batch, so
// memory is bounded by the batches in flight, not by the file (issue 16). A published .csv.zip
// is unpacked in memory (then `unzipped` holds it and nothing is handed back).
struct InputText {
  std::unique_ptr<MappedFile> file;
  bool zipped = false;
  std::string unzipped;
  // Computed, not stored: the struct may be moved (a short string's bytes move with it).
  std::string_view text() const { return zipped ? std::string_view(unzipped) : file->data(); }
};
InputText open_input(const std::string& path) {
  InputText in;
  in.file = value_or_exit(MappedFile::open(path));
  if (looks_like_zip(in.file->data())) {
    in.zipped = true;
    in.unzipped = value_or_exit(unzip_single(in.file->data(), path));
  }
  return in;
}

void finish_import(const ImportArgs& a, const ingest::ImportSummary& s, const std::string& flags_hint) {
  report_rejects(a.rejects.empty() ? a.file + ".rejects.csv" : a.rejects, s);
  if (s.flagged > 0) std::cerr << s.flagged << " logged sheets break a flag rule of the election; " << flags_hint << "\n";
  std::cout << s.summary_line() << std::endl;
  if (s.rows > 0 && s.rejected == s.rows) {
    // Nothing got in: a wrong mapping or file, not a few bad rows. Scripts must notice.
    const auto& first = s.rejects.front();
    fail("every one of the " + std::to_string(s.rows) + " rows was rejected (first: line " +
         std::to_string(first.line) + ", " + first.field + ": " + first.reason + ")");
  } else if (s.rows == 0) {
    fail(a.file + ": no data rows after the header");
  }
}

// One CSV holding several contests' sheets (a mapping with [sheet] contest): one pass over the
// file per contest, each through that contest's ingestor (the log has one writer at a time), the
// other contests' rows left for their own pass; a row naming no contest of the election is
// rejected once, in the first pass. With --contest, that contest's rows only.
void run_contests_import(const ImportArgs& a, const ingest::Mapping& mapping, const InputText& in) {
  std::vector<std::string> contests;
  {
    auto log = value_or_exit(store::open_reader(a.data_dir));
    const election::Election e = value_or_exit(ingest::logged_election(*log));
    contests = election::contest_ids(e);
    for (const auto& [id, sheet] : mapping.contest_sheets) {
      if (std::find(contests.begin(), contests.end(), id) != contests.end()) continue;
      std::string list;
      for (const auto& c : contests) list += (list.empty() ? "" : ", ") + c;
      fail(a.mapping + ": [sheet.contests." + id + "]: election " + e.id + " has no contest \"" + id + "\" (it has " +
           list + ")");
      return;
    }
  }
  const std::vector<std::string> targets = a.contest.empty() ? contests : std::vector<std::string>{a.contest};
  if (!a.index_url.empty() && targets.size() > 1) {
    // One --index URL holds one contest's index (docs/operator-guide.md).
    fail("--index names one contest's index: import each contest with --contest and its own --index");
    return;
  }
  ingest::ImportSummary total;
  for (size_t k = 0; k < targets.size(); ++k) {
    auto ing = open_ingestor(a.data_dir, targets[k], false, a.index_url, a.device_key);
    ingest::ImportOptions o;
    o.source = a.source;
    o.submitted_by = a.submitted_by;
    o.batch_size = a.batch;
    for (const auto& c : contests)
      if (c != ing->election().contest) o.other_contests.push_back(c);
    o.leave_unknown_contests = k > 0;
    auto sum = ingest::import_sheets_csv(*ing, in.text(), a.file, mapping, o);
    check_or_exit(ing->close());
    if (!sum) check_or_exit(std::unexpected(sum.error()));
    std::cerr << "contest " << targets[k] << ": " << sum->summary_line() << "\n";
    total.rows += sum->rows;
    total.accepted += sum->accepted;
    total.duplicates += sum->duplicates;
    total.conflicts += sum->conflicts;
    total.rejected += sum->rejected;
    total.flagged += sum->flagged;
    total.rejects.insert(total.rejects.end(), sum->rejects.begin(), sum->rejects.end());
    if (k == 0) total.other_contest_rows = sum->other_contest_rows;
  }
  std::stable_sort(total.rejects.begin(), total.rejects.end(),
                   [](const ingest::RowReject& x, const ingest::RowReject& y) { return x.line < y.line; });
  if (!a.contest.empty() && total.other_contest_rows > 0)
    std::cerr << total.other_contest_rows << " rows of other contests left out\n";
  if (total.rows == 0 && total.other_contest_rows > 0) {
    fail(a.file + ": no row of contest " + a.contest + " (" + std::to_string(total.other_contest_rows) +
         " rows of other contests)");
    return;
  }
  finish_import(a, total, "`tallylog flags " + a.data_dir + " --contest <id>` lists them");
}

void run_import(const ImportArgs& a, bool stations) {
  auto mapping = value_or_exit(ingest::Mapping::load(Env::posix(), a.mapping));
  const InputText in = open_input(a.file);
  if (!stations && mapping.has_contest) {
    run_contests_import(a, mapping, in);
    return;
  }
  const auto& file = in.file;
  const bool zipped = in.zipped;
  const std::string_view text = in.text();
  auto t_open = std::chrono::steady_clock::now();
  auto ing = open_ingestor(a.data_dir, a.contest, stations, a.index_url, stations ? "" : a.device_key);
  double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_open).count();
  Progress progress(stations ? "stations" : "sheets", text.size());
  ingest::ImportOptions o;
  o.source = a.source;
  o.submitted_by = a.submitted_by;
  o.batch_size = a.batch;
  o.progress = [&](uint64_t done, uint64_t) {
    progress.update(done);
    if (!zipped) file->release_before(done);  // offsets are into the mapped file only
  };
  auto sum = stations ? ingest::import_stations_csv(*ing, text, a.file, mapping, o)
                      : ingest::import_sheets_csv(*ing, text, a.file, mapping, o);
  if (a.stats) {
    auto st = ing->stats();
    std::fprintf(stderr, "time: checks %.3f s, log appends %.3f s, index %.3f s, index commits %.3f s, %llu batches\n",
                 st.check_seconds, st.log_seconds, st.index_seconds, st.commit_seconds,
                 static_cast<unsigned long long>(st.batches));
  }
  auto t_close = std::chrono::steady_clock::now();
  check_or_exit(ing->close());
  if (a.stats)
    std::fprintf(stderr, "time: open %.3f s, close %.3f s\n", open_s,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t_close).count());
  if (!sum) check_or_exit(std::unexpected(sum.error()));
  finish_import(a, *sum, "`tallylog flags " + a.data_dir + "` lists them");
}

// The rows that came back from a running server, with the same report as a direct import.
void run_remote_import(const ImportArgs& a, bool batch_given) {
  auto mapping = value_or_exit(ingest::Mapping::load(Env::posix(), a.mapping));
  const InputText in = open_input(a.file);
  const auto& file = in.file;
  const bool zipped = in.zipped;
  const std::string_view text = in.text();
  // The handshake: a wrong token, source or URL stops here, before anything is sent.
  remote::BulkOptions bo;
  bo.token = a.token;
  bo.source = a.source;
  bo.contest = a.contest;  // the contest the sheets are for (the server collects every one)
  auto client = value_or_exit(remote::BulkClient::connect(a.data_dir, bo));
  std::cerr << "submitting to " << a.data_dir << " as '" << client->submitter() << "'; it holds "
            << client->stats().held_at_start << " sheets of " << a.source << "\n";
  ingest::ImportOptions o;
  o.source = a.source;
  o.submitted_by = a.submitted_by;
  o.batch_size = batch_given ? a.batch : kRemoteBatch;
  // A file holding several contests' sheets ([sheet] contest): a run sends one contest's (a
  // session is per contest); the other rows are left out and counted (run again with their
  // --contest).
  o.leave_unknown_contests = true;
  Result<ingest::ImportSummary> sum = std::unexpected(Error{});
  {
    Progress progress("sheets", text.size());
    o.progress = [&](uint64_t done, uint64_t) {
      progress.update(done);
      if (!zipped) file->release_before(done);
    };
    sum = ingest::import_sheets_csv(*client, text, a.file, mapping, o);
  }
  if (sum && sum->other_contest_rows > 0)
    std::cerr << sum->other_contest_rows << " rows of other contests left out (this run sends contest "
              << client->election().contest << "; send the others with their --contest)\n";
  if (a.stats) {
    auto st = client->stats();
    std::fprintf(stderr, "sent %llu sheets in %llu batches (the server held %llu of this source at start)\n",
                 static_cast<unsigned long long>(st.sent), static_cast<unsigned long long>(st.batches),
                 static_cast<unsigned long long>(st.held_at_start));
  }
  if (!sum) {
    fail(sum.error().to_string() +
         "\n(batches answered before this error are logged; run the same command again to send the rest)");
    return;
  }
  finish_import(a, *sum, "GET " + a.data_dir + "/api/v1/flags lists them");
}

std::string standing(const index::SheetRecord& r) {
  if (r.superseded) return "superseded";
  if (r.conflicted) return "conflicted";
  return "current";
}

void register_ingest_commands(CLI::App& app) {
  // stations import
  auto* stations = app.add_subcommand("stations", "Station registry");
  stations->require_subcommand(1);
  auto sa = std::make_shared<ImportArgs>();
  auto* simport = stations->add_subcommand("import", "Register the stations of a CSV file through a mapping");
  simport->add_option("data", sa->data_dir, "data directory")->required();
  simport->add_option("file", sa->file, "CSV file")->required()->check(CLI::ExistingFile);
  simport->add_option("--mapping", sa->mapping, "mapping TOML")->required()->check(CLI::ExistingFile);
  simport->add_option("--batch", sa->batch, "stations per log append")->capture_default_str();
  simport->add_option("--index", sa->index_url, kWriteIndexHelp);
  simport->add_option("--rejects", sa->rejects, "where to write the rejected rows (default <file>.rejects.csv)");
  simport->callback([sa] {
    if (net::is_url(sa->data_dir)) {
      fail("stations import writes a data directory, not a server: register stations before `serve`");
      return;
    }
    run_import(*sa, true);
  });

  // import
  auto ia = std::make_shared<ImportArgs>();
  auto* import = app.add_subcommand("import", "Import tally sheets from a CSV file through a mapping");
  import->add_option("data", ia->data_dir, "data directory, or the URL of a running `tallylog serve`")->required();
  import->add_option("file", ia->file, "CSV file")->required()->check(CLI::ExistingFile);
  import->add_option("--source", ia->source, "source of every sheet (official, witness:<party>, ...)")->required();
  import->add_option("--mapping", ia->mapping, "mapping TOML")->required()->check(CLI::ExistingFile);
  import->add_option("--contest", ia->contest, kContestHelp);
  import->add_option("--index", ia->index_url, kWriteIndexHelp);
  import->add_option("--submitted-by", ia->submitted_by, "who submits (default import:<file>)");
  import->add_option("--device-key", ia->device_key,
                     "sign every sheet with this enrolled device key file (tallylog devices keygen)")
      ->check(CLI::ExistingFile);
  auto* batch_opt = import->add_option("--batch", ia->batch,
                                       "sheets per log append (default 10000; 5000 per POST to a server)");
  import->add_option("--rejects", ia->rejects, "where to write the rejected rows (default <file>.rejects.csv)");
  import->add_flag("--stats", ia->stats, "print where the time went (to stderr)");
  import->add_option("--token", ia->token, "bearer token to submit to a server URL (tallylog tokens add)")
      ->envname("TALLYLOG_TOKEN");
  import->callback([ia, batch_opt] {
    if (net::is_url(ia->data_dir)) {
      if (!ia->index_url.empty()) {
        fail("--index with a server URL: start the server with its index instead");
        return;
      }
      run_remote_import(*ia, batch_opt->count() > 0);
    } else {
      run_import(*ia, false);
    }
  });

  // sheets show
  auto* sheets = app.add_subcommand("sheets", "Tally sheets");
  sheets->require_subcommand(1);
  struct ShowArgs {
    std::string data_dir, station, source, contest, index_url;
  };
  auto sh = std::make_shared<ShowArgs>();
  auto* show = sheets->add_subcommand("show", "Every sheet logged for a station, with its log index and standing");
  show->add_option("data", sh->data_dir, "data directory")->required();
  show->add_option("--station", sh->station, "station code, e.g. 010113042.01")->required();
  show->add_option("--source", sh->source, "only this source");
  show->add_option("--contest", sh->contest, kContestHelp);
  show->add_option("--index", sh->index_url, kIndexHelp);
  show->callback([sh] {
    auto data = open_for_reading_or_exit(sh->data_dir, sh->contest, sh->index_url);
    index::IndexReader& idx = *data.index;
    auto st = value_or_exit(idx.station(sh->station));
    if (!st) {
      fail("no station " + sh->station + " in the registry of " + sh->data_dir);
      return;
    }
    std::cout << "station " << st->code << " registered "
              << (st->registered ? std::to_string(*st->registered) : std::string("unknown"));
    for (const auto& a : st->areas) std::cout << " | " << a.code << " " << a.name;
    std::cout << "\n";
    auto recs = value_or_exit(idx.sheets_for_station(sh->station, sh->source));
    if (recs.empty()) std::cout << "no sheets\n";
    for (const auto& r : recs) {
      std::cout << "log_index " << r.log_index << "  source " << r.sheet.source << "  " << standing(r);
      if (r.sheet.supersedes) {
        std::cout << "  supersedes " << *r.sheet.supersedes;
        // A log may claim a correction the verdict rule does not allow (another source's sheet).
        if (r.corrects != r.sheet.supersedes) std::cout << " (not applied: not a current sheet of this source)";
      }
      std::cout << "\n ";
      for (const auto& [c, v] : r.sheet.candidates) std::cout << " " << c << "=" << v;
      for (const auto& [f, v] : r.sheet.fields) std::cout << " " << f << "=" << v;
      if (!r.sheet.cards.empty()) {
        std::cout << " cards=";
        for (size_t i = 0; i < r.sheet.cards.size(); ++i) std::cout << (i ? "," : "") << r.sheet.cards[i];
      }
      std::cout << "\n  submitted_by " << r.sheet.submitted_by << " at " << r.sheet.submitted_at << "\n";
    }
  });

  // rejects list | clear
  auto* rejects = app.add_subcommand("rejects", "Rejected submissions kept in <data>/rejects.sqlite (one store for every contest)");
  rejects->require_subcommand(1);
  struct RejectsArgs {
    std::string data_dir, format = "table";
    size_t limit = 100;
  };
  auto ra = std::make_shared<RejectsArgs>();
  auto* rlist = rejects->add_subcommand("list", "Show rejected submissions, newest first");
  rlist->add_option("data", ra->data_dir, "data directory")->required();
  rlist->add_option("--limit", ra->limit, "at most this many (0: all)")->capture_default_str();
  rlist->add_option("--format", ra->format, "table or csv")->check(CLI::IsMember({"table", "csv"}));
  rlist->callback([ra] {
    auto idx = open_rejects_or_exit(ra->data_dir);
    auto list = value_or_exit(idx->rejects(ra->limit == 0 ? SIZE_MAX : ra->limit));
    if (ra->format == "csv") {
      std::string out = "at,source,origin,field,reason\n";
      for (const auto& r : list) {
        for (const std::string* f : {&r.at, &r.source, &r.origin, &r.field, &r.reason}) {
          append_csv_field(out, *f);
          out.push_back(f == &r.reason ? '\n' : ',');
        }
      }
      std::cout << out;
      return;
    }
    for (const auto& r : list)
      std::cout << r.at << "  " << r.source << "  " << r.origin << "  " << r.field << ": " << r.reason << "\n";
    std::cout << list.size() << " rejected submission" << (list.size() == 1 ? "" : "s") << " shown" << std::endl;
  });
  auto* rclear = rejects->add_subcommand("clear", "Empty the rejects store (the log is not touched)");
  auto rc_dir = std::make_shared<std::string>();
  rclear->add_option("data", *rc_dir, "data directory")->required();
  rclear->callback([rc_dir] {
    auto idx = open_rejects_or_exit(*rc_dir);
    auto n = value_or_exit(idx->clear_rejects());
    std::cout << "removed " << n << " rejected submission" << (n == 1 ? "" : "s") << std::endl;
  });

  // reindex
  auto reindex_dir = std::make_shared<std::string>();
  auto reindex_contest = std::make_shared<std::string>();
  auto reindex_index = std::make_shared<std::string>();
  auto* reindex = app.add_subcommand(
      "reindex", "Delete <data>/index.sqlite and rebuild it from the log alone (needs only log/ and log.vkey)");
  reindex->add_option("data", *reindex_dir, "data directory")->required();
  reindex->add_option("--contest", *reindex_contest,
                      "rebuild only this contest's index (default: every contest's, index.<contest>.sqlite)");
  reindex->add_option("--index", *reindex_index,
                      "rebuild this index instead of <data>'s own: a URL such as postgresql://user@host/db or "
                      "sqlite:<path> (an election with several contests needs --contest with it)");
  reindex->callback([reindex_dir, reindex_contest, reindex_index] {
    // Every contest's index unless one is named (an election with one contest has one index).
    std::vector<std::string> contests = {*reindex_contest};
    if (reindex_contest->empty() && reindex_index->empty()) {
      auto reader = value_or_exit(store::open_reader(*reindex_dir));
      if (reader->size() > 0) {
        const election::Election e = value_or_exit(ingest::logged_election(*reader));
        if (!e.contests.empty()) contests = election::contest_ids(e);
      }
    }
    for (const std::string& contest : contests) {
      std::unique_ptr<Progress> progress;
      ingest::ReadOnlyOptions ro;
      ro.rebuild = true;
      ro.contest = contest;
      ro.index_url = *reindex_index;
      ro.progress = [&](uint64_t done, uint64_t total) {
        if (!progress) progress = std::make_unique<Progress>("reindex", total);
        progress->update(done);
      };
      auto data = value_or_exit(ingest::open_for_reading(*reindex_dir, ro));
      progress.reset();
      auto stations = value_or_exit(data.index->station_count());
      std::cout << "reindexed " << data.indexed_size << " entries, " << stations << " stations"
                << (data.contest.empty() ? "" : " (contest " + data.contest + ")") << std::endl;
    }
  });
}

const CommandRegistrar kRegistrar(40, register_ingest_commands);

}  // namespace
}  // namespace tallylog::cli
