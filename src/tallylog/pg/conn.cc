#include "tallylog/pg/conn.h"

#include <cstring>

namespace tallylog::pg {
namespace {

void put_be(char* out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

std::string trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  // libpq's messages span lines ("...failed: No such file\n\tIs the server running ..."): one line.
  for (size_t p = s.find_first_of("\n\t"); p != std::string::npos && p + 1 < s.size(); p = s.find_first_of("\n\t", p)) {
    const size_t end = s.find_first_not_of("\n\t ", p);
    if (end == std::string::npos) break;
    s.replace(p, end - p, s[p] == '\n' ? "; " : " ");
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

constexpr char kCopyHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";  // signature, flags 0, extension 0

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  // postgresql://user:secret@host/... -> postgresql://user@host/...
  if (auto scheme = out.find("://"); scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t at = out.find('@', start);
    const size_t slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      if (auto colon = out.find(':', start); colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // ?password=secret or &password=secret
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=")) {
    size_t begin = p;
    if (begin > 0 && (out[begin - 1] == '&' || out[begin - 1] == '?')) --begin;
    size_t end = out.find('&', p);
    const bool first = out[begin] == '?';
    if (end == std::string::npos) {
      out.erase(begin);
    } else {
      out.erase(first ? begin + 1 : begin, end - (first ? begin + 1 : begin) + (first ? 1 : 0));
    }
  }
  return out;
}

int64_t Row::i64(int col) const {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row_, col));
  const int n = PQgetlength(r_, row_, col);
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return static_cast<int32_t>(v);
  return static_cast<int64_t>(v);
}

Params& Params::i64(int64_t v) {
  ints_.push_back(std::make_unique<std::array<char, 8>>());
  put_be(ints_.back()->data(), static_cast<uint64_t>(v), 8);
  values_.push_back(ints_.back()->data());
  lengths_.push_back(8);
  formats_.push_back(1);
  return *this;
}

Params& Params::bytes(std::string_view v) {
  values_.push_back(v.data() ? v.data() : "");  // a null pointer would mean NULL
  lengths_.push_back(static_cast<int>(v.size()));
  formats_.push_back(1);
  return *this;
}

Params& Params::null() {
  values_.push_back(nullptr);
  lengths_.push_back(0);
  formats_.push_back(1);
  return *this;
}

Conn::~Conn() {
  if (c_) PQfinish(c_);
}

Status Conn::connect(const std::string& url, std::string label) {
  label_ = std::move(label);
  url_ = redact_url(url);
  c_ = PQconnectdb(url.c_str());
  if (!c_) return err(ErrorCode::kUnavailable, label_ + " URL " + url_ + ": out of memory connecting");
  if (PQstatus(c_) != CONNECTION_OK) {
    return err(ErrorCode::kUnavailable,
               label_ + " URL " + url_ + ": cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(c_)));
  }
  // Quiet notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
  return ok();
}

Status Conn::set_session(const std::string& sql) {
  TL_TRY(exec(sql));
  session_.push_back(sql);
  return ok();
}

Status Conn::ensure_connected() {
  if (!c_) return err(ErrorCode::kUnavailable, label_ + " URL " + url_ + ": not connected");
  if (PQstatus(c_) == CONNECTION_OK) return ok();
  PQreset(c_);
  if (PQstatus(c_) != CONNECTION_OK) {
    return err(ErrorCode::kUnavailable,
               label_ + " URL " + url_ + ": lost the connection to PostgreSQL and cannot reconnect: " + trimmed(PQerrorMessage(c_)));
  }
  ++generation_;
  PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
  for (const std::string& sql : session_) {
    ResultPtr r(PQexec(c_, sql.c_str()));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return std::unexpected(error("reconnect: " + sql.substr(0, 60)));
  }
  for (const auto& [name, sql] : prepared_) {
    ResultPtr r(PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) return std::unexpected(error("reconnect: prepare " + name));
  }
  return ok();
}

Error Conn::error(std::string_view what) const {
  return Error{PQstatus(c_) == CONNECTION_OK ? ErrorCode::kInternal : ErrorCode::kUnavailable,
               label_ + " " + url_ + ": " + std::string(what) + ": " + trimmed(PQerrorMessage(c_)), {}};
}

namespace {
Result<ResultPtr> checked(Conn& c, PGresult* raw, std::string_view what) {
  ResultPtr r(raw);
  const auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE) {
    Error e = c.error(what);
    if (r && PQresultErrorMessage(r.get())[0]) {
      e.message = e.message.substr(0, e.message.rfind(": ")) + ": " + trimmed(PQresultErrorMessage(r.get()));
    }
    // The server unreachable, gone or shutting down (no SQLSTATE: libpq's own connection error;
    // class 08 connection exception; 57P operator intervention): the caller may retry later.
    const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    const std::string_view sqlstate = state ? state : "";
    if (sqlstate.empty() || sqlstate.starts_with("08") || sqlstate.starts_with("57P")) e.code = ErrorCode::kUnavailable;
    return std::unexpected(std::move(e));
  }
  return r;
}
}  // namespace

// A statement that found the connection dead is sent once more on a new connection when the
// connection was idle (no transaction open) before it: a connection unused while the server
// restarted only learns so at its next statement, which then never reached a live server.
// Statements inside a transaction are not retried: the transaction is gone and its caller must
// start again. (copy_in, a write, is never retried.)
bool Conn::idle() const { return c_ && PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) == PQTRANS_IDLE; }
bool Conn::lost() const { return c_ && PQstatus(c_) == CONNECTION_BAD; }

Status Conn::exec(const std::string& sql) {
  TL_TRY(ensure_connected());
  const bool was_idle = idle();
  auto r = checked(*this, PQexec(c_, sql.c_str()), sql.substr(0, 60));
  if (!r && was_idle && lost()) {
    TL_TRY(ensure_connected());
    r = checked(*this, PQexec(c_, sql.c_str()), sql.substr(0, 60));
  }
  if (!r) return std::unexpected(r.error());
  return ok();
}

Status Conn::prepare(const std::string& name, const std::string& sql) {
  TL_TRY(ensure_connected());
  TL_ASSIGN_OR_RETURN(auto r, checked(*this, PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr), "prepare " + name));
  prepared_.emplace_back(name, sql);
  return ok();
}

Result<ResultPtr> Conn::run(const std::string& name, const Params& p) {
  TL_TRY(ensure_connected());
  const bool was_idle = idle();
  auto r = checked(*this, PQexecPrepared(c_, name.c_str(), p.size(), p.values(), p.lengths(), p.formats(), 1), name);
  if (!r && was_idle && lost()) {
    TL_TRY(ensure_connected());
    r = checked(*this, PQexecPrepared(c_, name.c_str(), p.size(), p.values(), p.lengths(), p.formats(), 1), name);
  }
  return r;
}

Status Conn::call(const std::string& name, const Params& p) {
  TL_ASSIGN_OR_RETURN(auto r, run(name, p));
  return ok();
}

Result<ResultPtr> Conn::query(const std::string& sql, const Params& p) {
  TL_TRY(ensure_connected());
  const bool was_idle = idle();
  auto once = [&] {
    return checked(*this, PQexecParams(c_, sql.c_str(), p.size(), nullptr, p.values(), p.lengths(), p.formats(), 1),
                   sql.substr(0, 60));
  };
  auto r = once();
  if (!r && was_idle && lost()) {
    TL_TRY(ensure_connected());
    r = once();
  }
  return r;
}

Status Conn::stream(const std::string& name, const Params& p, const std::function<Status(const Row&)>& fn) {
  TL_TRY(ensure_connected());
  const bool was_idle = idle();
  bool delivered = false;  // a retry must not show fn a row twice
  auto once = [&]() -> Status {
    if (!PQsendQueryPrepared(c_, name.c_str(), p.size(), p.values(), p.lengths(), p.formats(), 1))
      return std::unexpected(error(name));
    (void)PQsetSingleRowMode(c_);
    Status status = ok();
    while (PGresult* raw = PQgetResult(c_)) {
      auto r = checked(*this, raw, name);
      if (!r) {
        if (status) status = std::unexpected(r.error());
        continue;
      }
      if (!status) continue;  // drain
      const int n = PQntuples(r->get());
      for (int i = 0; i < n && status; ++i) {
        delivered = true;
        status = fn(Row(r->get(), i));
      }
    }
    return status;
  };
  Status status = once();
  if (!status && was_idle && !delivered && lost()) {
    TL_TRY(ensure_connected());
    status = once();
  }
  return status;
}

Status Conn::copy_in(const std::string& copy_sql, std::string_view data) {
  TL_TRY(ensure_connected());
  ResultPtr start(PQexec(c_, copy_sql.c_str()));
  if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) {
    TL_ASSIGN_OR_RETURN(auto r, checked(*this, start.release(), copy_sql.substr(0, 60)));
    return err(ErrorCode::kInternal, label_ + " " + url_ + ": " + copy_sql.substr(0, 60) + ": not in COPY mode");
  }
  constexpr size_t kPiece = 1 << 20;
  for (size_t at = 0; at < data.size(); at += kPiece) {
    const size_t n = std::min(kPiece, data.size() - at);
    if (PQputCopyData(c_, data.data() + at, static_cast<int>(n)) != 1) return std::unexpected(error("COPY data"));
  }
  if (PQputCopyEnd(c_, nullptr) != 1) return std::unexpected(error("COPY end"));
  Status status = ok();
  while (PGresult* raw = PQgetResult(c_)) {
    auto r = checked(*this, raw, copy_sql.substr(0, 60));
    if (!r && status) status = std::unexpected(r.error());
  }
  return status;
}

CopyWriter::CopyWriter() { buf_.assign(kCopyHeader, sizeof(kCopyHeader) - 1); }

void CopyWriter::row(int fields) {
  char b[2];
  put_be(b, static_cast<uint64_t>(fields), 2);
  buf_.append(b, 2);
  ++rows_;
}

void CopyWriter::i64(int64_t v) {
  char b[12];
  put_be(b, 8, 4);
  put_be(b + 4, static_cast<uint64_t>(v), 8);
  buf_.append(b, 12);
}

void CopyWriter::bytes(std::string_view v) {
  char b[4];
  put_be(b, v.size(), 4);
  buf_.append(b, 4);
  buf_.append(v.data() ? v.data() : "", v.size());
}

void CopyWriter::null() { buf_.append("\xff\xff\xff\xff", 4); }

std::string CopyWriter::finish() {
  buf_.append("\xff\xff", 2);
  std::string out = std::move(buf_);
  buf_.assign(kCopyHeader, sizeof(kCopyHeader) - 1);
  rows_ = 0;
  return out;
}

}  // namespace tallylog::pg
