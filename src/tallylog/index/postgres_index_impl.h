// The PostgreSQL backend's shared state (private to index/postgres_*.cc).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_set>

#include "tallylog/pg/conn.h"
#include "tallylog/index/reader.h"
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

// A CountRecord from a row of the current-counts queries (columns log_index, station, source,
// corrects, conflicted, counts, counts_error); its views point into the row.
inline void read_count_row(const pg::Row& s, CountRecord& rec) {
  rec.log_index = static_cast<uint64_t>(s.i64(0));
  rec.station = s.bytes(1);
  rec.source = s.bytes(2);
  rec.corrects = s.opt_u64(3);
  rec.conflicted = s.i64(4) != 0;
  rec.counts = s.bytes(5);
  rec.counts_error = s.bytes(6);
}

Status prepare_writer_statements(PostgresImpl& m);
Result<std::unique_ptr<IndexTransaction>> begin_postgres_transaction(PostgresImpl& m);

}  // namespace tallylog::index
