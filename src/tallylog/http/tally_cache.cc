#include "tallylog/http/tally_cache.h"

#include <algorithm>
#include <vector>

#include "tallylog/tally/from_index.h"

namespace tallylog::http {

Result<TallyCache::Tally> TallyCache::Locked::tabulation(const tally::SourceRule& rule) {
  auto& c = c_;
  if (!c.index_) return err(ErrorCode::kUnavailable, "no data loaded");
  const uint64_t gen = c.generation();
  const std::string key = rule.to_string();
  if (c.geo_) {
    if (auto it = c.tabs_.find(key); it != c.tabs_.end() && it->second.generation == gen)
      return Tally{it->second.tab, it->second.applied};
  }
  TL_ASSIGN_OR_RETURN(uint64_t size, c.index_->indexed_size());
  TL_ASSIGN_OR_RETURN(uint64_t stations, c.index_->station_count());
  if (!c.geo_ || stations != c.geo_stations_) {
    TL_ASSIGN_OR_RETURN(auto election, c.index_->election());
    std::vector<election::Station> list;
    list.reserve(stations);
    TL_TRY(c.index_->for_each_station([&](const election::Station& s) { list.push_back(s); }));
    TL_ASSIGN_OR_RETURN(c.geo_, tally::Geography::build(election, list));
    c.geo_stations_ = stations;
    c.tabs_.clear();
    c.bodies_.clear();
    c.body_bytes_ = 0;
  }
  auto it = c.tabs_.find(key);
  if (it == c.tabs_.end()) {
    if (c.tabs_.size() >= kMaxRules) c.tabs_.clear();
    Tab t;
    TL_ASSIGN_OR_RETURN(auto full, tally::tabulate_index(*c.index_, c.geo_, rule, nullptr));
    t.tab = std::make_shared<tally::Tabulation>(std::move(full));
    t.applied = size;
    it = c.tabs_.emplace(key, std::move(t)).first;
  }
  auto& t = it->second;
  for (uint64_t i = t.applied; i < size; ++i) {
    TL_ASSIGN_OR_RETURN(auto rec, c.index_->sheet_at(i));
    // add() filters by the rule itself, and must also see corrections from other sources so
    // that a superseded matching sheet is retracted (the live tally equals a full recompute).
    if (rec) TL_TRY(t.tab->add(*rec));
  }
  t.applied = std::max(t.applied, size);
  t.generation = gen;
  return Tally{t.tab, t.applied};
}

Result<const election::Election*> TallyCache::Locked::election() {
  auto& c = c_;
  if (!c.index_) return err(ErrorCode::kUnavailable, "no data loaded");
  if (!c.election_) {
    TL_ASSIGN_OR_RETURN(auto e, c.index_->election());
    c.election_ = std::move(e);
  }
  return &*c.election_;
}

Result<std::optional<TallyCache::Stored>> TallyCache::Locked::stored(const tally::SourceRule& rule, int depth) {
  auto& c = c_;
  using Out = std::optional<Stored>;
  if (!c.index_) return err(ErrorCode::kUnavailable, "no data loaded");
  const uint64_t gen = c.generation();
  const std::string key = rule.to_string() + "|" + std::to_string(depth);
  if (auto it = c.stored_.find(key); it != c.stored_.end() && it->second.generation == gen) {
    if (!it->second.view) return Out();
    return Out(Stored{&*it->second.view, it->second.applied});
  }
  // One committed state for the size, the areas and the totals.
  TL_ASSIGN_OR_RETURN(auto snapshot, c.index_->snapshot());
  TL_ASSIGN_OR_RETURN(uint64_t size, c.index_->indexed_size());
  StoredEntry entry;
  entry.applied = size;
  entry.generation = gen;
  // Totals that are not exact (or not kept by this backend) answer nothing: tabulate instead.
  TL_ASSIGN_OR_RETURN(std::string why_not_exact, c.index_->aggregates_state());
  if (!why_not_exact.empty()) {
    c.stored_[key] = std::move(entry);
    return Out();
  }
  // The areas change only when a station is registered, which the national area's table count
  // tells in one row (counting a million stations would cost a scan per write).
  uint64_t registry = 0;
  TL_TRY(c.index_->for_each_area(0, [&](const index::AreaRow& a) { registry = a.tables_registered + 1; }));
  if (registry != c.upper_stations_) {
    c.upper_.clear();
    c.stored_.clear();
    c.upper_stations_ = registry;
  }
  auto up = c.upper_.find(depth);
  if (up == c.upper_.end()) {
    TL_ASSIGN_OR_RETURN(auto upper, tally::upper_geography_from_index(*c.index_, depth));
    up = c.upper_.emplace(depth, std::move(upper)).first;
  }
  if (up->second) {
    TL_ASSIGN_OR_RETURN(entry.view, tally::stored_tally(*c.index_, *up->second, rule));
  }
  if (c.stored_.size() > 256) c.stored_.clear();  // any source name may be asked for
  auto& slot = c.stored_[key] = std::move(entry);
  if (!slot.view) return Out();
  return Out(Stored{&*slot.view, slot.applied});
}

Result<Response> TallyCache::Locked::cached(const std::string& key, uint64_t applied,
                                            const std::function<Result<Response>()>& make) {
  auto& bodies = c_.bodies_;
  if (auto it = bodies.find(key); it != bodies.end() && it->second.applied == applied)
    return Response::json(200, it->second.bytes);
  TL_ASSIGN_OR_RETURN(Response r, make());
  if (r.status == 200 && r.content_type == "application/json" && !r.shared_body) {
    // Its storage goes back to the pool once the cache and every connection writing it let go.
    auto bytes = std::shared_ptr<const std::string>(new std::string(std::move(r.body)),
                                                    [pool = c_.pool_](const std::string* s) {
                                                      pool->give(std::move(*const_cast<std::string*>(s)));
                                                      delete s;
                                                    });
    r.body.clear();
    r.shared_body = bytes;
    if (auto old = bodies.find(key); old != bodies.end()) {
      c_.body_bytes_ -= old->second.bytes->size();
      bodies.erase(old);
    }
    if (bodies.size() >= kMaxBodies || c_.body_bytes_ + bytes->size() > kMaxBodyBytes) {
      bodies.clear();
      c_.body_bytes_ = 0;
    }
    bodies[key] = {applied, bytes};
    c_.body_bytes_ += bytes->size();
  }
  return r;
}

}  // namespace tallylog::http
