// The PostgreSQL backend's shared state (private to index/postgres_*.cc).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_set>

#include "tallylog/index/postgres_db.h"
#include "tallylog/index/writer.h"

namespace tallylog::index {

inline constexpr int kPostgresSchemaVersion = 1;

struct PostgresImpl {
  pg::Conn w;    // writer connection
  pg::Conn r;    // reader connection
  pg::Conn rej;  // rejects
  std::mutex wmu;            // guards the writer connection, `open_transaction` and the caches
  std::recursive_mutex rmu;  // guards the reader connection
  std::mutex rejmu;
  bool open_transaction = false;
  // Sources known to be in the sources table (committed).
  std::unordered_set<std::string> sources;
  // The committed area totals, loaded at a transaction's first area_totals() read and kept while
  // indexed_size says nobody else wrote (begin() checks).
  bool totals_loaded = false;
  uint64_t totals_at = 0;
  std::map<std::tuple<uint32_t, int, uint32_t>, std::string> totals;

  Status prepare_statements();
};

Status prepare_writer_statements(PostgresImpl& m);
Result<std::unique_ptr<IndexTransaction>> begin_postgres_transaction(PostgresImpl& m);

}  // namespace tallylog::index
