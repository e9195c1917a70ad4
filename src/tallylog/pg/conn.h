// libpq plumbing shared by every PostgreSQL driver (the index backend, the log store, the
// sequencer lease). Only their .cc files and private headers include it, so libpq types stay out
// of every public header.
//
// Every statement is sent with binary parameters and asks for binary results: integers are
// BIGINT (8 bytes, network order) everywhere in the schema, text is its bytes, bytea its bytes.
// Thread-safety: a Conn is used by one thread at a time (its owner's mutex).
#pragma once

#include <libpq-fe.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog::pg {

// `url` with any password removed (user:secret@ -> user@, password=... dropped), for messages.
std::string redact_url(std::string_view url);

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// One row of a binary result.
class Row {
 public:
  Row(const PGresult* r, int row) : r_(r), row_(row) {}
  bool is_null(int col) const { return PQgetisnull(r_, row_, col) != 0; }
  int64_t i64(int col) const;  // BIGINT (or a boolean, 0/1)
  std::optional<uint64_t> opt_u64(int col) const {
    if (is_null(col)) return std::nullopt;
    return static_cast<uint64_t>(i64(col));
  }
  std::string_view bytes(int col) const {  // text or bytea; "" when NULL
    return std::string_view(PQgetvalue(r_, row_, col), static_cast<size_t>(PQgetlength(r_, row_, col)));
  }

 private:
  const PGresult* r_;
  int row_;
};

// Binary parameters for one statement. Values must outlive the call they are passed to.
class Params {
 public:
  Params& i64(int64_t v);
  Params& u64(uint64_t v) { return i64(static_cast<int64_t>(v)); }
  Params& opt(const std::optional<uint64_t>& v) { return v ? u64(*v) : null(); }
  Params& bytes(std::string_view v);  // text or bytea
  Params& null();
  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
  std::vector<std::unique_ptr<std::array<char, 8>>> ints_;
};

// A connection with named prepared statements.
class Conn {
 public:
  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn();
  // Connects; errors name what the database holds (`label`: "index", "log store") and the
  // (redacted) URL.
  Status connect(const std::string& url, std::string label = "index");
  PGconn* raw() { return c_; }
  // Runs session SQL (SET ...) now and again after every reconnection.
  Status set_session(const std::string& sql);
  // Bumped by each reconnection: a transaction begun on an earlier connection is gone (rolled
  // back by the server) and must not commit.
  uint64_t generation() const { return generation_; }

  Error error(std::string_view what) const;
  // Runs SQL without parameters (several statements allowed).
  Status exec(const std::string& sql);
  Status prepare(const std::string& name, const std::string& sql);
  // Runs a prepared statement and returns its whole (binary) result.
  Result<ResultPtr> run(const std::string& name, const Params& p = {});
  // Runs a prepared statement for its effect.
  Status call(const std::string& name, const Params& p = {});
  // Runs parameterised SQL once (not prepared).
  Result<ResultPtr> query(const std::string& sql, const Params& p = {});
  // Runs a prepared statement and calls fn for each row as it arrives (single-row mode: the result
  // is never held whole). Stops at the first error fn returns (the rest is drained).
  Status stream(const std::string& name, const Params& p, const std::function<Status(const Row&)>& fn);
  // COPY <table>(...) FROM STDIN (FORMAT binary) with `data` (built by CopyWriter).
  Status copy_in(const std::string& copy_sql, std::string_view data);

 private:
  // A connection the server dropped (a restart, a network cut, an idle timeout) is re-established
  // before the next statement, with its session settings and prepared statements; while the
  // server stays unreachable every call fails with kUnavailable.
  Status ensure_connected();
  bool idle() const;  // connected, no transaction open
  bool lost() const;  // the connection is known to be dead

  PGconn* c_ = nullptr;
  std::string url_;  // redacted
  std::string label_ = "index";
  std::vector<std::string> session_;
  std::vector<std::pair<std::string, std::string>> prepared_;  // name, sql
  uint64_t generation_ = 0;
};

// Builds the body of a binary COPY.
class CopyWriter {
 public:
  CopyWriter();
  void row(int fields);
  void i64(int64_t v);
  void opt(const std::optional<uint64_t>& v) {
    if (v) {
      i64(static_cast<int64_t>(*v));
    } else {
      null();
    }
  }
  void bytes(std::string_view v);
  void null();
  // The body with its trailer; the writer is empty afterwards (and restarts with a header).
  std::string finish();
  size_t rows() const { return rows_; }

 private:
  std::string buf_;
  size_t rows_ = 0;
};

}  // namespace tallylog::pg
