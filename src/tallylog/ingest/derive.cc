#include "tallylog/ingest/derive.h"

#include <algorithm>

#include "tallylog/election/contest.h"
#include "tallylog/election/entry.h"
#include "tallylog/index/open.h"

namespace tallylog::ingest {

using index::kNoAreaId;

namespace {
// The election's turnout figure, for what tables with unknown registered voters leave out of
// turnout (tally/table_row.h); none when the figures do not compile (then nothing is left out).
std::optional<tally::Figure> turnout_figure(const election::Election& e) {
  auto fs = tally::FigureSet::compile(e);
  if (!fs) return std::nullopt;
  return fs->turnout();
}
}  // namespace

std::string sheet_content_digest(const election::Sheet& sheet, std::string_view identity_digest) {
  if (!sheet.supersedes) return std::string(identity_digest);
  election::Sheet copy = sheet;
  copy.supersedes.reset();
  return election::sheet_identity_digest(copy);
}

struct Deriver::Areas {
  std::vector<index::AreaRow> rows;                                // by id
  std::vector<std::unordered_map<std::string, uint32_t>> by_code;  // per depth
  std::vector<uint8_t> dirty_flag;
  std::vector<uint32_t> dirty;

  void touch(uint32_t id) {
    if (dirty_flag.size() <= id) dirty_flag.resize(id + 1, 0);
    if (!dirty_flag[id]) {
      dirty_flag[id] = 1;
      dirty.push_back(id);
    }
  }
  uint32_t add(index::AreaRow row) {
    row.id = static_cast<uint32_t>(rows.size());
    if (by_code.size() <= static_cast<size_t>(row.depth)) by_code.resize(row.depth + 1);
    by_code[row.depth].emplace(row.code, row.id);
    rows.push_back(std::move(row));
    touch(rows.back().id);
    return rows.back().id;
  }
  std::optional<uint32_t> find(int depth, const std::string& code) const {
    if (by_code.size() <= static_cast<size_t>(depth)) return std::nullopt;
    auto it = by_code[depth].find(code);
    if (it == by_code[depth].end()) return std::nullopt;
    return it->second;
  }
};

Deriver::Deriver(std::string contest) : contest_(std::move(contest)), areas_(std::make_unique<Areas>()) {}
Deriver::~Deriver() = default;

uint32_t Deriver::parent_of(uint32_t area) const { return areas_->rows[area].parent; }

void Deriver::not_exact(std::string why) {
  if (!why_not_exact_.empty()) return;
  why_not_exact_ = std::move(why);
  state_dirty_ = true;
}

Result<std::unique_ptr<Deriver>> Deriver::load(index::IndexReader& reader, std::string contest) {
  auto d = std::make_unique<Deriver>(std::move(contest));
  TL_ASSIGN_OR_RETURN(uint64_t size, reader.indexed_size());
  if (size > 0) {
    auto e = reader.election();
    if (e) {
      d->election_ = std::move(*e);
      d->layout_ = tally::CountLayout(*d->election_);
      d->rules_ = tally::MaterialisedRules::for_election(*d->election_);
    }
  }
  TL_ASSIGN_OR_RETURN(d->why_not_exact_, reader.aggregates_state());
  TL_ASSIGN_OR_RETURN(auto rules, reader.rules());
  for (uint32_t i = 0; i < rules.size(); ++i) {
    auto r = tally::SourceRule::parse(rules[i]);
    if (!r) return err(ErrorCode::kCorrupt, "index: stored rule \"" + rules[i] + "\": " + r.error().message);
    d->rules_.restore(i, *r);
  }
  d->rules_stored_ = rules.size();
  TL_TRY(reader.for_each_area(INT32_MAX, [&](const index::AreaRow& a) {
    Areas& ar = *d->areas_;
    if (ar.by_code.size() <= static_cast<size_t>(a.depth)) ar.by_code.resize(a.depth + 1);
    ar.by_code[a.depth].emplace(a.code, a.id);
    if (ar.rows.size() <= a.id) ar.rows.resize(a.id + 1);
    ar.rows[a.id] = a;
  }));
  TL_ASSIGN_OR_RETURN(uint64_t stations, reader.station_count());
  d->ledger_.reserve(stations + stations / 8, stations + stations / 4);
  TL_TRY(reader.for_each_table([&](const index::TableRow& t) {
    auto id = d->ledger_.intern_station(t.code);
    d->ledger_.set_registered(id, t.registered);
    d->ledger_.set_tag(id, t.parent);
  }));
  TL_TRY(reader.for_each_sheet_summary([&](const index::SheetSummary& s) {
    index::LoggedSheet l;
    l.log_index = s.log_index;
    l.source = d->ledger_.intern_source(s.source);
    l.superseded = s.superseded;
    l.conflicted = s.conflicted;
    l.identity = index::to_digest(s.identity);
    l.content = index::to_digest(s.content);
    d->ledger_.load_sheet(d->ledger_.intern_station(s.station), l);
  }));
  if (d->election_) {
    d->aggregator_ = std::make_unique<tally::AreaAggregator>(d->layout_.width(), d->layout_.compared(),
                                                             [p = d.get()](uint32_t a) { return p->parent_of(a); },
                                                             d->layout_.optional_slots(), turnout_figure(*d->election_));
  }
  return d;
}

index::SheetFacts Deriver::facts(const election::Sheet& sheet, std::string_view identity_digest) {
  index::SheetFacts f;
  f.source = ledger_.intern_source(sheet.source);
  f.identity = index::to_digest(identity_digest);
  f.content = sheet.supersedes ? index::to_digest(sheet_content_digest(sheet, identity_digest)) : f.identity;
  f.supersedes = sheet.supersedes;
  return f;
}

index::SheetDecision Deriver::decide(index::SheetLedger::StationId station, const index::SheetFacts& facts,
                                     std::string_view source) const {
  return ledger_.decide(station, facts, source);
}

AcceptedSheet Deriver::accept(index::SheetLedger::StationId station, uint64_t log_index, const index::SheetFacts& facts,
                              index::SheetDecision decision) {
  AcceptedSheet a;
  a.log_index = log_index;
  a.identity = facts.identity;
  a.content = facts.content;
  a.had_current = ledger_.has_current_sheet(station);
  a.parent = ledger_.is_registered(station) ? ledger_.tag(station) : kNoAreaId;
  a.registered = ledger_.registered_voters(station);
  ledger_.apply(station, log_index, facts, decision);
  a.decision = std::move(decision);
  return a;
}

std::string Deriver::area_of(index::SheetLedger::StationId station, int depth) const {
  if (!ledger_.is_registered(station)) return {};
  uint32_t at = ledger_.tag(station);
  while (at != kNoAreaId && at < areas_->rows.size()) {
    const index::AreaRow& row = areas_->rows[at];
    if (row.depth == depth) return row.code;
    if (row.depth < depth) break;
    at = row.parent;
  }
  return {};
}

uint32_t Deriver::accept_station(const election::Station& st) {
  const auto id = ledger_.intern_station(st.code);
  if (ledger_.is_registered(id)) {
    not_exact("station " + st.code + " is registered twice in the log");
  } else if (!ledger_.sheets_of(id).empty()) {
    not_exact("station " + st.code + " is registered after sheets for it");
  }
  ledger_.set_registered(id, st.registered);
  uint32_t parent = kNoAreaId;
  const size_t levels = election_ ? election_->levels.size() : 0;
  Areas& ar = *areas_;
  if (!election_ || ar.rows.empty()) {
    not_exact("station " + st.code + " is logged before the election");
  } else if (st.areas.size() != levels || st.areas.empty() || st.areas.back().code != st.code) {
    not_exact("station " + st.code + " does not have one area per level ending with its own code");
  } else {
    parent = 0;
    for (size_t l = 0; l + 1 < levels; ++l) {
      const int depth = static_cast<int>(l + 1);
      const election::AreaRef& ref = st.areas[l];
      if (ref.code.empty()) {
        not_exact("station " + st.code + ": empty area code at level " + election_->levels[l].code);
        parent = kNoAreaId;
        break;
      }
      auto found = ar.find(depth, ref.code);
      uint32_t id_at;
      if (!found) {
        index::AreaRow row;
        row.depth = depth;
        row.code = ref.code;
        row.name = ref.name;
        row.parent = parent;
        row.name_from = st.code;
        id_at = ar.add(std::move(row));
      } else {
        id_at = *found;
        index::AreaRow& row = ar.rows[id_at];
        if (row.parent != parent) {
          not_exact("area " + ref.code + " at level " + election_->levels[l].code + " has two parents");
        } else if (st.code < row.name_from) {
          // An area is named by its first station in code order, as a tally over the registry does.
          row.name = ref.name;
          row.name_from = st.code;
          ar.touch(id_at);
        }
      }
      parent = id_at;
    }
  }
  ledger_.set_tag(id, parent);
  if (parent != kNoAreaId) {
    for (uint32_t a = parent; a != kNoAreaId; a = ar.rows[a].parent) {
      ar.rows[a].tables_registered += 1;
      if (st.registered) {
        ar.rows[a].registered_voters += *st.registered;
      } else {
        ar.rows[a].tables_registered_unknown += 1;
      }
      ar.touch(a);
    }
  }
  return parent;
}

Status Deriver::write_station(index::IndexTransaction& tx, const election::Station& station, uint32_t parent) {
  index::StationRow row;
  row.station = station;
  row.log_index = tx.next_index();
  row.parent = parent;
  return tx.station(row);
}

Status Deriver::write_election(index::IndexTransaction& tx, const election::Election& full, std::string_view entry) {
  if (election_) return tx.election(full, entry);  // the first election entry is the election
  // The index holds its contest's single-contest view (its own canonical bytes), so readers
  // need not know about contests; a single-contest election is stored as logged.
  TL_ASSIGN_OR_RETURN(election::Election e, election::contest_election(full, contest_));
  if (full.contests.empty()) {
    TL_TRY(tx.election(e, entry));
  } else {
    TL_TRY(tx.election(e, election::encode_entry(e)));
  }
  election_ = e;
  layout_ = tally::CountLayout(e);
  rules_ = tally::MaterialisedRules::for_election(e);
  if (area_totals_) {
    aggregator_ = std::make_unique<tally::AreaAggregator>(layout_.width(), layout_.compared(),
                                                          [this](uint32_t a) { return parent_of(a); },
                                                          layout_.optional_slots(), turnout_figure(e));
  }
  if (areas_->rows.empty()) {
    index::AreaRow national;
    national.depth = 0;
    national.name = "national";
    national.parent = kNoAreaId;
    areas_->add(std::move(national));
  }
  return ok();
}

Status Deriver::write_sheet(index::IndexTransaction& tx, const election::Sheet& sheet, const AcceptedSheet& a,
                            std::string_view entry) {
  std::string counts, counts_error;
  std::optional<tally::CountVector> vector;
  if (!election_) {
    counts_error = "sheet at log index " + std::to_string(a.log_index) + " (" + sheet.station +
                   "): logged before the election";
  } else if (auto c = tally::CountVector::of(layout_, sheet, a.log_index); c) {
    counts = c->encode();
    vector = std::move(*c);
  } else {
    counts_error = c.error().message;
  }
  if (!counts_error.empty()) not_exact(counts_error);
  // The table's current sheets before this one, read before it is stored.
  std::vector<tally::SourcedSheet>& before = before_;
  std::vector<tally::SourcedSheet>& after = after_;
  std::vector<std::string>& before_sources = before_sources_;
  before.clear();
  after.clear();
  before_sources.clear();
  if (why_not_exact_.empty() && aggregator_) {
    size_t n = 0;
    if (a.had_current) {
      Status bad = ok();
      TL_TRY(tx.for_each_current_count(sheet.station, [&](const index::CountRecord& r) {
        if (!bad) return;
        if (!r.counts_error.empty()) {
          bad = err(ErrorCode::kCorrupt, std::string(r.counts_error));
          return;
        }
        if (table_counts_.size() <= n) table_counts_.resize(n + 1);
        bad = tally::CountVector::decode(r.counts, layout_.width(), table_counts_[n]);
        before_sources.emplace_back(r.source);
        before.push_back({{}, {r.log_index, nullptr, false}});
        ++n;
      }));
      TL_TRY(bad);
    }
    for (size_t i = 0; i < before.size(); ++i) {
      before[i].source = before_sources[i];
      before[i].sheet.counts = table_counts_[i].values.data();
      before[i].sheet.has_cards = table_counts_[i].has_cards(layout_);
      if (!(a.decision.corrects && before[i].sheet.log_index == *a.decision.corrects)) after.push_back(before[i]);
    }
    after.push_back({sheet.source, {a.log_index, vector->values.data(), vector->has_cards(layout_)}});
    bool added = false;
    rules_.exact(sheet.source, added);
    const std::string_view changed[] = {sheet.source};
    aggregator_->table_changed(rules_, a.parent, a.registered, before, after, changed);
  }
  index::SheetRow row;
  row.log_index = a.log_index;
  row.station = sheet.station;
  row.source = sheet.source;
  row.identity = index::digest_bytes(a.identity);
  row.content = index::digest_bytes(a.content);
  row.supersedes = sheet.supersedes;
  row.corrects = a.decision.corrects;
  row.conflicted = a.decision.conflicted;
  row.counts = counts;
  row.counts_error = counts_error;
  row.entry = entry;
  TL_TRY(tx.sheet(row));
  for (const index::StandingChange& c : a.decision.changes) {
    TL_TRY(tx.set_standing(c.log_index, c.superseded ? std::optional<uint64_t>(a.log_index) : std::nullopt,
                           c.conflicted));
  }
  return ok();
}

Status Deriver::finish(index::IndexTransaction& tx) {
  Areas& ar = *areas_;
  for (uint32_t id : ar.dirty) {
    TL_TRY(tx.put_area(ar.rows[id]));
    ar.dirty_flag[id] = 0;
  }
  ar.dirty.clear();
  for (; rules_stored_ < rules_.size(); ++rules_stored_) {
    TL_TRY(tx.put_rule(static_cast<uint32_t>(rules_stored_), rules_.rule(static_cast<uint32_t>(rules_stored_)).to_string()));
  }
  if (aggregator_ && why_not_exact_.empty()) {
    Status failed = ok();
    aggregator_->take_deltas([&](uint32_t rule, uint32_t area, std::span<const int64_t> delta) {
      if (failed) failed = tx.add_area_totals(rule, ar.rows[area].depth, area, delta);
    });
    TL_TRY(failed);
  } else if (aggregator_) {
    aggregator_->clear();
  }
  if (state_dirty_) {
    TL_TRY(tx.set_aggregates_state(why_not_exact_));
    state_dirty_ = false;
  }
  return ok();
}

Status Deriver::write_declaration(index::IndexTransaction& tx, const election::Declaration& declaration,
                                  std::string_view entry) {
  // A declaration is a record of its own: it changes no sheet's standing, area or total. Like a
  // sheet, it belongs to the index of its contest only (an unnamed one: the single contest's).
  if (declaration.contest != contest_) return tx.skip("a declaration of contest \"" + declaration.contest + "\"");
  return tx.declaration(declaration, entry);
}

Status Deriver::skip_sheet(index::IndexTransaction& tx, const election::Sheet& sheet) {
  return tx.skip("a sheet of contest \"" + sheet.contest + "\"");
}

Status Deriver::apply_entry(index::IndexTransaction& tx, std::string_view entry) {
  if (!election::is_record_entry(entry)) return tx.skip("not a record entry");
  auto e = election::decode_entry(entry);
  if (!e) return tx.skip(e.error().to_string());
  switch (e->type) {
    case election::EntryType::kElection:
      return write_election(tx, std::get<election::Election>(e->record), entry);
    case election::EntryType::kStation: {
      const auto& st = std::get<election::Station>(e->record);
      return write_station(tx, st, accept_station(st));
    }
    case election::EntryType::kSheet: {
      const auto& sheet = std::get<election::Sheet>(e->record);
      if (sheet.contest != contest_) return skip_sheet(tx, sheet);
      const index::SheetFacts f = facts(sheet, election::sheet_identity_digest(sheet));
      const auto station = ledger_.intern_station(sheet.station);
      const uint64_t at = tx.next_index();
      AcceptedSheet a = accept(station, at, f, ledger_.decide_logged(station, f));
      return write_sheet(tx, sheet, a, entry);
    }
    case election::EntryType::kDeclaration:
      return write_declaration(tx, std::get<election::Declaration>(e->record), entry);
    case election::EntryType::kDevice:
      // Device enrolments live in the log only: the ingestor and verify replay them
      // (election/device.h); the index keeps no table of them.
      return tx.skip("a device record");
  }
  return tx.skip("unknown entry type");
}

Status catch_up(index::Index& idx, Deriver& deriver, const log::LogReader& log, uint64_t end,
                const std::function<void(uint64_t, uint64_t)>& progress, uint64_t chunk) {
  if (end == UINT64_MAX) end = log.size();
  TL_ASSIGN_OR_RETURN(const uint64_t start, idx.indexed_size());
  if (start > end) {
    return err(ErrorCode::kFailedPrecondition, "the index holds " + std::to_string(start) +
                                                   " entries but the log only " + std::to_string(end) +
                                                   "; rebuild it with `tallylog reindex`");
  }
  uint64_t at = start;
  while (at < end) {
    const uint64_t to = std::min(end, at + chunk);
    TL_ASSIGN_OR_RETURN(auto tx, idx.begin());
    TL_TRY(log.for_each_entry(at, to, [&](uint64_t, std::string_view entry) { return deriver.apply_entry(*tx, entry); }));
    TL_TRY(deriver.finish(*tx));
    TL_TRY(tx->commit());
    at = to;
    if (progress) progress(at - start, end - start);
  }
  return ok();
}

Result<std::unique_ptr<index::Index>> rebuild_index(std::string_view url, const log::LogReader& log,
                                                    const std::function<void(uint64_t, uint64_t)>& progress,
                                                    const std::string& contest) {
  TL_TRY(index::remove_index(url));
  TL_ASSIGN_OR_RETURN(auto idx, index::open_index(url));
  Deriver deriver(contest);
  TL_TRY(catch_up(*idx, deriver, log, UINT64_MAX, progress));
  return idx;
}

}  // namespace tallylog::ingest
