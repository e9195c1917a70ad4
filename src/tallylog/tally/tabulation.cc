#include "tallylog/tally/tabulation.h"

#include "tallylog/tally/table_row.h"

#include <algorithm>
#include <cstring>

namespace tallylog::tally {

Tabulation::Tabulation(std::shared_ptr<const Geography> geography, SourceRule rule)
    : geo_(std::move(geography)), rule_(std::move(rule)) {
  const Geography& g = *geo_;
  compared_ = g.layout().compared();
  width_ = g.layout().width();
  stride_ = kHeader + width_;
  table_begin_ = g.depth_begin(g.table_depth());
  head_.assign(g.table_count(), kNone);
  rep_.assign(g.table_count(), kNone);
  agg_.assign(size_t(table_begin_) * stride_, 0);
  scratch_.resize(2 * stride_);
  // Typically one sheet per table: reserve address space (pages are only touched when used).
  contribs_.reserve(g.table_count());
  counts_.reserve(g.table_count() * width_);
}

AreaId Tabulation::find_table(std::string_view station) {
  // The index streams sheets ordered by station and tables are numbered in code order, so the
  // table after the last one found is the likely answer: check it before hashing.
  for (uint32_t t : {last_table_, last_table_ + 1}) {
    if (t < head_.size() && geo_->area(table_begin_ + t).code == station) {
      last_table_ = t;
      return table_begin_ + t;
    }
  }
  const AreaId id = geo_->find_table(station);
  if (id != kNoArea) last_table_ = id - table_begin_;
  return id;
}

void Tabulation::select(uint32_t t) {
  std::vector<TableSheet>& sheets = select_scratch_;
  std::vector<uint32_t>& ids = select_ids_;
  sheets.clear();
  ids.clear();
  for (uint32_t c = head_[t]; c != kNone; c = contribs_[c].next) {
    sheets.push_back({contribs_[c].log_index, counts_of(c), contribs_[c].has_cards});
    ids.push_back(c);
  }
  const size_t r = select_representative(sheets, compared_, geo_->layout().optional_slots());
  rep_[t] = r == kNoSheet ? kNone : r == kConflictedTable ? kConflict : ids[r];
}

void Tabulation::row(uint32_t t, int64_t* out) const {
  std::fill(out, out + stride_, 0);
  const uint32_t r = rep_[t];
  if (r == kConflict) {
    out[1] = 1;
  } else if (r != kNone) {
    const Area& table = geo_->area(table_begin_ + t);
    out[0] = 1;
    out[2] = static_cast<int64_t>(table.registered_voters);
    out[3] = contribs_[r].has_cards ? 1 : 0;
    if (table.tables_registered_unknown != 0) {  // unknown registered voters: left out of turnout
      out[4] = 1;
      out[5] = turnout_excluded(counts_of(r), width_, std::nullopt, &geo_->figures().turnout());
    }
    std::copy(counts_of(r), counts_of(r) + width_, out + kHeader);
  }
}

void Tabulation::propagate(uint32_t t, const int64_t* old_row, const int64_t* new_row) {
  for (AreaId a = geo_->area(table_begin_ + t).parent; a != kNoArea; a = geo_->area(a).parent) {
    int64_t* dst = &agg_[size_t(a) * stride_];
    for (size_t i = 0; i < stride_; ++i) dst[i] += new_row[i] - old_row[i];
  }
}

Status Tabulation::add(const index::SheetRecord& record) { return add_deferred_or_now(record, true); }
Status Tabulation::add_deferred(const index::SheetRecord& record) { return add_deferred_or_now(record, false); }

Status Tabulation::add_deferred_or_now(const index::SheetRecord& record, bool propagate_now) {
  if (record.superseded) return ok();
  const election::Sheet& s = record.sheet;
  Incoming in{record.log_index, s.station, s.source, record.corrects, false};
  return add_impl(
      in,
      [&]() -> Status {
        TL_ASSIGN_OR_RETURN(incoming_, CountVector::of(geo_->layout(), s, record.log_index));
        return ok();
      },
      propagate_now);
}

Status Tabulation::add_deferred(const index::CountRecord& record) {
  Incoming in{record.log_index, record.station, record.source, record.corrects, false};
  return add_impl(
      in,
      [&]() -> Status {
        if (!record.counts_error.empty()) return err(ErrorCode::kInvalidArgument, std::string(record.counts_error));
        return CountVector::decode(record.counts, width_, incoming_);
      },
      false);
}

Status Tabulation::add_impl(const Incoming& in, const std::function<Status()>& load_counts, bool propagate_now) {
  if (!rule_.matches(in.source)) return ok();  // nor is the sheet it corrects (same source)
  const AreaId id = find_table(in.station);
  if (id == kNoArea) {
    // Held by log index, so a correction of an unplaced sheet replaces it as in a table.
    if (in.corrects) unplaced_.erase(*in.corrects);
    unplaced_.insert(in.log_index);
    return ok();
  }
  const uint32_t t = id - table_begin_;
  for (uint32_t c = head_[t]; c != kNone; c = contribs_[c].next) {
    if (contribs_[c].log_index == in.log_index) return ok();  // already held
  }
  TL_TRY(load_counts());
  // A correction concerns its own table (the verdict rule allows nothing else).
  if (in.corrects) retract_impl(*in.corrects, t, propagate_now);

  int64_t* old_row = &scratch_[0];
  int64_t* new_row = &scratch_[stride_];
  if (propagate_now) row(t, old_row);
  uint32_t c;
  if (!free_.empty()) {
    c = free_.back();
    free_.pop_back();
  } else {
    c = static_cast<uint32_t>(contribs_.size());
    contribs_.emplace_back();
    counts_.resize(counts_.size() + width_);
  }
  uint32_t source = 0;
  while (source < sources_.size() && sources_[source] != in.source) ++source;
  if (source == sources_.size()) sources_.emplace_back(in.source);
  contribs_[c] = Contribution{in.log_index, head_[t], t, source, incoming_.has_cards(geo_->layout())};
  head_[t] = c;
  if (where_built_) where_[in.log_index] = c;
  std::copy(incoming_.values.begin(), incoming_.values.end(), &counts_[size_t(c) * width_]);
  select(t);
  if (propagate_now) {
    row(t, new_row);
    propagate(t, old_row, new_row);
  }
  return ok();
}

bool Tabulation::retract(uint64_t log_index) { return retract_impl(log_index, kNone, true); }

bool Tabulation::retract_impl(uint64_t log_index, uint32_t hint, bool propagate_now) {
  // A correction concerns its own table (the ingestor rejects anything else): look there first,
  // O(sheets of the table). The superseded sheet's station is not in the record, so anything
  // else goes through the lazily built log-index map.
  uint32_t found = kNone;
  if (hint != kNone) {
    for (uint32_t c = head_[hint]; c != kNone; c = contribs_[c].next) {
      if (contribs_[c].log_index == log_index) {
        found = c;
        break;
      }
    }
  }
  if (found == kNone) {
    if (!where_built_) {
      where_.reserve(contribs_.size());
      for (uint32_t c = 0; c < contribs_.size(); ++c) {
        if (contribs_[c].table != kNone) where_[contribs_[c].log_index] = c;
      }
      where_built_ = true;
    }
    auto it = where_.find(log_index);
    if (it == where_.end()) return false;
    found = it->second;
  }
  if (where_built_) where_.erase(log_index);
  const uint32_t t = contribs_[found].table;
  int64_t* old_row = &scratch_[0];
  int64_t* new_row = &scratch_[stride_];
  if (propagate_now) row(t, old_row);
  uint32_t* link = &head_[t];
  while (*link != found) link = &contribs_[*link].next;
  *link = contribs_[found].next;
  contribs_[found].table = kNone;
  contribs_[found].log_index = UINT64_MAX;
  free_.push_back(found);
  select(t);
  if (propagate_now) {
    row(t, new_row);
    propagate(t, old_row, new_row);
  }
  return true;
}

void Tabulation::recompute_totals() {
  std::fill(agg_.begin(), agg_.end(), 0);
  std::vector<int64_t> r(stride_);
  for (uint32_t t = 0; t < head_.size(); ++t) {
    if (rep_[t] == kNone) continue;
    row(t, r.data());
    int64_t* dst = &agg_[size_t(geo_->area(table_begin_ + t).parent) * stride_];
    for (size_t i = 0; i < stride_; ++i) dst[i] += r[i];
  }
  // Parents have smaller ids than children: one backward sweep adds each area into its parent.
  for (AreaId a = table_begin_; a-- > 1;) {
    const int64_t* src = &agg_[size_t(a) * stride_];
    int64_t* dst = &agg_[size_t(geo_->area(a).parent) * stride_];
    for (size_t i = 0; i < stride_; ++i) dst[i] += src[i];
  }
}

void Tabulation::totals(AreaId area, AreaTotals& out) const {
  const Geography& g = *geo_;
  out.area = area;
  thread_local std::vector<int64_t> buf;  // a table's row, decoded
  const int64_t* r;
  if (area >= table_begin_) {
    buf.resize(stride_);
    row(area - table_begin_, buf.data());
    r = buf.data();
  } else {
    r = &agg_[size_t(area) * stride_];
  }
  out.tables_reported = r[0];
  out.tables_conflicted = r[1];
  out.registered_covered = r[2];
  out.tables_with_cards = r[3];
  out.tables_registered_unknown = r[4];
  out.turnout_excluded = r[5];
  const int64_t* counts = r + kHeader;
  out.fields.assign(counts, counts + g.field_count());
  out.candidates.assign(counts + g.field_count(), counts + compared_);
  out.cards.assign(counts + compared_, counts + compared_ + g.card_count());
  out.reported.assign(g.field_count(), out.tables_reported);  // mandatory fields: every counted table
  for (const auto& [field, reported] : g.layout().optional_slots()) out.reported[field] = counts[reported];
}

TableStatus Tabulation::table_status(AreaId table) const {
  const uint32_t r = rep_[table - table_begin_];
  if (r == kNone) return TableStatus::kUnreported;
  return r == kConflict ? TableStatus::kConflicted : TableStatus::kCounted;
}

std::optional<uint64_t> Tabulation::table_log_index(AreaId table) const {
  const uint32_t r = rep_[table - table_begin_];
  if (r == kNone || r == kConflict) return std::nullopt;
  return contribs_[r].log_index;
}

std::span<const int32_t> Tabulation::table_counts(AreaId table) const {
  const uint32_t r = rep_[table - table_begin_];
  if (r == kNone || r == kConflict) return {};
  return {counts_of(r), width_};
}

std::string_view Tabulation::table_source(AreaId table) const {
  const uint32_t r = rep_[table - table_begin_];
  if (r == kNone || r == kConflict) return {};
  return sources_[contribs_[r].source];
}

std::vector<uint64_t> Tabulation::table_log_indexes(AreaId table) const {
  std::vector<uint64_t> out;
  for (uint32_t c = head_[table - table_begin_]; c != kNone; c = contribs_[c].next) out.push_back(contribs_[c].log_index);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace tallylog::tally
