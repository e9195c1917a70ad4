// An index held in memory: `open_index("memory:")`. For re-deriving an index from a log without
// touching disk (an audit re-derives every published total from the log alone, issue 9) and as a
// second backend for the conformance suite. Everything the SQLite backend stores, it stores, in
// ordered maps; it passes the same conformance tests.
//
// Transactions work on a private copy of the committed state, swapped in at commit (so readers and
// snapshots never see a partial transaction): a transaction costs a copy of the index, so apply a
// whole log in one (ingest::catch_up with a large chunk). Nothing survives the object.
//
// Thread-safety: as IndexReader/IndexWriter require (a mutex; snapshots pin a committed state).
#pragma once

#include <memory>

#include "tallylog/index/writer.h"

namespace tallylog::index {

std::unique_ptr<Index> make_memory_index();

}  // namespace tallylog::index
