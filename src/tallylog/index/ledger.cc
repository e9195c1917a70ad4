#include "tallylog/index/ledger.h"

#include <functional>

namespace tallylog::index {
namespace {

uint64_t hash_code(std::string_view code) { return std::hash<std::string_view>{}(code); }

}  // namespace

void SheetLedger::reserve(size_t stations, size_t sheets) {
  stations_.reserve(stations);
  arena_.reserve(stations * 16);
  sheets_.reserve(sheets);
  size_t capacity = 16;
  while (capacity < 2 * stations) capacity *= 2;
  if (capacity > table_.size()) {
    table_.assign(capacity, 0);
    for (StationId id = 0; id < stations_.size(); ++id) {
      const std::string_view code = station_code(id);
      const uint64_t h = hash_code(code);
      table_[slot_of(code, h)] = (h >> 32 << 32) | (uint64_t{id} + 1);
    }
  }
}

size_t SheetLedger::slot_of(std::string_view code, uint64_t h) const {
  const uint64_t mask = table_.size() - 1;
  for (uint64_t i = h & mask;; i = (i + 1) & mask) {
    const uint64_t slot = table_[i];
    if (slot == 0) return i;
    if ((slot >> 32) == (h >> 32) && station_code(static_cast<StationId>((slot & 0xffffffffu) - 1)) == code) return i;
  }
}

void SheetLedger::grow_table() { reserve(std::max<size_t>(16, stations_.size() * 2), sheets_.capacity()); }

std::string_view SheetLedger::station_code(StationId id) const {
  const uint32_t b = code_begin(id);
  return std::string_view(arena_).substr(b, stations_[id].code_end - b);
}

std::optional<SheetLedger::StationId> SheetLedger::find_station(std::string_view code) const {
  if (table_.empty()) return std::nullopt;
  const uint64_t slot = table_[slot_of(code, hash_code(code))];
  if (slot == 0) return std::nullopt;
  return static_cast<StationId>((slot & 0xffffffffu) - 1);
}

SheetLedger::StationId SheetLedger::intern_station(std::string_view code) {
  if (2 * (stations_.size() + 1) > table_.size()) grow_table();
  const uint64_t h = hash_code(code);
  const size_t slot = slot_of(code, h);
  if (table_[slot] != 0) return static_cast<StationId>((table_[slot] & 0xffffffffu) - 1);
  const StationId id = static_cast<StationId>(stations_.size());
  arena_.append(code);
  Station st;
  st.code_end = static_cast<uint32_t>(arena_.size());
  stations_.push_back(st);
  table_[slot] = (h >> 32 << 32) | (uint64_t{id} + 1);
  return id;
}

void SheetLedger::set_registered(StationId id, std::optional<uint64_t> registered_voters) {
  stations_[id].registered = registered_voters.value_or(0);
  stations_[id].registered_known = registered_voters.has_value();
  stations_[id].registered_flag = true;
}

uint32_t SheetLedger::intern_source(std::string_view source) {
  auto it = source_ids_.find(std::string(source));
  if (it != source_ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(sources_.size());
  sources_.emplace_back(source);
  source_ids_.emplace(std::string(source), id);
  return id;
}

std::optional<uint32_t> SheetLedger::find_source(std::string_view source) const {
  auto it = source_ids_.find(std::string(source));
  if (it == source_ids_.end()) return std::nullopt;
  return it->second;
}

void SheetLedger::load_sheet(StationId station, const LoggedSheet& s) {
  const uint32_t idx = static_cast<uint32_t>(sheets_.size());
  Sheet sh;
  sh.log_index = s.log_index;
  sh.source = s.source;
  sh.superseded = s.superseded;
  sh.conflicted = s.conflicted;
  sh.identity = s.identity;
  sheets_.push_back(sh);
  if (s.content != s.identity) content_.emplace(idx, s.content);
  Station& st = stations_[station];
  if (st.last == kNone) {
    st.first = idx;
  } else {
    sheets_[st.last].next = idx;
  }
  st.last = idx;
}

std::span<const LoggedSheet> SheetLedger::sheets_of(StationId station) const {
  scratch_.clear();
  for (uint32_t i = stations_[station].first; i != kNone; i = sheets_[i].next) {
    const Sheet& s = sheets_[i];
    LoggedSheet l;
    l.log_index = s.log_index;
    l.source = s.source;
    l.superseded = s.superseded;
    l.conflicted = s.conflicted;
    l.identity = s.identity;
    auto c = s.superseded ? content_.end() : content_.find(i);
    l.content = c == content_.end() ? s.identity : c->second;
    scratch_.push_back(l);
  }
  return scratch_;
}

bool SheetLedger::has_current_sheet(StationId station) const {
  for (uint32_t i = stations_[station].first; i != kNone; i = sheets_[i].next) {
    if (!sheets_[i].superseded) return true;
  }
  return false;
}

SheetDecision SheetLedger::decide(StationId station, const SheetFacts& facts, std::string_view source_name) const {
  return decide_sheet(sheets_of(station), facts, station_code(station), source_name);
}

SheetDecision SheetLedger::decide_logged(StationId station, const SheetFacts& facts) const {
  return decide_logged_sheet(sheets_of(station), facts);
}

void SheetLedger::apply(StationId station, uint64_t log_index, const SheetFacts& facts, const SheetDecision& d) {
  for (uint32_t i = stations_[station].first; i != kNone; i = sheets_[i].next) {
    Sheet& s = sheets_[i];
    for (const StandingChange& c : d.changes) {
      if (c.log_index != s.log_index) continue;
      if (c.superseded) {
        s.superseded = 1;
        content_.erase(i);  // a superseded sheet's content is never compared again
      }
      s.conflicted = c.conflicted;
    }
  }
  LoggedSheet l;
  l.log_index = log_index;
  l.source = facts.source;
  l.conflicted = d.conflicted;
  l.identity = facts.identity;
  l.content = facts.content;
  load_sheet(station, l);
}

}  // namespace tallylog::index
