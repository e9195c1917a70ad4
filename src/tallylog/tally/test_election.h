// Test-only builders for small hand-made elections whose totals are known by heart.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tallylog/election/model.h"
#include "tallylog/index/reader.h"

namespace tallylog::tally::testing {

// Levels state > centre > table; candidates A, B, C; fields valid, null.
inline election::Election small_election() {
  election::Election e;
  e.id = "test";
  e.name = "Test election";
  e.date = "2024-01-01";
  e.contest = "test";
  e.levels = {{"state", "State"}, {"centre", "Centre"}, {"table", "Table"}};
  e.candidates = {{"A", "Alice", ""}, {"B", "Bob", ""}, {"C", "Carol", ""}};
  e.fields = {"valid", "null"};
  e.figures.valid = "valid";
  e.figures.invalid = "null";
  e.sources = {"official", "witness:*"};
  return e;
}

inline election::Station station(std::string state, std::string centre, std::string table, uint64_t registered) {
  election::Station s;
  s.code = table;
  s.areas = {{state, "State " + state}, {centre, "Centre " + centre}, {table, "Table " + table}};
  s.registered = registered;
  return s;
}

// S1: C1 {T1 100, T2 200}, C2 {T3 300}; S2: C3 {T4 400, T5 500}.
inline std::vector<election::Station> small_stations() {
  return {station("S1", "C1", "T1", 100), station("S1", "C1", "T2", 200), station("S1", "C2", "T3", 300),
          station("S2", "C3", "T4", 400), station("S2", "C3", "T5", 500)};
}

// A sheet with valid = a + b + c.
inline index::SheetRecord sheet(uint64_t log_index, std::string table, std::string source, int64_t a, int64_t b,
                                int64_t c, int64_t null_votes = 0) {
  index::SheetRecord r;
  r.log_index = log_index;
  r.sheet.station = std::move(table);
  r.sheet.source = std::move(source);
  r.sheet.candidates = {{"A", a}, {"B", b}, {"C", c}};
  r.sheet.fields = {{"valid", a + b + c}, {"null", null_votes}};
  return r;
}

}  // namespace tallylog::tally::testing
