#include "tallylog/election/model.h"

namespace tallylog::election {

uint64_t UnregisteredTables::total() const {
  uint64_t n = count;
  for (const auto& [area, tables] : areas) {
    n = tables > UINT64_MAX - n ? UINT64_MAX : n + tables;  // saturates: validation keeps it small
  }
  return n;
}

const Candidate* Election::find_candidate(std::string_view code) const {
  for (const Candidate& c : candidates) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

}  // namespace tallylog::election
