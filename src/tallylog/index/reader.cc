#include "tallylog/index/reader.h"

#include <string>
#include <utility>
#include <variant>

#include "tallylog/election/entry.h"

namespace tallylog::index {

Result<SheetRecord> sheet_record_from_row(uint64_t log_index, bool superseded, bool conflicted,
                                          std::optional<uint64_t> corrects, std::string_view entry) {
  auto e = election::decode_entry(entry);
  if (!e) return std::unexpected(with_context(e.error(), "index: sheet at log index " + std::to_string(log_index)));
  auto* sheet = std::get_if<election::Sheet>(&e->record);
  if (!sheet)
    return err(ErrorCode::kCorrupt, "index: entry at log index " + std::to_string(log_index) + " is not a sheet");
  return SheetRecord{.log_index = log_index, .sheet = std::move(*sheet), .superseded = superseded,
                     .conflicted = conflicted, .corrects = corrects};
}

}  // namespace tallylog::index
