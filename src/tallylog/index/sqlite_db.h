// SQLite plumbing shared by the SQLite index backend's files (not a public interface: only
// index/sqlite_*.cc include it, so sqlite3 types stay out of every other header).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog::index::sqlite {

Error db_error(sqlite3* db, std::string_view what);
Status exec(sqlite3* db, const char* sql);
// Opens (creating) a database in WAL mode with synchronous=FULL and a 10 s busy timeout.
Result<sqlite3*> open_db(const std::string& path);

// A prepared statement; reset() before each use. Bound strings must outlive the next step().
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { finalize(); }
  Status prepare(sqlite3* db, const char* sql);
  Stmt& reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, std::string_view v) {
    // A default string_view has a null data(), which SQLite would bind as NULL, not ''.
    sqlite3_bind_text(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  template <typename T>
  Stmt& bind_opt(int i, const std::optional<T>& v) {
    return v ? bind(i, static_cast<int64_t>(*v)) : bind_null(i);
  }
  // True while a row is available.
  Result<bool> step();
  Status run();  // steps once and resets
  int64_t i64(int col) { return sqlite3_column_int64(s_, col); }
  bool is_null(int col) { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::optional<uint64_t> opt_u64(int col) {
    if (is_null(col)) return std::nullopt;
    return static_cast<uint64_t>(i64(col));
  }
  std::string_view text(int col) {
    const unsigned char* p = sqlite3_column_text(s_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : std::string_view();
  }
  std::string_view blob(int col) {
    const void* p = sqlite3_column_blob(s_, col);
    return p ? std::string_view(static_cast<const char*>(p), sqlite3_column_bytes(s_, col)) : std::string_view();
  }
  sqlite3_stmt* raw() { return s_; }
  void finalize() {
    if (s_) sqlite3_finalize(s_);
    s_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace tallylog::index::sqlite
