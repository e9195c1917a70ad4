// Bulk import of a CSV file through a Mapping and the Ingestor: the logic behind
// `tallylog stations import` and `tallylog import`, kept out of the CLI so tests drive it directly.
//
// Rows are read with the strict CsvReader, mapped, and submitted in batches (one durable log
// append per batch). A malformed row or one the ingestor rejects is counted, reported with its
// line number, field and reason, and stored in <data>/rejects.sqlite; the import continues.
// The whole import fails (kInvalidArgument) for an empty file, a malformed header, a header
// naming a column twice, or a header with no data rows after it.
// Re-running an import after a crash is safe: rows already logged come back as duplicates.
// Sheets are submitted on a second thread while the next batch is parsed (one batch in flight).
//
// Thread-safety: free functions; the Ingestor serialises writes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/ingest/csv.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/ingest/mapping.h"
#include "tallylog/ingest/sheet_sink.h"
#include "tallylog/ingest/submit.h"

namespace tallylog::ingest {

struct ImportOptions {
  std::string source;        // sheets: the source every row is attributed to ("witness:convzla")
  std::string submitted_by;  // recorded in each sheet; default "import:<file name>"
  size_t batch_size = 10000;  // rows per log append (and per index transaction); memory grows with it
  CsvOptions csv;
  // Called after each batch with (bytes read, total bytes).
  std::function<void(uint64_t, uint64_t)> progress;
  // One CSV holding several contests' sheets (a mapping with [sheet] contest): only the rows of
  // the sink's contest are imported. Rows naming one of `other_contests` are left out (counted in
  // ImportSummary::other_contest_rows, not in rows); a row naming a contest the election does not
  // have is rejected (field "contest"), unless `leave_unknown_contests` (a later pass over the same
  // file: the first one rejected it already).
  std::vector<std::string> other_contests;
  bool leave_unknown_contests = false;
};

struct RowReject {
  uint64_t line = 0;
  std::string field;
  std::string reason;
};

struct ImportSummary : VerdictCounts {
  uint64_t rows = 0;
  uint64_t other_contest_rows = 0;  // rows of other contests, left out (ImportOptions::other_contests)
  std::vector<RowReject> rejects;  // in line order
};

// `file_name` labels rejects ("<file_name>:<line>") and the default submitted_by.
Result<ImportSummary> import_stations_csv(Ingestor& ingestor, std::string_view csv_text, std::string_view file_name,
                                          const Mapping& mapping, const ImportOptions& options);
Result<ImportSummary> import_sheets_csv(Ingestor& ingestor, std::string_view csv_text, std::string_view file_name,
                                        const Mapping& mapping, const ImportOptions& options);
// The same rows, mapping and checks, into any sink (a running server: remote/bulk_client.h).
Result<ImportSummary> import_sheets_csv(SheetSink& sink, std::string_view csv_text, std::string_view file_name,
                                        const Mapping& mapping, const ImportOptions& options);

// Writes `line,field,reason` rows (RFC 4180 quoting) with a header to `path`; control characters
// in field and reason are written as escapes (printable_text in base/csv.h), never raw.
Status write_rejects_csv(Env& env, const std::string& path, const std::vector<RowReject>& rejects);

}  // namespace tallylog::ingest
