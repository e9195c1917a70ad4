#include "tallylog/store/shared_blobs.h"

#include <chrono>

#include "tallylog/base/sha256.h"
#include "tallylog/pg/conn.h"

namespace tallylog::store {

namespace {

constexpr const char* kTable =
    "CREATE TABLE IF NOT EXISTS tl_blobs (digest text PRIMARY KEY, data bytea NOT NULL)";

Status check_digest(std::string_view hex) {
  if (blob::BlobStore::is_valid_digest(hex)) return ok();
  return err_field(ErrorCode::kInvalidArgument, "digest", "blob digest: not 64 lowercase hex characters");
}

}  // namespace

SharedBlobs::SharedBlobs() : conn_(std::make_unique<pg::Conn>()) {}
SharedBlobs::~SharedBlobs() = default;

Result<std::unique_ptr<SharedBlobs>> SharedBlobs::open(const std::string& url) {
  std::unique_ptr<SharedBlobs> b(new SharedBlobs());
  b->url_ = pg::redact_url(url);
  TL_TRY(b->conn_->connect(url, "blob store"));
  // Concurrent first opens may race on CREATE TABLE IF NOT EXISTS (a unique violation on the
  // catalogue); the table is there either way.
  if (auto s = b->conn_->exec(kTable); !s) {
    auto again = b->conn_->exec(kTable);
    if (!again) return std::unexpected(s.error());
  }
  TL_TRY(b->conn_->prepare("put_blob", "INSERT INTO tl_blobs(digest, data) VALUES ($1, $2) ON CONFLICT DO NOTHING"));
  TL_TRY(b->conn_->prepare("get_blob", "SELECT data FROM tl_blobs WHERE digest = $1"));
  TL_TRY(b->conn_->prepare("list_blobs", "SELECT digest FROM tl_blobs ORDER BY digest"));
  return b;
}

Status SharedBlobs::put(std::string_view hex, std::string_view bytes) {
  TL_TRY(check_digest(hex));
  if (sha256_hex(bytes) != hex)
    return err_field(ErrorCode::kInvalidArgument, "digest", "blob: the bytes do not hash to " + std::string(hex));
  pg::Params p;
  p.bytes(hex).bytes(bytes);
  std::lock_guard lock(mu_);
  return conn_->call("put_blob", p);
}

Result<std::optional<std::string>> SharedBlobs::get(std::string_view hex) {
  TL_TRY(check_digest(hex));
  pg::Params p;
  p.bytes(hex);
  std::string data;
  {
    std::unique_lock lock(mu_, std::chrono::milliseconds(250));
    if (!lock.owns_lock()) return err(ErrorCode::kUnavailable, "blob store " + url_ + ": busy; try again");
    TL_ASSIGN_OR_RETURN(auto res, conn_->run("get_blob", p));
    if (PQntuples(res.get()) == 0) return std::optional<std::string>{};
    data = std::string(pg::Row(res.get(), 0).bytes(0));
  }
  if (sha256_hex(data) != hex)
    return err(ErrorCode::kCorrupt, "blob store " + url_ + ": the row for " + std::string(hex) +
                                        " holds bytes with another SHA-256");
  return std::optional<std::string>(std::move(data));
}

Result<std::string> put_blob(const blob::BlobStore& local, SharedBlobs* shared, std::string_view bytes) {
  TL_ASSIGN_OR_RETURN(std::string hex, local.put(bytes));
  if (shared) TL_TRY(shared->put(hex, bytes));
  return hex;
}

Status fetch_blob(SharedBlobs& shared, const blob::BlobStore& local, std::string_view hex) {
  TL_ASSIGN_OR_RETURN(auto data, shared.get(hex));
  if (!data) return err(ErrorCode::kNotFound, "no blob " + std::string(hex));
  TL_TRY(local.put(*data));
  return ok();
}

Result<std::vector<std::string>> SharedBlobs::digests() {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  TL_TRY(conn_->stream("list_blobs", {}, [&out](const pg::Row& r) -> Status {
    out.emplace_back(r.bytes(0));
    return ok();
  }));
  return out;
}

}  // namespace tallylog::store
