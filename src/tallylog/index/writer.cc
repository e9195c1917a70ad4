#include "tallylog/index/writer.h"

#include "tallylog/index/area_row.h"

namespace tallylog::index {

Status IndexTransaction::add_area_totals(uint32_t rule, int depth, uint32_t area,
                                         std::span<const int64_t> delta) {
  std::string row = encode_area_row(delta);
  TL_ASSIGN_OR_RETURN(auto stored, area_totals(rule, depth, area));
  if (stored) {
    TL_ASSIGN_OR_RETURN(row, add_area_rows(*stored, row));
  }
  return put_area_totals(rule, depth, area, row);
}

}  // namespace tallylog::index
