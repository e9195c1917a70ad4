#include "tallylog/cluster/lease.h"

#include <poll.h>

#include "tallylog/pg/conn.h"

namespace tallylog::cluster {
namespace {

// The advisory lock's key: "tallylog" in ASCII. One log per database, so one lease.
constexpr int64_t kLeaseKey = 0x74616c6c796c6f67;

Result<std::unique_ptr<pg::Conn>> connect(const std::string& url) {
  auto c = std::make_unique<pg::Conn>();
  TL_TRY(c->connect(url, "log store"));
  return c;
}

}  // namespace

Result<Sequencer> current_sequencer(const std::string& url) {
  TL_ASSIGN_OR_RETURN(auto c, connect(url));
  TL_ASSIGN_OR_RETURN(auto res, c->query("SELECT epoch, url, node FROM tl_sequencer WHERE id = 1"));
  if (PQntuples(res.get()) != 1)
    return err(ErrorCode::kNotFound, "log store " + pg::redact_url(url) + ": no tl_sequencer row (not a log store?)");
  pg::Row row(res.get(), 0);
  return Sequencer{static_cast<uint64_t>(row.i64(0)), std::string(row.bytes(1)), std::string(row.bytes(2))};
}

struct Lease::Impl {
  std::string url;
  std::unique_ptr<pg::Conn> conn;  // holds the advisory lock while the lease is held
  uint64_t generation = 0;
};

Lease::Lease(std::string store_url) : impl_(std::make_unique<Impl>()) { impl_->url = std::move(store_url); }
Lease::~Lease() { release(); }

bool Lease::held() const { return impl_->conn != nullptr; }

void Lease::release() { impl_->conn.reset(); }  // the session ends: PostgreSQL releases its locks

Result<std::optional<uint64_t>> Lease::try_acquire(const std::string& advertise, const std::string& node) {
  release();
  TL_ASSIGN_OR_RETURN(auto c, connect(impl_->url));
  pg::Params key;
  key.i64(kLeaseKey);
  TL_ASSIGN_OR_RETURN(auto got, c->query("SELECT pg_try_advisory_lock($1)", key));
  if (PQntuples(got.get()) != 1 || pg::Row(got.get(), 0).i64(0) == 0) return std::optional<uint64_t>();
  // Ours: a new epoch fences every write of any earlier holder (store/store.h), and the
  // followers hear of it on the checkpoint channel.
  pg::Params p;
  p.bytes(advertise).bytes(node);
  TL_ASSIGN_OR_RETURN(auto res, c->query("UPDATE tl_sequencer SET epoch = epoch + 1, url = $1, node = $2, since = now() "
                                         "WHERE id = 1 RETURNING epoch",
                                         p));
  if (PQntuples(res.get()) != 1)
    return err(ErrorCode::kNotFound, "log store " + pg::redact_url(impl_->url) + ": no tl_sequencer row (not a log store?)");
  const uint64_t epoch = static_cast<uint64_t>(pg::Row(res.get(), 0).i64(0));
  TL_TRY(c->exec("NOTIFY tl_checkpoint"));
  impl_->generation = c->generation();
  impl_->conn = std::move(c);
  return std::optional<uint64_t>(epoch);
}

Status Lease::check() {
  if (!impl_->conn) return err(ErrorCode::kUnavailable, "the sequencer lease is not held");
  auto r = impl_->conn->query("SELECT 1");
  if (!r || impl_->conn->generation() != impl_->generation) {
    release();
    return err(ErrorCode::kUnavailable, "lost the sequencer lease: its connection to the log store ended" +
                                            (r ? std::string() : ": " + r.error().message));
  }
  return ok();
}

struct Watch::Impl {
  std::string url;
  std::unique_ptr<pg::Conn> conn;
};

Watch::Watch(std::string store_url) : impl_(std::make_unique<Impl>()) { impl_->url = std::move(store_url); }
Watch::~Watch() = default;

void Watch::close() { impl_->conn.reset(); }

Result<bool> Watch::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait_out = [&](Error e) -> Result<bool> {
    impl_->conn.reset();
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left > std::chrono::milliseconds(0)) ::poll(nullptr, 0, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count()));
    return std::unexpected(std::move(e));
  };
  bool fresh = false;
  if (!impl_->conn) {
    auto c = connect(impl_->url);
    if (!c) return wait_out(c.error());
    if (auto s = (*c)->exec("LISTEN tl_checkpoint"); !s) return wait_out(s.error());
    impl_->conn = std::move(*c);
    fresh = true;  // whatever happened while not listening is unknown: report a change
  }
  PGconn* raw = impl_->conn->raw();
  for (;;) {
    if (PQconsumeInput(raw) == 0)
      return wait_out(err(ErrorCode::kUnavailable, "log store " + pg::redact_url(impl_->url) + ": lost the LISTEN connection").error());
    bool notified = fresh;
    while (PGnotify* n = PQnotifies(raw)) {
      notified = true;
      PQfreemem(n);
    }
    if (notified) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{PQsocket(raw), POLLIN, 0};
    if (fd.fd < 0) return wait_out(err(ErrorCode::kUnavailable, "log store: the LISTEN connection has no socket").error());
    ::poll(&fd, 1, static_cast<int>(left.count()));
  }
}

}  // namespace tallylog::cluster
