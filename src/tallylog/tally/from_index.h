// Loading a tabulation from the derived index (index::IndexReader), shared by the CLI and the
// HTTP server so both count exactly the same sheets. The reader is the injected read interface;
// nothing here touches files itself.
//
// Thread-safety: as the reader's (SqliteIndex readers are thread-safe); the results are values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "tallylog/base/error.h"
#include "tallylog/index/reader.h"
#include "tallylog/tally/geography.h"
#include "tallylog/tally/source_rule.h"
#include "tallylog/tally/tabulation.h"

namespace tallylog::tally {

// The election and every registered station of the index, as a Geography.
Result<std::shared_ptr<const Geography>> geography_from_index(index::IndexReader& reader);

// Streams the index's current sheets matching `rule` into a new Tabulation and totals every
// level. `progress` (optional) gets the number of sheets read so far, every few thousand.
Result<Tabulation> tabulate_index(index::IndexReader& reader, std::shared_ptr<const Geography> geography,
                                  const SourceRule& rule, const std::function<void(uint64_t)>& progress = {});

}  // namespace tallylog::tally
