// Small hand-made election, station and sheet for tests (header-only; tests of other modules may
// include it too). Two candidates A and B, three cards (A, A, B), fields valid and null, two
// levels (region, table).
#pragma once

#include <string>

#include "tallylog/election/model.h"

namespace tallylog::election::testing {

inline Election small_election() {
  Election e;
  e.id = "test";
  e.name = "Test election";
  e.date = "2024-07-28";
  e.contest = "president";
  e.levels = {{"region", "Region"}, {"table", "Table"}};
  e.candidates = {{"A", "Alice", ""}, {"B", "Bob", ""}};
  e.cards = {{1, "P1", "A"}, {2, "P2", "A"}, {3, "P3", "B"}};
  e.fields = {"valid", "null"};
  e.rules = {"valid == candidates", "valid + null <= registered"};
  e.sources = {"official", "witness:*", "qr"};
  e.qr_profile = "";
  return e;
}

inline Station small_station(std::string code = "R1.01", uint64_t registered = 100) {
  Station s;
  s.code = code;
  s.areas = {{"R1", "Region one"}, {code, "Table 1"}};
  s.registered = registered;
  return s;
}

// A sheet by cards for small_station(): A = 10 + 5, B = 20, valid 35, null 2.
inline Sheet small_sheet(std::string station = "R1.01") {
  Sheet s;
  s.station = station;
  s.source = "official";
  s.cards = {10, 5, 20};
  s.fields = {{"valid", 35}, {"null", 2}};
  s.submitted_by = "importer";
  s.submitted_at = "2024-07-29T01:02:03Z";
  return s;
}

// A mayor's race decided per municipality (Election::decided_at, docs/formats/election-toml.md
// "Local races"): LG and MN stand in municipality 0101 (state 01), AV in 0203 (state 02).
// Levels state > municipality > table.
inline Election local_race_election() {
  Election e;
  e.id = "mayors";
  e.name = "Alcaldías";
  e.date = "2026-11-08";
  e.contest = "mayor";
  e.decided_at = "municipality";
  e.levels = {{"state", "Estado"}, {"municipality", "Municipio"}, {"table", "Mesa"}};
  e.candidates = {{"LG", "Lucía Gómez", "0101"}, {"MN", "Mario Nieto", "0101"}, {"AV", "Ana Vidal", "0203"}};
  e.fields = {"valid"};
  e.rules = {"valid == candidates"};
  e.sources = {"official"};
  return e;
}

// A table of local_race_election() in `municipality` (its state: the code's first two characters).
inline Station local_race_table(std::string municipality, std::string code) {
  Station s;
  s.code = code;
  s.areas = {{municipality.substr(0, 2), "State " + municipality.substr(0, 2)}, {municipality, "M" + municipality},
             {code, ""}};
  s.registered = 500;
  return s;
}

}  // namespace tallylog::election::testing
