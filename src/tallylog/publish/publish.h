// `tallylog publish <data> <dir>`: everything a reader of the results needs, as static files that
// any web server, CDN or object store can serve (docs/deploy.md, "A static site behind a CDN"):
//
//   log/checkpoint, log/tile/...       the C2SP tlog-tiles log, as `serve` answers /log/...
//   log.vkey, api/v1/log/vkey          the checkpoint verifier key
//   blobs/sha256/<hex>                 sheet images, at the paths `serve` answers /blobs/...
//   api/v1/<static path>.json          results, byte-identical to the `serve` route they stand for
//                                      (static_api_path() gives the mapping; web/src/static.js has
//                                      the same one in staticPath())
//   index.html, assets/..., site.json  the page, told by site.json to read the static paths
//
// Incremental: tiles, entry bundles and images are immutable once written (a partial tile has its
// width in its path), so a re-run copies only paths it has not published before; generated files
// and the page are rewritten only when their bytes change. The checkpoint is written last and
// atomically, after every file it commits to is durable, so a reader never sees a checkpoint whose
// tiles are missing. <dir>/.publish-state.json records what was published (exclude it when
// syncing). Files a previous run published and this one does not are removed after the checkpoint.
//
// Pure of HTTP: the results come from `get`, which the CLI wires to http::Api::handle, the very
// function behind `tallylog serve`, so there is one formatter. Not thread-safe; one publisher per
// output directory at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/http/server.h"

namespace tallylog::publish {

struct PublishInput {
  Env* env = &Env::posix();
  std::string data_dir;  // <data>: log/, blobs/, log.vkey
  std::string web_dir;   // the built page (web/dist); empty: no page
  // The checkpoint to publish, byte for byte (log::LogReader::checkpoint()). Read before anything
  // is copied, so every tile it commits to is already on disk.
  std::string checkpoint;
  // Answers a GET of the read API (http::Api::handle).
  std::function<http::Response(const http::Request&)> get;
  // Calls `fn` once per current sheet of the default contest (station code, log index), e.g. over
  // index::IndexReader::for_each_current_sheet. A station whose sheets changed since the last run
  // gets api/v1/stations/<code>/sheets.json (its sheets with inclusion proofs at the checkpoint the
  // file names) written again; the others keep theirs, each still valid against its own signed
  // checkpoint. Null: no station files.
  using SheetFn = std::function<void(std::string_view station, uint64_t log_index)>;
  std::function<Status(const SheetFn& fn)> for_each_sheet;
  // Reads one public file of the log by its path relative to the log ("tile/0/x001/234",
  // "tile/entries/000.p/7"), from whichever store holds it (store::open_storage: a log in
  // PostgreSQL has no files under <data>/log/). Required.
  std::function<Result<std::string>(const std::string& path)> read_log_file;
};

struct PublishStats {
  uint64_t checkpoint_size = 0;
  uint64_t files_written = 0;    // new or changed files
  uint64_t files_unchanged = 0;  // already published with these bytes
  uint64_t files_removed = 0;    // published before, gone now
  uint64_t bytes_written = 0;
  uint64_t api_files = 0;      // results JSON files (written or not)
  uint64_t station_files = 0;  // stations/<code>/sheets.json written by this run
};

// The static file (relative to the output directory) that stands for GET <path>?<query> of the
// read API, or "" when the route has no static copy (it needs the server: submissions,
// a tally's drill-down below an area (the page builds it from the level's tally and the areas
// under the parent), forensics plots).
//   /api/v1/election                      [contest/<c>/]election.json  (and sources, conflicts,
//                                         search-index: the page answers /api/v1/search from it)
//   /api/v1/tally?level=L&source=R        [contest/<c>/]tally/<L>/<R>.json
//   /api/v1/bound?source=R                [contest/<c>/]bound/<R>.json      (likewise flags)
//   /api/v1/areas?level=L                 [contest/<c>/]areas/<L>.json
//   /api/v1/areas?level=L&parent=P        [contest/<c>/]areas/<L>/<P>.json  (levels 2 and below)
//   /api/v1/compare?a=A&b=B&level=L       [contest/<c>/]compare/<A>/<B>/<L>.json
//   /api/v1/stations/<code>/sheets        stations/<code>/sheets.json   (default contest only)
//   /api/v1/log/vkey                      api/v1/log/vkey
//   /api/v1/witnesses                     api/v1/witnesses.json  (the keys `publish --witness`
//   declares)
// all under api/v1/; a source rule "*" (or none) is written "_all". `query` is the raw query
// string (percent-encoded).
std::string static_api_path(std::string_view path, std::string_view query);

// Publishes into `out_dir` (created if absent). I/O: reads <data>, writes <out_dir>.
Result<PublishStats> publish_site(const PublishInput& in, const std::string& out_dir);

}  // namespace tallylog::publish
