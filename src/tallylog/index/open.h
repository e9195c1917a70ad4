// The one way to open an index backend: from a URL, so the ingestor, the CLI and the server hold
// only index::IndexReader / index::IndexWriter and never name a backend.
//
//   <data dir>        the data directory's own index: sqlite:<data>/index.sqlite, rejects in
//                     <data>/rejects.sqlite (the default, embedded)
//   sqlite:<path>     the SQLite file at <path>; rejects in rejects.sqlite beside it
//   memory:           a new, empty index in memory (index/memory_index.h), gone with the object
//   postgresql://...  a PostgreSQL database (a libpq URL; also postgres://), index/postgres_index.h:
//                     the index in its schema tallylog_index, rejects in tallylog_rejects
//
// Thread-safety: free functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"
#include "tallylog/index/writer.h"

namespace tallylog::index {

std::string index_path(std::string_view data_dir);    // <data>/index.sqlite
std::string rejects_path(std::string_view data_dir);  // <data>/rejects.sqlite

// Opens (creating if absent) the index named by `url`. Errors name the URL: an unknown scheme
// (kInvalidArgument), an index of another schema version (kFailedPrecondition: rebuild it), I/O,
// a database that cannot be reached (kUnavailable; the URL is named without its password).
Result<std::unique_ptr<Index>> open_index(std::string_view url);

// Whether the index named by `url` exists (a data directory that was never indexed has none).
bool index_exists(std::string_view url);

// Deletes the index named by `url` (not its rejects), so that it can be rebuilt from the log.
Status remove_index(std::string_view url);

}  // namespace tallylog::index
