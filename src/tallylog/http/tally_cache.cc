#include "tallylog/http/tally_cache.h"

#include <algorithm>
#include <vector>

#include "tallylog/tally/from_index.h"

namespace tallylog::http {

Result<TallyCache::Tally> TallyCache::Locked::tabulation(const tally::SourceRule& rule) {
  auto& c = c_;
  if (!c.index_) return err(ErrorCode::kUnavailable, "no data loaded");
  const uint64_t gen = c.writes_.load();
  const std::string key = rule.to_string();
  if (c.geo_) {
    if (auto it = c.tabs_.find(key); it != c.tabs_.end() && it->second.generation == gen)
      return Tally{it->second.tab.get(), it->second.applied};
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
    t.tab = std::make_unique<tally::Tabulation>(std::move(full));
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
  return Tally{t.tab.get(), t.applied};
}

Result<Response> TallyCache::Locked::cached(const std::string& key, uint64_t applied,
                                            const std::function<Result<Response>()>& make) {
  auto& bodies = c_.bodies_;
  if (auto it = bodies.find(key); it != bodies.end() && it->second.applied == applied)
    return Response::json(200, it->second.bytes);
  TL_ASSIGN_OR_RETURN(Response r, make());
  if (r.status == 200 && r.content_type == "application/json" && !r.shared_body) {
    auto bytes = std::make_shared<const std::string>(std::move(r.body));
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
