// Sheet images and other blobs of a log kept in PostgreSQL (store.url), shared by every serve node
// on it (docs/deploy.md "Several nodes"): a node that stores an image (POST /api/v1/images,
// /api/v1/sheets/with-image, `scan`) also puts it here before answering, and a node asked for a
// blob it does not hold in its own <data>/blobs/ fetches it from here, checks its SHA-256 and
// keeps it. So whichever node a load balancer picks serves every image.
//
// Table (docs/formats/store.md): tl_blobs(digest text PRIMARY KEY, data bytea NOT NULL), digest the
// 64 lowercase hex SHA-256 of data. Rows are only ever inserted (ON CONFLICT DO NOTHING): a blob
// never changes. Created on first use, so a store made before it existed gains it.
//
// Thread-safety: every method may be called from many threads; one connection, serialised.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/blob/blob_store.h"

namespace tallylog::pg {
class Conn;
}

namespace tallylog::store {

class SharedBlobs {
 public:
  // Connects to `url` (a postgresql:// URL) and creates the table if needed; one clear error
  // (kUnavailable) when the database cannot be reached.
  static Result<std::unique_ptr<SharedBlobs>> open(const std::string& url);
  ~SharedBlobs();

  // Stores `bytes` under `hex_digest` (their SHA-256, checked: kInvalidArgument otherwise);
  // storing the same blob again is a no-op. Durable once it returns (the commit).
  Status put(std::string_view hex_digest, std::string_view bytes);
  // The blob's bytes, nullopt when the table has none; kCorrupt when the stored bytes do not hash
  // to `hex_digest`; kInvalidArgument for a malformed digest. Waits at most 250 ms for the
  // connection (kUnavailable after): a flood of requests for blobs nobody has cannot hold every
  // request thread of a node behind the database.
  Result<std::optional<std::string>> get(std::string_view hex_digest);
  // Every digest stored, in order (`tallylog publish` copies what its node lacks).
  Result<std::vector<std::string>> digests();

 private:
  SharedBlobs();
  std::timed_mutex mu_;
  std::unique_ptr<pg::Conn> conn_;
  std::string url_;  // redacted
};

// What a node does with an image it receives: stores it in its own <data>/blobs/ (`local`) and,
// for a log in PostgreSQL (`shared` not null), in tl_blobs, both before the caller answers.
// Returns the hex SHA-256.
Result<std::string> put_blob(const blob::BlobStore& local, SharedBlobs* shared, std::string_view bytes);

// Copies blob `hex_digest` from tl_blobs into `local`, checked; kNotFound when no node stored it.
Status fetch_blob(SharedBlobs& shared, const blob::BlobStore& local, std::string_view hex_digest);

}  // namespace tallylog::store
