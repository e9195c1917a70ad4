// The PostgreSQL index backend (issue 15): the same derived index as index/sqlite_index.h, in a
// PostgreSQL database, for deployments that outgrow one machine. Opened through index::open_index
// with a libpq URL (`postgresql://user@host:port/db`, `postgresql:///db?host=/socket/dir`); other
// code sees only index::IndexReader / index::IndexWriter.
//
// Schema (docs/formats/index.md): the index's tables live in the PostgreSQL schema
// `tallylog_index` (meta with schema_version and indexed_size, meta_text, election, stations,
// areas, sheets, entries, sources, rules, area_totals, skipped, declarations), versioned like
// SQLite's: an index of another version fails to open with kFailedPrecondition (rebuild it with
// `tallylog reindex`). Rejected submissions live apart in `tallylog_rejects.rejects`, which a
// rebuild (remove_index) leaves alone. Per-sheet counts and area totals are the same bytes SQLite
// stores (bytea).
//
// Writes: one IndexTransaction = one PostgreSQL transaction. Sheets and their entries are
// buffered and sent with binary COPY; stations, areas and area totals (upserts) are buffered per
// key and sent with COPY into a temporary table and one INSERT ... ON CONFLICT; all before any
// read that needs them and at commit. begin() locks the meta row (SELECT ... FOR UPDATE), so two
// processes never write one index at once.
//
// Concurrency: a writer connection, a reader connection (behind a mutex; a snapshot is a
// REPEATABLE READ transaction on it) and a rejects connection. Crash behaviour: a transaction is
// all or nothing; indexed_size commits with the rows.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"
#include "tallylog/index/writer.h"

namespace tallylog::index {

// Whether `url` names a PostgreSQL index (postgresql:// or postgres://).
bool is_postgres_url(std::string_view url);

// Opens (creating the schema if absent) the index in the database at `url`. An unreachable or
// misconfigured database fails with kUnavailable, naming the URL without its password.
Result<std::unique_ptr<Index>> open_postgres_index(const std::string& url);
// Whether the database at `url` holds an index (false when it cannot be reached).
bool postgres_index_exists(const std::string& url);
// Drops the index's tables (not the rejects).
Status remove_postgres_index(const std::string& url);

}  // namespace tallylog::index
