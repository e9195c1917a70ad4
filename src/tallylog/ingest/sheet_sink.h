// Where an importer (csv_import.h) hands its sheets: the local Ingestor of a data directory
// (ingestor_sink()) or a running server (remote/bulk_client.h, `tallylog import <url>`). Both
// answer one Outcome per sheet with the same words, so the summary line and the rejects file of
// an import do not depend on where the sheets went.
//
// Thread-safety: one importer at a time; submit_batch_deferred() may run on a thread other than
// the one that created the sink, never concurrently with itself or sync().
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/index/reader.h"
#include "tallylog/ingest/submit.h"

namespace tallylog::ingest {

class Ingestor;

class SheetSink {
 public:
  virtual ~SheetSink() = default;
  virtual const election::Election& election() const = 0;
  // Ingestor::submit_batch's contract: verdicts in order, durable once returned.
  virtual Result<std::vector<Outcome>> submit_batch(std::span<election::Sheet> sheets,
                                                    std::span<const std::string> origins) = 0;
  // Ingestor::submit_batch_deferred's contract: verdicts in order; they are acknowledged once
  // the next call or sync() returns OK. `origins` ("file.csv:12") label rejects.
  virtual Result<std::vector<Outcome>> submit_batch_deferred(std::vector<election::Sheet> sheets,
                                                             std::span<const std::string> origins) = 0;
  // Waits until everything submitted is durable (and indexed).
  virtual Status sync() = 0;
  // Rejects found before a sheet could be built (a malformed CSV row, a mapping error).
  virtual Status record_rejects(std::span<const index::Reject> rejects) = 0;
};

// A sink over a local Ingestor, which must outlive it.
std::unique_ptr<SheetSink> ingestor_sink(Ingestor& ingestor);

}  // namespace tallylog::ingest
