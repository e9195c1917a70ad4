// The in-memory state the verdict rule (index/verdict.h) reads: every station (code, registered
// voters, whether it is in the registry) and every logged sheet of it (log index, source,
// standing, identity and content digests). The ingestor checks each submission against it and
// catch-up/reindex replay the log through it, so the rule never queries a database per sheet.
//
// Compact on purpose (a national election holds a million stations and as many sheets, issue 16):
// station codes live in one arena behind a flat open-addressing table, sheets in one array linked
// per station; a sheet costs 48 bytes (its content digest is kept apart for corrections only, the
// only sheets whose content differs from their identity).
//
// Ownership: a value. Thread-safety: none; the owner serialises access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tallylog/index/verdict.h"

namespace tallylog::index {

class SheetLedger {
 public:
  using StationId = uint32_t;

  void reserve(size_t stations, size_t sheets);

  // The station with `code`, creating an unregistered one if absent.
  StationId intern_station(std::string_view code);
  std::optional<StationId> find_station(std::string_view code) const;
  std::string_view station_code(StationId id) const;
  size_t station_count() const { return stations_.size(); }

  // Registry facts of a station.
  // `registered_voters` is nullopt when the registry does not know them.
  void set_registered(StationId id, std::optional<uint64_t> registered_voters);
  bool is_registered(StationId id) const { return stations_[id].registered_flag; }
  std::optional<uint64_t> registered_voters(StationId id) const {
    const Station& s = stations_[id];
    return s.registered_known ? std::optional<uint64_t>(s.registered) : std::nullopt;
  }
  // An opaque number the owner keeps per station (the deriver keeps the table's parent area).
  void set_tag(StationId id, uint32_t tag) { stations_[id].tag = tag; }
  uint32_t tag(StationId id) const { return stations_[id].tag; }

  uint32_t intern_source(std::string_view source);
  const std::string& source_name(uint32_t id) const { return sources_[id]; }
  std::optional<uint32_t> find_source(std::string_view source) const;

  // Loads a sheet as the index holds it (at open), in log order.
  void load_sheet(StationId station, const LoggedSheet& sheet);

  // Every sheet logged for the station, in log order (a scratch buffer reused per call).
  std::span<const LoggedSheet> sheets_of(StationId station) const;
  // Whether any sheet of the station is current (not superseded).
  bool has_current_sheet(StationId station) const;

  // The rule over this station's sheets.
  SheetDecision decide(StationId station, const SheetFacts& facts, std::string_view source_name = {}) const;
  SheetDecision decide_logged(StationId station, const SheetFacts& facts) const;
  // Records a logged sheet and the standing changes its decision made.
  void apply(StationId station, uint64_t log_index, const SheetFacts& facts, const SheetDecision& decision);

  size_t sheet_count() const { return sheets_.size(); }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Station {
    uint64_t registered = 0;
    uint32_t first = kNone;  // first sheet, in log order
    uint32_t last = kNone;
    uint32_t tag = UINT32_MAX;
    uint32_t code_end = 0;  // the code is arena_[previous code_end, code_end)
    bool registered_flag = false;
    bool registered_known = false;  // registered holds the registry's figure
  };
  struct Sheet {
    uint64_t log_index = 0;
    uint32_t next = kNone;
    uint32_t source : 30 = 0;
    uint32_t superseded : 1 = 0;
    uint32_t conflicted : 1 = 0;
    Digest identity{};
  };

  uint32_t code_begin(StationId id) const { return id == 0 ? 0 : stations_[id - 1].code_end; }
  void grow_table();
  size_t slot_of(std::string_view code, uint64_t hash) const;

  std::string arena_;
  std::vector<Station> stations_;
  std::vector<uint64_t> table_;  // (hash high 32 bits << 32) | (id + 1); 0 = empty
  std::vector<Sheet> sheets_;
  std::unordered_map<uint32_t, Digest> content_;  // sheets whose content differs from identity
  std::vector<std::string> sources_;
  std::unordered_map<std::string, uint32_t> source_ids_;
  mutable std::vector<LoggedSheet> scratch_;
};

}  // namespace tallylog::index
