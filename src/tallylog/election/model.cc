#include "tallylog/election/model.h"

namespace tallylog::election {

const Candidate* Election::find_candidate(std::string_view code) const {
  for (const Candidate& c : candidates) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

}  // namespace tallylog::election
