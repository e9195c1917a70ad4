// The tallylog HTTP application: one route table (route_table.h) whose rows, in handler files of
// their own (*_routes.cc), give routing, parameters, status codes and formatting over the read
// interfaces (log::LogReader, index::IndexReader) and a submit function for the write side.
// It holds no election logic: tabulation, comparison, bounds and their JSON come from the tally
// module, validation and verdicts from the ingestor, QR decoding from the qr module (injected as
// functions so this library links neither). Every route is documented in docs/api.md.
//
// Read side (no authentication): /log/..., /blobs/sha256/<hex>, /api/v1/..., /metrics, and the
// web page (files from `web_dir`). Write side: POST /api/v1/sheets and /api/v1/images, and the
// bulk routes /api/v1/bulk/* (bulk_routes.cc, behind `tallylog import <url>`), only with
// "Authorization: Bearer <token>" from <data>/tokens.json and a source the token allows; without a
// valid token nothing is parsed and nothing is written.
//
// Ownership: Api borrows the backend objects; they must outlive it. Thread-safety: handle() may
// be called from many threads at once; tabulations are cached per source rule and brought up to
// date incrementally (under a mutex) after each submission made through this Api. The backend's
// submit function must be the only writer of the index while the Api serves (the ingestor's log
// lock guarantees that for `tallylog serve`).
#pragma once

#include <chrono>
#include <cstdint>
#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <vector>
#include <string>
#include <string_view>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/election/device.h"
#include "tallylog/election/model.h"
#include "tallylog/http/server.h"
#include "tallylog/http/sheet_json.h"
#include "tallylog/index/reader.h"
#include "tallylog/ingest/submit.h"
#include "tallylog/log/log.h"

namespace tallylog::http {

class Metrics;  // http/metrics.h

struct ApiOptions {
  std::string data_dir;  // <data>: log/, blobs/, tokens.json
  std::string web_dir;   // the built page (web/dist); empty: no page
  double submit_rate_per_token = 100;  // sustained submissions per second per token
  double submit_burst_per_token = 200;
  uint64_t max_sheet_bytes = 64 * 1024;
  uint64_t max_image_bytes = 16 * 1024 * 1024;
  uint64_t max_bulk_bytes = 64 * 1024 * 1024;  // POST /api/v1/bulk/sheets: a batch of entries
  // The request counters and latencies /metrics reports. Shared by the Apis a process builds one
  // after another (a serve node that changes role or follows the log swaps its Api), so counters
  // never step back within a process. Null: the Api keeps its own.
  std::shared_ptr<Metrics> metrics;
};

// One contest of an election with several (election/contest.h), as the read side serves it:
// every results route takes `?contest=<id>` (docs/api.md, "Contests"); a writable server collects
// every contest's sheets too (the bulk routes take `?contest=` for the contest the sheets are for).
struct ApiContest {
  std::string id;    // the contest id (?contest=)
  std::string name;  // its label
  // Its derived index (ingest/contest.h). The write side's contest uses ApiBackend::index here.
  index::IndexReader* index = nullptr;
  // As ApiBackend::index_commits, for this index (null: none).
  const std::atomic<uint64_t>* index_commits = nullptr;
  // Brings `index` up to date with the log before a read (a contest the server does not collect:
  // its index is derived from the log on demand). Null: the index is kept current by its writer.
  // Called from request threads; it must be thread-safe.
  std::function<Status()> refresh;
};

struct ApiBackend {
  Env* env = &Env::posix();
  const log::LogReader* log = nullptr;
  index::IndexReader* index = nullptr;
  // An election with several contests: every contest, in election order (the default one has
  // index == `index`). Empty: a single-contest election, served from `index`.
  std::vector<ApiContest> contests;
  // Validates, logs and indexes a sheet; returns once durable. Null: the write side answers 503
  // saying `no_write_side` (e.g. a read-only data directory: no log.key).
  std::function<Result<ingest::Outcome>(election::Sheet sheet)> submit;
  std::string no_write_side = "this server has no write side";
  // Where to write instead (a follower node: the sequencer's URL, docs/deploy.md): sent with the
  // 503 as the header Tallylog-Sequencer, with Retry-After. Empty: no such header.
  std::string sequencer_url;
  // Validates and logs a batch in ONE durable log append, for the bulk routes (/api/v1/bulk/*);
  // returns once it is durable. It may take the sheets (moved from). The index may commit the
  // batch after it returns (Ingestor::submit_batch_durable): then the writer bumps
  // `index_commits` after each commit. Null: the bulk routes answer 503 saying `no_write_side`.
  std::function<Result<std::vector<ingest::Outcome>>(std::span<election::Sheet> sheets,
                                                     std::span<const std::string> origins)>
      submit_batch;
  // Waits until every batch submit_batch answered is committed to the index (a bulk client's
  // last request, so that what it reads next reflects its import). Null: nothing to wait for.
  std::function<Status()> sync_index;
  // Bumped by the writer after each index commit that may follow an answer (see submit_batch);
  // the tally cache reads it with its own write count. Null: every index write is a submission
  // through this API (the cache's note_write() covers it). Must outlive the Api.
  const std::atomic<uint64_t>* index_commits = nullptr;
  // Image bytes -> sheet (station and counts from its QR code) of the contest `contest` names
  // (`?contest=`; empty: the default contest; an election with several contests reads each with
  // its own QR profile). An error with field "contest" is answered 400 with it; any other 422
  // (field "image"). Null: /api/v1/images answers 501.
  std::function<Result<election::Sheet>(std::string_view image_bytes, std::string_view contest)> sheet_from_image;
  // Stores image bytes, returns the hex SHA-256. Null: images are not kept.
  std::function<Result<std::string>(std::string_view bytes)> put_blob;
  // A blob GET /blobs/sha256/<hex> asks for that is not in <data>/blobs/: fetches it into there
  // from where several nodes share them (store/shared_blobs.h); kNotFound when nobody has it,
  // kUnavailable when that cannot be asked now (answered 503). Null: such a blob is 404.
  std::function<Status(std::string_view hex_digest)> fetch_blob;
  // The witnesses the log asks to cosign (witness::Collector::status_json): served at
  // /api/v1/witnesses and as gauges in /metrics. Null: no witnesses configured.
  std::function<std::string()> witness_status;
  // Logs a device enrolment or revocation (ingest::Ingestor::add_device_record): its log index,
  // or kInvalidArgument "<field>: <reason>". Null: /api/v1/devices/enrol answers 503.
  std::function<Result<uint64_t>(election::DeviceRecord record)> add_device_record;
  // Whether a device key was ever enrolled in the log (ingest::Ingestor::device_known): a sheet
  // sent without a token by a key the log never enrolled is refused (401) before the ingestor
  // sees it, so anonymous callers cannot fill the rejects store with made-up keys.
  std::function<bool(std::string_view device_key)> device_known;
};

// The 503 of a write route when `be` has no write side: its reason, and where to write instead.
Response no_write_side_response(const ApiBackend& be);

class Api {
 public:
  Api(ApiOptions options, ApiBackend backend);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // All three answer from the same route table row.
  Response handle(const Request& request);
  // Body size limit for the server, by route (0 when no row accepts the method and path).
  uint64_t body_limit(std::string_view method, std::string_view path) const;
  // The metrics label of a request: its route's label, never the raw path.
  std::string_view route_label(std::string_view method, std::string_view path) const;
  // Records a served request in the metrics.
  void observe(const Request& request, int status, std::chrono::nanoseconds latency);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tallylog::http
