// The SQLite backend's shared state (private to index/sqlite_*.cc): connections, prepared
// statements and the schema.
#pragma once

#include <mutex>
#include <string>
#include <unordered_set>

#include "tallylog/index/sqlite_checkpointer.h"
#include "tallylog/index/sqlite_db.h"
#include "tallylog/index/sqlite_index.h"

namespace tallylog::index {

inline constexpr int kSqliteSchemaVersion = 4;

struct SqliteIndex::Impl {
  sqlite3* w = nullptr;  // writer connection
  sqlite3* r = nullptr;  // reader connection
  sqlite3* rej = nullptr;
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer;  // the writer's WAL, in the background
  std::mutex wmu;            // guards the writer connection and `open_transaction`
  std::recursive_mutex rmu;  // guards the reader connection
  std::mutex rejmu;
  uint64_t indexed = 0;  // committed indexed_size
  bool open_transaction = false;
  // Sources known to be in the sources table (committed), so a sheet inserts its source once.
  std::unordered_set<std::string> sources;

  // writer statements
  sqlite::Stmt begin, commit, rollback, set_size, ins_election, ins_station, ins_sheet, ins_entry,
      ins_source, set_standing, put_area, put_rule, put_totals, add_totals, get_totals, set_state,
      station_counts, ins_skipped, ins_declaration;
  // reader statements
  sqlite::Stmt r_size, r_station, r_station_count, r_sheet_at, r_election;
  // rejects
  sqlite::Stmt ins_reject;

  ~Impl();
  Status prepare_statements();
};


}  // namespace tallylog::index
