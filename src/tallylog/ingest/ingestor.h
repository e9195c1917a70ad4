// The one door through which records enter tallylog, whatever their origin (CSV import, QR scan,
// HTTP POST). For each sheet, in order:
//   validate (election::Validator)           -> kRejected, not logged, kept in the rejects store
//   the verdict rule (index/verdict.h): duplicate -> kDuplicate, not logged (log_index = the
//   original); a `supersedes` that names no current sheet of the same station AND source
//   -> kRejected (field "supersedes"); a conflict with a current sheet of the same station and
//   source -> logged, kConflict (conflicts_with = the earlier one); otherwise logged, kAccepted
//   (a correction supersedes the sheet it names)
// then appends to the log (one durable append per batch), applies the batch to the index through
// the deriver (ingest/derive.h) and answers with the log index. Nothing rejected reaches the
// log; nothing is overwritten.
//
// Several contests (election/contest.h): each sheet goes to the contest it names ("contest"; none:
// the default contest), is checked by that contest's validator and verdict state, and is logged in
// the one log; every contest's index records every entry (its own sheets, the others' as skipped),
// exactly as catch-up and reindex derive it. One durable log append per batch, whatever the mix of
// contests; each contest's index commits only after it.
//
// Ownership: an Ingestor owns the Log (the appender; its lock file keeps other processes out) and
// the index of each contest it keeps in <data> (opened by URL, index/open.h; held as index::Index
// only). The verdict
// rule's state (every station and sheet, compact) is loaded into memory at open, after the index
// has caught up with the log.
//
// Thread-safety: every method may be called from any thread; writes are serialised by a mutex.
// log() and index() are thread-safe read interfaces for the HTTP server, tally and exports.
// If a log append fails the ingestor refuses further writes (reopen it: open() recovers).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/clock.h"
#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/election/device.h"
#include "tallylog/election/model.h"
#include "tallylog/index/reader.h"
#include "tallylog/ingest/submit.h"
#include "tallylog/log/log.h"
#include "tallylog/note/note.h"

namespace tallylog::index {
class Index;
}

namespace tallylog::ingest {

struct IngestorOptions {
  // A PostgreSQL-backed log (store/store.h): the epoch of the sequencer lease the caller holds
  // (a serve node); 0: the log takes the lease itself for as long as it is open.
  uint64_t store_fence = 0;
  // The contest this ingestor takes sheets for (election/contest.h): empty for the only one; an
  // election with several needs one named, unless `first_contest_if_unnamed` (stations are every
  // contest's). Sheets naming no contest are taken as this one's; a sheet naming another is
  // rejected (field "contest"). Its index is that contest's (ingest/contest.h).
  std::string contest;
  bool first_contest_if_unnamed = false;
  // Keep every contest of the election and take sheets and declarations of each (`tallylog
  // serve`): a record naming no contest then belongs to `contest` when it is named (or the
  // election has one), else it is rejected (field "contest"); contest() is `contest`, else the
  // first. Not with `index_url` when the election has several contests.
  bool every_contest = false;
  // The index to keep instead of the contest's own in <data> (an index::open_index URL such as
  // postgresql://...); caught up from the log at open like the default one.
  std::string index_url;
  Env* env = &Env::posix();
  Clock* clock = &Clock::real();
  // A device key (election/device.h) to sign every unsigned sheet with, after validation and
  // before the signature check: the CLI's --device-key for scanners and imports, run by whoever
  // holds that key. Null: sheets are logged as submitted.
  std::shared_ptr<const note::Signer> device_signer;
  // Called while the index catches up with the log at open (done, total).
  std::function<void(uint64_t, uint64_t)> catch_up_progress;
  // The log's cosigning hook and its deadline (log::OpenOptions::cosign): witnesses, see
  // witness/client.h. Null: checkpoints carry the log's signature only.
  std::function<Result<std::string>(const std::string& signed_checkpoint)> cosign;
  std::chrono::milliseconds cosign_deadline{2000};
  // Called on the index thread before each batch's index commit (tests use it to play a slow
  // disk). Null: nothing.
  std::function<void()> before_index_commit;
  // Called on the index thread after each index commit (a server bumps its tally cache's
  // generation: submit_batch_durable answers before its batch is indexed). Null: nothing.
  std::function<void()> after_index_commit;
};

// Where submit time went (wall-clock seconds, cumulative since open), for benchmarks and
// operators tuning batch sizes.
struct IngestStats {
  double check_seconds = 0;  // validation, duplicate/conflict checks, encoding
  double log_seconds = 0;    // durable log appends
  double index_seconds = 0;  // index transactions (overlapping the log appends for big batches)
  double commit_seconds = 0;  // index commits (after the log append is durable)
  uint64_t batches = 0;
  uint64_t logged = 0;
  // The most batches (sheets and entries) the ingestor held at once: bounded by the pipeline
  // (the batch being checked, one being appended and indexed), never by the file (issue 16).
  uint64_t max_batches_held = 0;
};

class Ingestor {
 public:
  // The log origin used when none is given: "tallylog/<election id>".
  static std::string default_origin(const election::Election& election);
  // Makes `election` entry 0 of a freshly created, empty `log` in <data_dir> and creates the
  // index (for `tallylog init --election`, which creates the log itself).
  static Status log_election(log::Log& log, const std::string& data_dir, const election::Election& election);
  // Creates <data_dir> with a new log whose entry 0 is `election`, and its index.
  // `origin` empty: default_origin(election).
  static Status init(const std::string& data_dir, const election::Election& election, std::string origin,
                     const IngestorOptions& options = {});

  // Opens the log (recovering it after a crash) and the index, and lets the index catch up.
  static Result<std::unique_ptr<Ingestor>> open(const std::string& data_dir, const IngestorOptions& options = {});
  // The same, in two steps, so a server can answer reads while the rule's state loads: open_log()
  // opens the log and brings the index up to date; load() (called once, before any write) loads
  // the verdict rule's state. Writes wait for load().
  static Result<std::unique_ptr<Ingestor>> open_log(const std::string& data_dir, const IngestorOptions& options = {});
  Status load();
  ~Ingestor();

  // The single-contest election of this ingestor's contest.
  const election::Election& election() const;
  // The contest tag: "" for a single-contest election, else the contest id.
  const std::string& contest() const;
  // The tags of every contest this ingestor takes sheets for (contest() first).
  std::vector<std::string> contests() const;

  // Registers stations. An identical station already registered is kDuplicate; a different
  // one with the same code is kRejected (field "code"). One log append for the whole span.
  Result<std::vector<Outcome>> add_stations(std::span<const election::Station> stations);

  // Submits sheets (normalised in place by the validator; submitted_at filled from the clock
  // when empty). `origins` (optional, same length) says where each came from ("file.csv:12")
  // and is stored with rejects. The Result fails only on I/O errors; each sheet's verdict is in
  // its Outcome. One log append for the whole span.
  Result<std::vector<Outcome>> submit_batch(std::span<election::Sheet> sheets,
                                            std::span<const std::string> origins = {});
  Result<Outcome> submit(election::Sheet sheet, std::string origin = "");

  // For bulk imports: like submit_batch (same checks, same verdicts, one durable log append per
  // batch, the index updated in log order and committed only after the log append is durable),
  // but pipelined: it returns once the batch is checked and the PREVIOUS deferred batch is
  // durable in the log; this batch's log append and index transaction then run on background
  // threads while the caller prepares and checks the next one. So the verdicts returned are
  // acknowledged only once the next submit_batch_deferred() or sync_index() returns OK; if
  // either fails, the ingestor stops (reopen it: the log recovers and the index catches up,
  // exactly as after a crash between a log append and its index commit). Takes the sheets
  // (normalised, then owned by the background work).
  Result<std::vector<Outcome>> submit_batch_deferred(std::vector<election::Sheet> sheets,
                                                     std::span<const std::string> origins = {});
  // For a server's bulk route: the pipeline of submit_batch_deferred, but it returns once THIS
  // batch is durable in the log (so its verdicts are acknowledged when it returns OK), without
  // waiting for its index commit, which runs on the index thread while the next batch is checked
  // (IngestorOptions::after_index_commit says when it lands; sync_index() waits for it). The
  // ingestor's lock is not held while waiting, so a concurrent call checks the next batch
  // meanwhile. A failed append fails this call and stops the ingestor.
  Result<std::vector<Outcome>> submit_batch_durable(std::vector<election::Sheet> sheets,
                                                    std::span<const std::string> origins = {});
  // Waits until every deferred batch is durable in the log and committed to the index.
  Status sync_index();

  // Logs an authority's announced aggregate (election/declaration.h) once it passes
  // election::validate_declaration against the election and the areas of the station registry;
  // submitted_at is set from the clock when empty. Returns its log index once durable and indexed.
  // A declaration that fails validation is kInvalidArgument naming the field and is not logged.
  // Its `contest` is this ingestor's (set when empty; another contest is refused, field "contest").
  Result<uint64_t> add_declaration(election::Declaration declaration);

  // Logs a device enrolment or revocation (election/device.h) once DeviceRegistry::check accepts
  // it (the organisation's signature, or a one-time code's invite and the device's signature);
  // `at` is set from the clock when empty. Returns its log index once durable. A record that does
  // not pass is kInvalidArgument "<field>: <reason>" and is not logged.
  Result<uint64_t> add_device_record(election::DeviceRecord record);
  // The devices enrolled so far (read it under no concurrent add_device_record).
  const election::DeviceRegistry& devices() const;
  // Whether `device_key` was ever enrolled in this log (revoked or not); safe beside writes.
  bool device_known(std::string_view device_key) const;

  // Records rejects found before a record could be built (e.g. a malformed CSV row).
  Status record_rejects(std::span<const index::Reject> rejects);

  log::LogReader& log();
  // contest()'s index.
  index::IndexReader& index();
  // The index of the contest tagged `contest`, kept current by this ingestor; null when it does
  // not keep that contest.
  index::IndexReader* index(std::string_view contest);

  IngestStats stats() const;

  // Waits for deferred index commits, then closes the log (flushes and signs). Further writes fail.
  Status close();

  struct State;

 private:
  Result<std::vector<Outcome>> submit_locked(std::span<election::Sheet> sheets, std::span<const std::string> origins,
                                             std::vector<election::Sheet>* owned,
                                             std::shared_future<bool>* durable = nullptr);

  Ingestor() = default;
  std::unique_ptr<State> s_;
};

}  // namespace tallylog::ingest
