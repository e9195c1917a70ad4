#include "tallylog/index/memory_index.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "tallylog/election/entry.h"
#include "tallylog/index/station_areas.h"

namespace tallylog::index {
namespace {

// for_each_current_count's filter (reader.h): empty, "<prefix>*", or one source.
bool source_matches(std::string_view filter, std::string_view source) {
  if (filter.ends_with('*')) return source.starts_with(filter.substr(0, filter.size() - 1));
  return filter.empty() || source == filter;
}

struct StoredSheet {
  std::string station, source, identity, content;
  std::optional<uint64_t> supersedes, corrects, superseded_by;
  bool conflicted = false;
  std::optional<std::string> counts, counts_error;
  std::string entry;
};

struct StoredStation {
  election::Station station;
  uint64_t log_index = 0;
  std::string name;
  uint32_t parent = kNoAreaId;
};

// One committed state. Maps keep the orders the reader interface promises.
struct State {
  uint64_t indexed_size = 0;
  std::string aggregates;
  std::map<uint64_t, std::pair<std::string, std::string>> elections;  // log index -> (id, entry)
  std::map<std::string, StoredStation> stations;
  std::map<uint32_t, AreaRow> areas;
  std::map<uint64_t, StoredSheet> sheets;
  std::map<std::string, std::vector<uint64_t>> by_station;  // log indexes, ascending
  std::set<std::string> sources;
  std::map<uint32_t, std::string> rules;
  std::map<std::tuple<uint32_t, int, uint32_t>, std::string> totals;  // (rule, depth, area)
  std::map<uint64_t, std::string> skipped;
  std::map<uint64_t, std::pair<election::Declaration, std::string>> declarations;  // log index -> (record, entry)
};

std::string hex_upper(std::string_view bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

template <typename T>
std::string opt(const std::optional<T>& v) {
  if (!v) return "NULL";
  if constexpr (std::is_same_v<T, std::string>) {
    return *v;
  } else {
    return std::to_string(*v);
  }
}

Result<SheetRecord> record_of(uint64_t at, const StoredSheet& s) {
  SheetRecord rec;
  rec.log_index = at;
  rec.superseded = s.superseded_by.has_value();
  rec.conflicted = s.conflicted;
  rec.corrects = s.corrects;
  auto e = election::decode_entry(s.entry);
  if (!e) return std::unexpected(with_context(e.error(), "index: sheet at log index " + std::to_string(at)));
  auto* sheet = std::get_if<election::Sheet>(&e->record);
  if (!sheet) return err(ErrorCode::kCorrupt, "index: entry at log index " + std::to_string(at) + " is not a sheet");
  rec.sheet = std::move(*sheet);
  return rec;
}

CountRecord count_of(uint64_t at, const StoredSheet& s) {
  return CountRecord{at,
                     s.station,
                     s.source,
                     s.corrects,
                     s.conflicted,
                     s.counts ? std::string_view(*s.counts) : std::string_view(),
                     s.counts_error ? std::string_view(*s.counts_error) : std::string_view()};
}

class MemoryIndex;

class MemoryTransaction final : public IndexTransaction {
 public:
  MemoryTransaction(MemoryIndex& owner, std::shared_ptr<State> working) : owner_(owner), w_(std::move(working)) {}
  ~MemoryTransaction() override;

  uint64_t next_index() const override { return w_->indexed_size; }
  Status election(const election::Election& e, std::string_view entry) override {
    w_->elections[w_->indexed_size++] = {e.id, std::string(entry)};
    return ok();
  }
  Status station(const StationRow& row) override {
    StoredStation st;
    st.station = row.station;
    st.log_index = w_->indexed_size++;
    st.name = row.station.areas.empty() ? std::string() : row.station.areas.back().name;
    st.parent = row.parent;
    w_->stations[row.station.code] = std::move(st);
    return ok();
  }
  Status sheet(const SheetRow& s) override {
    const uint64_t at = w_->indexed_size;
    if (s.log_index != at) {
      return err(ErrorCode::kInternal, "index: sheet row for log index " + std::to_string(s.log_index) + " given at " +
                                           std::to_string(at));
    }
    StoredSheet st;
    st.station = s.station;
    st.source = s.source;
    st.identity = s.identity;
    st.content = s.content;
    st.supersedes = s.supersedes;
    st.corrects = s.corrects;
    st.conflicted = s.conflicted;
    if (s.counts_error.empty()) {
      st.counts = std::string(s.counts);
    } else {
      st.counts_error = std::string(s.counts_error);
    }
    st.entry = s.entry;
    w_->sheets.emplace(at, std::move(st));
    w_->by_station[std::string(s.station)].push_back(at);
    w_->sources.emplace(s.source);
    ++w_->indexed_size;
    return ok();
  }
  Status skip(std::string_view why) override {
    w_->skipped[w_->indexed_size++] = std::string(why);
    return ok();
  }
  Status declaration(const election::Declaration& d, std::string_view entry) override {
    w_->declarations[w_->indexed_size++] = {d, std::string(entry)};
    return ok();
  }
  Status set_standing(uint64_t log_index, std::optional<uint64_t> superseded_by, bool conflicted) override {
    auto it = w_->sheets.find(log_index);
    if (it == w_->sheets.end()) return ok();  // as an UPDATE of no row
    it->second.superseded_by = superseded_by;
    it->second.conflicted = conflicted;
    return ok();
  }
  Status put_area(const AreaRow& a) override {
    w_->areas[a.id] = a;
    return ok();
  }
  Status put_rule(uint32_t id, std::string_view text) override {
    w_->rules[id] = std::string(text);
    return ok();
  }
  Status put_area_totals(uint32_t rule, int depth, uint32_t area, std::string_view row) override {
    w_->totals[{rule, depth, area}] = std::string(row);
    return ok();
  }
  Status set_aggregates_state(std::string_view why_not_exact) override {
    w_->aggregates = std::string(why_not_exact);
    return ok();
  }
  Result<std::optional<std::string>> area_totals(uint32_t rule, int depth, uint32_t area) override {
    auto it = w_->totals.find({rule, depth, area});
    if (it == w_->totals.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status for_each_current_count(std::string_view station, const std::function<void(const CountRecord&)>& fn) override {
    auto it = w_->by_station.find(std::string(station));
    if (it == w_->by_station.end()) return ok();
    for (uint64_t at : it->second) {
      const StoredSheet& s = w_->sheets.at(at);
      if (!s.superseded_by) fn(count_of(at, s));
    }
    return ok();
  }
  Status commit() override;

 private:
  MemoryIndex& owner_;
  std::shared_ptr<State> w_;
  bool done_ = false;
};

class MemorySnapshot;

class MemoryIndex final : public Index {
 public:
  MemoryIndex() : current_(std::make_shared<State>()) {}

  Result<std::unique_ptr<IndexTransaction>> begin() override {
    std::lock_guard lock(mu_);
    if (open_transaction_) return err(ErrorCode::kInternal, "index: a write transaction is already open");
    open_transaction_ = true;
    return std::unique_ptr<IndexTransaction>(new MemoryTransaction(*this, std::make_shared<State>(*current_)));
  }
  Status add_rejects(std::span<const Reject> rejects) override {
    std::lock_guard lock(mu_);
    rejects_.insert(rejects_.end(), rejects.begin(), rejects.end());
    return ok();
  }
  Result<uint64_t> clear_rejects() override {
    std::lock_guard lock(mu_);
    const uint64_t n = rejects_.size();
    rejects_.clear();
    return n;
  }

  Result<std::unique_ptr<ReadSnapshot>> snapshot() override;
  Result<uint64_t> indexed_size() override { return state()->indexed_size; }
  Result<election::Election> election() override {
    auto s = state();
    if (s->elections.empty()) return err(ErrorCode::kFailedPrecondition, "index: no election record (is the log initialised?)");
    auto e = election::decode_entry(s->elections.begin()->second.second);
    if (!e) return std::unexpected(with_context(e.error(), "index: election entry"));
    auto* el = std::get_if<election::Election>(&e->record);
    if (!el) return err(ErrorCode::kCorrupt, "index: election entry is not an election");
    return std::move(*el);
  }
  Result<std::optional<election::Station>> station(std::string_view code) override {
    auto s = state();
    auto it = s->stations.find(std::string(code));
    if (it == s->stations.end()) return std::optional<election::Station>();
    return std::optional<election::Station>(it->second.station);
  }
  Status for_each_station(const std::function<void(const election::Station&)>& fn) override {
    auto s = state();
    for (const auto& [code, st] : s->stations) fn(st.station);
    return ok();
  }
  Result<uint64_t> station_count() override { return state()->stations.size(); }
  Status for_each_current_sheet(std::string_view source, const std::function<void(const SheetRecord&)>& fn) override {
    auto s = state();
    std::vector<std::tuple<std::string_view, std::string_view, uint64_t>> order;
    for (const auto& [at, sh] : s->sheets) {
      if (!sh.superseded_by && (source.empty() || sh.source == source)) order.emplace_back(sh.station, sh.source, at);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [st, so, at] : order) {
      TL_ASSIGN_OR_RETURN(SheetRecord rec, record_of(at, s->sheets.at(at)));
      fn(rec);
    }
    return ok();
  }
  Result<std::vector<SheetRecord>> sheets_for_station(std::string_view station, std::string_view source) override {
    auto s = state();
    std::vector<SheetRecord> out;
    auto it = s->by_station.find(std::string(station));
    if (it == s->by_station.end()) return out;
    for (uint64_t at : it->second) {
      const StoredSheet& sh = s->sheets.at(at);
      if (!source.empty() && sh.source != source) continue;
      TL_ASSIGN_OR_RETURN(SheetRecord rec, record_of(at, sh));
      out.push_back(std::move(rec));
    }
    return out;
  }
  Result<std::optional<SheetRecord>> sheet_at(uint64_t log_index) override {
    auto s = state();
    auto it = s->sheets.find(log_index);
    if (it == s->sheets.end()) return std::optional<SheetRecord>();
    TL_ASSIGN_OR_RETURN(SheetRecord rec, record_of(log_index, it->second));
    return std::optional<SheetRecord>(std::move(rec));
  }
  Result<std::vector<DeclarationRecord>> declarations() override {
    auto s = state();
    std::vector<DeclarationRecord> out;
    for (const auto& [at, d] : s->declarations) out.push_back(DeclarationRecord{at, d.first});
    return out;
  }
  Result<std::vector<Conflict>> conflicts() override {
    auto s = state();
    std::vector<std::tuple<std::string_view, std::string_view, uint64_t>> order;
    for (const auto& [at, sh] : s->sheets) {
      if (sh.conflicted && !sh.superseded_by) order.emplace_back(sh.station, sh.source, at);
    }
    std::sort(order.begin(), order.end());
    std::vector<Conflict> out;
    for (const auto& [st, so, at] : order) {
      if (out.empty() || out.back().station != st || out.back().source != so)
        out.push_back(Conflict{std::string(st), std::string(so), {}});
      out.back().log_indexes.push_back(at);
    }
    return out;
  }
  Result<std::vector<std::string>> sources() override {
    auto s = state();
    return std::vector<std::string>(s->sources.begin(), s->sources.end());
  }
  Result<std::vector<Reject>> rejects(size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<Reject> out;
    for (auto it = rejects_.rbegin(); it != rejects_.rend() && out.size() < limit; ++it) out.push_back(*it);
    return out;
  }
  Status for_each_current_count(std::string_view source, const std::function<void(const CountRecord&)>& fn) override {
    auto s = state();
    for (const auto& [at, sh] : s->sheets) {
      if (!sh.superseded_by && source_matches(source, sh.source)) fn(count_of(at, sh));
    }
    return ok();
  }
  Result<std::vector<std::pair<std::string, uint64_t>>> current_sheets_by_source() override {
    auto s = state();
    std::map<std::string, uint64_t> n;
    for (const auto& [at, sh] : s->sheets) {
      if (!sh.superseded_by) ++n[sh.source];
    }
    return std::vector<std::pair<std::string, uint64_t>>(n.begin(), n.end());
  }
  Status for_each_sheet_summary(const std::function<void(const SheetSummary&)>& fn) override {
    auto s = state();
    for (const auto& [at, sh] : s->sheets) {
      fn(SheetSummary{at, sh.station, sh.source, sh.identity, sh.content, sh.superseded_by.has_value(), sh.conflicted});
    }
    return ok();
  }
  Status for_each_table(const std::function<void(const TableRow&)>& fn) override {
    auto s = state();
    for (const auto& [code, st] : s->stations) fn(TableRow{code, st.name, st.station.registered, st.parent});
    return ok();
  }
  Status for_each_table_in(uint32_t parent, const std::function<void(const TableRow&)>& fn) override {
    auto s = state();
    for (const auto& [code, st] : s->stations) {
      if (st.parent == parent) fn(TableRow{code, st.name, st.station.registered, st.parent});
    }
    return ok();
  }
  Status for_each_area(int max_depth, const std::function<void(const AreaRow&)>& fn) override {
    auto s = state();
    for (const auto& [id, a] : s->areas) {
      if (a.depth <= max_depth) fn(a);
    }
    return ok();
  }
  Result<std::vector<std::string>> rules() override {
    auto s = state();
    std::vector<std::string> out;
    for (const auto& [id, text] : s->rules) {
      if (id != out.size()) return err(ErrorCode::kCorrupt, "index: rule ids are not dense (" + std::to_string(id) + ")");
      out.push_back(text);
    }
    return out;
  }
  Status for_each_area_totals(uint32_t rule, int max_depth,
                              const std::function<void(uint32_t, std::string_view)>& fn) override {
    auto s = state();
    for (auto it = s->totals.lower_bound({rule, INT32_MIN, 0}); it != s->totals.end(); ++it) {
      const auto& [r, depth, area] = it->first;
      if (r != rule || depth > max_depth) break;
      fn(area, it->second);
    }
    return ok();
  }
  Result<std::string> aggregates_state() override { return state()->aggregates; }

  // The same text as the SQLite backend's dump, row for row.
  Result<std::string> dump() override {
    auto s = state();
    std::string out;
    auto line = [&](std::initializer_list<std::string> cols) {
      bool first = true;
      for (const auto& c : cols) {
        if (!first) out.push_back('|');
        out += c;
        first = false;
      }
      out.push_back('\n');
    };
    line({"meta", "indexed_size", std::to_string(s->indexed_size)});
    line({"meta_text", "aggregates", s->aggregates});
    for (const auto& [at, e] : s->elections) line({"election", std::to_string(at), e.first, e.second});
    for (const auto& [code, st] : s->stations) {
      line({"station", code, std::to_string(st.log_index),
            st.station.registered ? std::to_string(*st.station.registered) : "NULL",
            encode_station_areas(st.station.areas), st.name,
            st.parent == kNoAreaId ? "NULL" : std::to_string(st.parent)});
    }
    for (const auto& [id, a] : s->areas) {
      line({"area", std::to_string(id), std::to_string(a.depth), a.code, a.name,
            a.parent == kNoAreaId ? "NULL" : std::to_string(a.parent), a.name_from, std::to_string(a.tables_registered),
            std::to_string(a.registered_voters), std::to_string(a.tables_registered_unknown)});
    }
    for (const auto& [at, sh] : s->sheets) {
      line({"sheet", std::to_string(at), sh.station, sh.source, hex_upper(sh.identity), hex_upper(sh.content),
            opt(sh.supersedes), opt(sh.corrects), opt(sh.superseded_by), sh.conflicted ? "1" : "0",
            sh.counts ? hex_upper(*sh.counts) : "", opt(sh.counts_error)});  // SQLite's hex(NULL) is ''

    }
    for (const auto& [at, sh] : s->sheets) line({"entry", std::to_string(at), sh.entry});
    for (const auto& name : s->sources) line({"source", name});
    for (const auto& [id, text] : s->rules) line({"rule", std::to_string(id), text});
    for (const auto& [key, row] : s->totals) {
      line({"area_totals", std::to_string(std::get<0>(key)), std::to_string(std::get<1>(key)),
            std::to_string(std::get<2>(key)), hex_upper(row)});
    }
    for (const auto& [at, why] : s->skipped) line({"skipped", std::to_string(at), why});
    for (const auto& [at, d] : s->declarations) line({"declaration", std::to_string(at), d.first.source, d.second});
    return out;
  }

 private:
  friend class MemoryTransaction;
  friend class MemorySnapshot;

  // The state this thread reads: its snapshot's, else the latest committed one.
  std::shared_ptr<const State> state() {
    std::lock_guard lock(mu_);
    if (auto it = pinned_.find(std::this_thread::get_id()); it != pinned_.end()) return it->second;
    return current_;
  }

  std::mutex mu_;
  std::shared_ptr<const State> current_;
  std::map<std::thread::id, std::shared_ptr<const State>> pinned_;
  bool open_transaction_ = false;
  std::vector<Reject> rejects_;
};

class MemorySnapshot final : public ReadSnapshot {
 public:
  explicit MemorySnapshot(MemoryIndex& owner) : owner_(owner) {
    std::lock_guard lock(owner_.mu_);
    owner_.pinned_[std::this_thread::get_id()] = owner_.current_;
  }
  ~MemorySnapshot() override {
    std::lock_guard lock(owner_.mu_);
    owner_.pinned_.erase(std::this_thread::get_id());
  }

 private:
  MemoryIndex& owner_;
};

Result<std::unique_ptr<ReadSnapshot>> MemoryIndex::snapshot() {
  return std::unique_ptr<ReadSnapshot>(new MemorySnapshot(*this));
}

MemoryTransaction::~MemoryTransaction() {
  if (done_) return;
  std::lock_guard lock(owner_.mu_);
  owner_.open_transaction_ = false;
}

Status MemoryTransaction::commit() {
  std::lock_guard lock(owner_.mu_);
  owner_.current_ = std::move(w_);
  owner_.open_transaction_ = false;
  done_ = true;
  return ok();
}

}  // namespace

std::unique_ptr<Index> make_memory_index() { return std::make_unique<MemoryIndex>(); }

}  // namespace tallylog::index
