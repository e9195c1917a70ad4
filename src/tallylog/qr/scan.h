// The pipeline behind `tallylog scan`: image files -> QR payload -> the election's QR profile ->
// sheet; the image goes to the blob store and its SHA-256 into the sheet, which is submitted
// through the Ingestor like every other sheet. Decoding runs on a pool of threads; submission
// happens on the calling thread, in input order, in batches (one durable log append each), so
// the log order does not depend on thread timing.
//
// An image is stored in the blob store only once its QR code has decoded and parsed, and
// always before the sheet naming it is submitted: the log never points at a missing image.
// Per-image failures (unreadable file, no QR code, two QR codes, malformed payload, validator
// rejection) are counted and reported; the batch continues.
//
// Ownership: the caller owns the Ingestor and BlobStore, which must outlive the call.
// Thread-safety: scan_images() may be called from one thread at a time per Ingestor.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tallylog/base/clock.h"
#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/blob/blob_store.h"
#include "tallylog/ingest/ingestor.h"
#include "tallylog/ingest/sheet_sink.h"
#include "tallylog/ingest/submit.h"
#include "tallylog/qr/decoder.h"

namespace tallylog::qr {

struct ScanOptions {
  std::string source = "qr";  // Sheet::source of every scanned sheet
  std::string submitted_by = "scan";
  unsigned threads = 0;    // decoding threads; 0 = all cores
  size_t batch_size = 64;  // sheets per log append
  DecodeOptions decode;
  Env* env = &Env::posix();
  Clock* clock = &Clock::real();
  // Called on the calling thread after each image is accounted for: (done, total).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct ImageReject {
  std::string file;
  std::string field;  // "image", "qr", or the validator's field ("station", "cards[3]", ...)
  std::string reason;
};

struct ScanSummary : ingest::VerdictCounts {
  uint64_t images = 0;
  std::vector<ImageReject> rejects;  // in input order
};

// Expands each input: a directory gives its *.jpg, *.jpeg and *.png files (any case,
// recursively, sorted by path); a file is taken as given. kNotFound for a missing input.
Result<std::vector<std::string>> list_image_files(const std::vector<std::string>& inputs,
                                                  Env& env = Env::posix());

// Fails only for problems that stop the whole scan (the election names no or an unknown QR
// profile, an I/O error of the log); per-image problems are in the summary.
Result<ScanSummary> scan_images(ingest::Ingestor& ingestor, const blob::BlobStore& blobs,
                                const std::vector<std::string>& files, const ScanOptions& options);
// The same pipeline into any sink (a running server: remote/bulk_client.h), images stored by
// `put_blob` (bytes -> hex SHA-256; called from the decoding threads, so it must be thread-safe).
using BlobPut = std::function<Result<std::string>(std::string_view bytes)>;
Result<ScanSummary> scan_images(ingest::SheetSink& sink, const BlobPut& put_blob,
                                const std::vector<std::string>& files, const ScanOptions& options);

// Writes `file,field,reason` rows (RFC 4180 quoting) with a header, atomically; control
// characters are written as escapes (printable_text in base/csv.h), never raw.
Status write_scan_rejects_csv(Env& env, const std::string& path,
                              const std::vector<ImageReject>& rejects);

}  // namespace tallylog::qr
