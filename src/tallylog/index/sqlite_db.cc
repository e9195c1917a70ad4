#include "tallylog/index/sqlite_db.h"

namespace tallylog::index::sqlite {

Error db_error(sqlite3* db, std::string_view what) {
  return Error{ErrorCode::kIo, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory")};
}

Status exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "unknown error";
    sqlite3_free(msg);
    return err(ErrorCode::kIo, std::string("sqlite: ") + m);
  }
  return {};
}

Result<sqlite3*> open_db(const std::string& path) {
  // No memory statistics: keeping them takes a process-wide mutex on every SQLite allocation,
  // from every connection (2-3 % of a bulk import's server CPU). Only possible before SQLite's
  // first use; if something else used it first, the statistics simply stay on.
  static const bool kNoMemStatus = [] {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)kNoMemStatus;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Error e = db_error(db, "open " + path);
    sqlite3_close(db);
    return std::unexpected(e);
  }
  sqlite3_busy_timeout(db, 10000);
  auto s = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;");
  if (!s) {
    sqlite3_close(db);
    return std::unexpected(with_context(s.error(), path));
  }
  return db;
}

Status Stmt::prepare(sqlite3* db, const char* sql) {
  db_ = db;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
    return std::unexpected(db_error(db, std::string("prepare ") + sql));
  return {};
}

Result<bool> Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(db_error(db_, "step"));
}

Status Stmt::run() {
  TL_ASSIGN_OR_RETURN(bool row, step());
  (void)row;
  sqlite3_reset(s_);
  return {};
}

}  // namespace tallylog::index::sqlite
