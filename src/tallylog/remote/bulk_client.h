// A SheetSink (ingest/sheet_sink.h) that feeds a running `tallylog serve` through its bulk routes
// (docs/api.md "Bulk submission"): what `tallylog import <url>` uses instead of a data directory.
//
// connect() is the handshake, and sends nothing to be logged: it asks the server who the token
// belongs to and whether it may submit for the source (a wrong token, a forbidden source, a
// read-only or unreachable server fail here, with one message), then loads the election (log
// entry 0), the station registry and the identity digests of every sheet the server already holds
// for the source. Each batch is then checked locally with the ingestor's own Validator (so rejects
// carry the same field and reason as a direct import); sheets the server already holds are counted
// as duplicates without being sent; the rest go in one POST, which the server checks again and
// logs in ONE append, answering a verdict per sheet. A re-run after kill -9 or a dropped
// connection therefore sends only what the server lacks, and the server's verdict rule makes even
// a re-sent batch harmless (duplicates, never logged twice).
//
// Thread-safety: as SheetSink. The HTTP connection is owned by the sink.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tallylog/base/error.h"
#include "tallylog/ingest/sheet_sink.h"
#include "tallylog/net/http_client.h"

namespace tallylog::remote {

struct BulkOptions {
  std::string token;   // bearer token (`tallylog tokens add`)
  std::string source;  // every sheet's source; the token must allow it
  // The contest the sheets are for (`--contest`): sent with every request; the server refuses a
  // contest it does not collect, and an election with several needs one named. Every sheet sent
  // carries the server's tag for it (election/contest.h).
  std::string contest;
  net::HttpClientOptions http;
};

struct BulkStats {
  uint64_t held_at_start = 0;  // sheets of the source the server held at connect()
  uint64_t sent = 0;           // sheets sent (checked locally and not held)
  uint64_t batches = 0;        // POSTs
};

class BulkClient final : public ingest::SheetSink {
 public:
  // The handshake above. Errors name the server and say that nothing was sent.
  static Result<std::unique_ptr<BulkClient>> connect(const std::string& url, const BulkOptions& options);
  ~BulkClient() override;

  const std::string& submitter() const;  // the token's name on the server
  BulkStats stats() const;

  const election::Election& election() const override;
  // Synchronous: the verdicts returned are the server's, durable once returned.
  Result<std::vector<ingest::Outcome>> submit_batch(std::span<election::Sheet> sheets,
                                                    std::span<const std::string> origins) override;
  Result<std::vector<ingest::Outcome>> submit_batch_deferred(std::vector<election::Sheet> sheets,
                                                             std::span<const std::string> origins) override {
    return submit_batch(sheets, origins);
  }
  // Uploads an image (POST /api/v1/bulk/blobs) and returns its hex SHA-256, for `scan <url>`:
  // stored on the server before the sheet naming it is sent. Thread-safe (its own connection).
  Result<std::string> put_blob(std::string_view bytes);
  // The server answers each batch once it is durable and indexes it just after: this asks it
  // (an empty POST /api/v1/bulk/sheets) to answer once everything sent is indexed too, so what
  // the caller reads next (a tally) reflects the import.
  Status sync() override;
  // Kept locally (the caller's rejects file); the server's rejects store is not written.
  Status record_rejects(std::span<const index::Reject>) override { return ok(); }

  struct State;

 private:
  explicit BulkClient(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace tallylog::remote
