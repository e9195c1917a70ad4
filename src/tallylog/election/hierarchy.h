// The station registry must form a tree: each area (an area code at one level) has exactly one
// parent area and one name. A registry that breaks this cannot be tabulated (tally/geography.h
// refuses it), and since stations are never removed from the log, one bad row would make a data
// directory unusable for good. So `tallylog stations import` feeds every station of the registry
// and of the file through an AreaHierarchy BEFORE anything is logged, and stops on a conflict.
//
// Also: natural_less(), the order in which area listings show codes ("2" before "10").
//
// Thread-safety: AreaHierarchy is a mutable value, not thread-safe; natural_less is pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tallylog/election/model.h"

namespace tallylog::election {

class AreaHierarchy {
 public:
  explicit AreaHierarchy(const Election& election);

  // Adds the areas of a station that passed Validator::validate_station (one per level; the
  // last level, the station itself, is the ingestor's business). `origin` says where it came
  // from ("stations.csv:12", "the registry"). Returns a sentence when an area already has
  // another parent or another name, e.g.
  //   area "0101" (municipality) has two parents: state "01" (stations.csv:2) and state "02"
  //   (stations.csv:57)
  // and then records nothing of this station.
  std::optional<std::string> add(const Station& station, std::string_view origin);

 private:
  struct Area {
    std::string code;
    std::string name;
    uint32_t parent = 0;  // index among the areas one level up; 0 at the first level
    std::string origin;
  };
  std::vector<std::string> levels_;
  std::vector<std::vector<Area>> areas_;  // per level except the last
  std::vector<std::unordered_map<std::string, uint32_t>> by_code_;
};

// Orders codes the way people read them: runs of digits compare by numeric value ("2" < "10",
// "R2/9" < "R10/1"), everything else byte by byte; codes that differ only in leading zeros
// ("01", "1") fall back to byte order, so this is a strict weak order.
bool natural_less(std::string_view a, std::string_view b);

}  // namespace tallylog::election
