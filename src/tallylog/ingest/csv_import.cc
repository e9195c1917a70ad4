#include "tallylog/ingest/csv_import.h"

#include <algorithm>
#include <future>

#include "tallylog/base/clock.h"
#include "tallylog/base/csv.h"
#include "tallylog/election/hierarchy.h"
#include "tallylog/election/validate.h"

namespace tallylog::ingest {
namespace {

std::string base_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

void count(ImportSummary& sum, const Outcome& o, uint64_t line) {
  sum.add(o);
  if (o.verdict == Verdict::kRejected) sum.rejects.push_back(RowReject{line, o.field, o.reason});
}

// Reads the header and runs `on_row` for each data row; malformed rows become rejects.
// Where rejects found before a record exists go: the ingestor's rejects store, or the sink's.
struct RejectStore {
  std::function<Status(std::span<const index::Reject>)> record;
};

template <typename Batch>
Result<ImportSummary> run_import(const RejectStore& ingestor, std::string_view text, std::string_view file_name,
                                 const ImportOptions& options, Batch& batch) {
  CsvReader reader(text, options.csv);
  CsvRecord rec;
  if (!reader.next(rec)) return err(ErrorCode::kInvalidArgument, std::string(file_name) + ": empty file, no header");
  if (!rec.error.empty())
    return err(ErrorCode::kInvalidArgument, std::string(file_name) + ":1: bad header: " + rec.error);
  // A column named twice would be read from its first occurrence only: refuse to guess.
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (rec.fields[i] == rec.fields[j]) {
        return err(ErrorCode::kInvalidArgument,
                   std::string(file_name) + ":1: bad header: column '" + printable_text(rec.fields[i]) +
                       "' appears twice (columns " + std::to_string(j + 1) + " and " + std::to_string(i + 1) +
                       ")");
      }
    }
  }
  TL_TRY(batch.bind(rec.fields));
  ImportSummary sum;
  std::vector<index::Reject> parse_rejects;
  const std::string now = format_rfc3339(Clock::real().now());
  const std::string label = base_name(file_name);
  auto flush = [&]() -> Status {
    if (!parse_rejects.empty()) {
      TL_TRY(ingestor.record(parse_rejects));
      parse_rejects.clear();
    }
    TL_TRY(batch.flush(sum));
    if (options.progress) options.progress(reader.position(), text.size());
    return {};
  };
  // A row rejected before it reaches the ingestor: reported to the caller and recorded in the index.
  auto reject_row = [&](uint64_t line, const std::string& field, const std::string& reason) {
    ++sum.rejected;
    sum.rejects.push_back(RowReject{line, field, reason});
    parse_rejects.push_back(index::Reject{options.source, label + ":" + std::to_string(line), field, reason, now});
  };
  while (reader.next(rec)) {
    ++sum.rows;
    if (!rec.error.empty()) {
      reject_row(rec.line, "row", rec.error);
      continue;
    }
    if constexpr (requires { batch.take(rec); }) {
      auto take = batch.take(rec);
      if (!take) {
        reject_row(rec.line, take.error().field, take.error().reason);
        continue;
      }
      if (!*take) {  // another contest's row
        --sum.rows;
        ++sum.other_contest_rows;
        continue;
      }
    }
    if (auto r = batch.add(rec, label); !r) {
      reject_row(rec.line, r.error().field, r.error().reason);
      continue;
    }
    if (batch.size() >= options.batch_size) TL_TRY(flush());
  }
  TL_TRY(flush());
  TL_TRY(batch.finish(sum));
  if (sum.rows == 0 && sum.other_contest_rows == 0) {
    // Loud, never "0 rows" and success: a file of only a header is almost always a wrong file,
    // an export cut short or line endings we could not see.
    return err(ErrorCode::kInvalidArgument, std::string(file_name) + ": no data rows after the header");
  }
  // Batches are checked while later rows are parsed, so rejects arrive out of order.
  std::stable_sort(sum.rejects.begin(), sum.rejects.end(),
                   [](const RowReject& a, const RowReject& b) { return a.line < b.line; });
  return sum;
}

struct StationBatch {
  Ingestor& ingestor;
  const Mapping& mapping;
  std::optional<BoundMapping> bound;
  std::vector<election::Station> stations;
  std::vector<uint64_t> lines;

  Status bind(std::span<const std::string> header) {
    TL_ASSIGN_OR_RETURN(auto b, BoundMapping::bind_stations(mapping, header, ingestor.election()));
    bound.emplace(std::move(b));
    return {};
  }
  std::expected<void, RowError> add(const CsvRecord& rec, const std::string&) {
    auto st = bound->station(rec.fields);
    if (!st) return std::unexpected(st.error());
    stations.push_back(std::move(*st));
    lines.push_back(rec.line);
    return {};
  }
  size_t size() const { return stations.size(); }
  Status flush(ImportSummary& sum) {
    if (stations.empty()) return {};
    TL_ASSIGN_OR_RETURN(auto outcomes, ingestor.add_stations(stations));
    for (size_t i = 0; i < outcomes.size(); ++i) count(sum, outcomes[i], lines[i]);
    stations.clear();
    lines.clear();
    return {};
  }
  Status finish(ImportSummary&) { return {}; }
};

struct SheetBatch {
  SheetSink& sink;
  const Mapping& mapping;
  const ImportOptions& options;
  std::string submitted_by;
  std::optional<BoundMapping> bound;
  std::vector<election::Sheet> sheets;
  std::vector<std::string> origins;
  std::vector<uint64_t> lines;

  Status bind(std::span<const std::string> header) {
    TL_ASSIGN_OR_RETURN(auto b, BoundMapping::bind_sheets(mapping, header, sink.election()));
    bound.emplace(std::move(b));
    reserve();
    return {};
  }
  // Whether the row is a sheet of the sink's contest (always, for a mapping without [sheet]
  // contest); an error for a row naming no contest of the election (ImportOptions).
  std::expected<bool, RowError> take(const CsvRecord& rec) const {
    if (!bound->has_contest()) return true;
    auto c = bound->contest(rec.fields);
    if (!c && options.leave_unknown_contests) return false;  // an earlier pass rejected it
    if (!c) return std::unexpected(c.error());
    if (*c == sink.election().contest) return true;
    const auto& others = options.other_contests;
    if (options.leave_unknown_contests || std::find(others.begin(), others.end(), *c) != others.end()) return false;
    std::string known = sink.election().contest;
    for (const auto& o : others) known += ", " + o;
    return std::unexpected(RowError{"contest", "\"" + printable_text(*c) + "\" is not a contest of election '" +
                                                   sink.election().id + "' (" + known + ")"});
  }
  std::expected<void, RowError> add(const CsvRecord& rec, const std::string& label) {
    auto sh = bound->sheet(rec.fields);
    if (!sh) return std::unexpected(sh.error());
    sh->source = options.source;
    sh->submitted_by = submitted_by;
    sheets.push_back(std::move(*sh));
    origins.push_back(label + ":" + std::to_string(rec.line));
    lines.push_back(rec.line);
    return {};
  }
  size_t size() const { return sheets.size(); }
  // A batch is filled to options.batch_size: no reallocation (and move of every sheet) per row.
  void reserve() {
    const size_t n = std::min<size_t>(options.batch_size, 1 << 20);
    sheets.reserve(n);
    origins.reserve(n);
    lines.reserve(n);
  }

  // The batch being submitted on another thread while the next one is parsed.
  struct InFlight {
    std::vector<election::Sheet> sheets;
    std::vector<std::string> origins;
    std::vector<uint64_t> lines;
    std::vector<Outcome> outcomes;
  } in_flight;
  std::future<Status> submitting;  // declared last: destroyed (joined) first

  Status join(ImportSummary& sum) {
    if (!submitting.valid()) return {};
    TL_TRY(submitting.get());
    for (size_t i = 0; i < in_flight.outcomes.size(); ++i) count(sum, in_flight.outcomes[i], in_flight.lines[i]);
    return {};
  }
  Status flush(ImportSummary& sum) {
    TL_TRY(join(sum));
    if (sheets.empty()) return {};
    in_flight.sheets.swap(sheets);
    in_flight.origins.swap(origins);
    in_flight.lines.swap(lines);
    sheets.clear();
    origins.clear();
    lines.clear();
    reserve();
    in_flight.outcomes.clear();
    submitting = std::async(std::launch::async, [this]() -> Status {
      // Deferred: the index commit of this batch overlaps the checks and log append of the next.
      TL_ASSIGN_OR_RETURN(in_flight.outcomes,
                          sink.submit_batch_deferred(std::move(in_flight.sheets), in_flight.origins));
      in_flight.sheets.clear();
      return {};
    });
    return {};
  }
  Status finish(ImportSummary& sum) {
    TL_TRY(join(sum));
    return sink.sync();
  }
};

// The registry must stay a tree (election/hierarchy.h): a first pass over the whole file checks
// every station the import would log against the registry and each other, before anything is
// logged. Rows that will be rejected anyway (mapping errors, invalid stations) are left out.
Status check_hierarchy(Ingestor& ingestor, std::string_view text, std::string_view file_name, const Mapping& mapping,
                       const ImportOptions& options) {
  const election::Election& e = ingestor.election();
  TL_ASSIGN_OR_RETURN(auto validator, election::Validator::create(e));
  election::AreaHierarchy tree(e);
  std::optional<std::string> conflict;
  TL_TRY(ingestor.index().for_each_station([&](const election::Station& s) {
    if (!conflict) conflict = tree.add(s, "the registry");
  }));
  if (conflict)
    return err(ErrorCode::kFailedPrecondition, "the registry already logged is not a tree: " + *conflict);
  CsvReader reader(text, options.csv);
  CsvRecord rec;
  if (!reader.next(rec) || !rec.error.empty()) return ok();  // run_import reports it
  auto bound = BoundMapping::bind_stations(mapping, rec.fields, e);
  if (!bound) return ok();
  const std::string label = std::string(file_name);
  while (reader.next(rec)) {
    if (!rec.error.empty()) continue;
    auto st = bound->station(rec.fields);
    if (!st || validator.validate_station(*st)) continue;
    if (auto c = tree.add(*st, label + ":" + std::to_string(rec.line)))
      return err(ErrorCode::kInvalidArgument,
                 "stations import stopped before logging anything: " + *c +
                     ". Each area code must name one area under one parent; compose codes from the parent's "
                     "(e.g. \"{STATE:02}{MUNI:02}\") in the mapping");
  }
  return ok();
}

class IngestorSink final : public SheetSink {
 public:
  explicit IngestorSink(Ingestor& ingestor) : ing_(ingestor) {}
  const election::Election& election() const override { return ing_.election(); }
  Result<std::vector<Outcome>> submit_batch(std::span<election::Sheet> sheets,
                                            std::span<const std::string> origins) override {
    return ing_.submit_batch(sheets, origins);
  }
  Result<std::vector<Outcome>> submit_batch_deferred(std::vector<election::Sheet> sheets,
                                                     std::span<const std::string> origins) override {
    return ing_.submit_batch_deferred(std::move(sheets), origins);
  }
  Status sync() override { return ing_.sync_index(); }
  Status record_rejects(std::span<const index::Reject> rejects) override { return ing_.record_rejects(rejects); }

 private:
  Ingestor& ing_;
};

}  // namespace

std::unique_ptr<SheetSink> ingestor_sink(Ingestor& ingestor) { return std::make_unique<IngestorSink>(ingestor); }

Result<ImportSummary> import_stations_csv(Ingestor& ingestor, std::string_view csv_text, std::string_view file_name,
                                          const Mapping& mapping, const ImportOptions& options) {
  TL_TRY(check_hierarchy(ingestor, csv_text, base_name(file_name), mapping, options));
  StationBatch batch{ingestor, mapping, {}, {}, {}};
  RejectStore store{[&](std::span<const index::Reject> r) { return ingestor.record_rejects(r); }};
  return run_import(store, csv_text, file_name, options, batch);
}

Result<ImportSummary> import_sheets_csv(Ingestor& ingestor, std::string_view csv_text, std::string_view file_name,
                                        const Mapping& mapping, const ImportOptions& options) {
  auto sink = ingestor_sink(ingestor);
  return import_sheets_csv(*sink, csv_text, file_name, mapping, options);
}

Result<ImportSummary> import_sheets_csv(SheetSink& sink, std::string_view csv_text, std::string_view file_name,
                                        const Mapping& mapping, const ImportOptions& options) {
  if (options.source.empty()) return err(ErrorCode::kInvalidArgument, "import: --source is required");
  {
    // Every row would be refused for it: say so once, before the first row.
    const auto& accepted = sink.election().sources;
    if (std::none_of(accepted.begin(), accepted.end(),
                     [&](const std::string& p) { return election::source_matches(p, options.source); })) {
      std::string list;
      for (const auto& p : accepted) list += (list.empty() ? "" : ", ") + p;
      return err(ErrorCode::kInvalidArgument, "import: source \"" + options.source + "\" is not accepted by election '" +
                                                  sink.election().id + "' (it accepts " + list + ")");
    }
  }
  SheetBatch batch{sink, mapping, options, options.submitted_by, {}, {}, {}, {}, {}, {}};
  if (batch.submitted_by.empty()) batch.submitted_by = "import:" + base_name(file_name);
  RejectStore store{[&](std::span<const index::Reject> r) { return sink.record_rejects(r); }};
  return run_import(store, csv_text, file_name, options, batch);
}

Status write_rejects_csv(Env& env, const std::string& path, const std::vector<RowReject>& rejects) {
  std::string out = "line,field,reason\n";
  for (const auto& r : rejects) {
    out += std::to_string(r.line);
    out.push_back(',');
    append_csv_text_field(out, r.field);  // control characters escaped: see base/csv.h
    out.push_back(',');
    append_csv_text_field(out, r.reason);
    out.push_back('\n');
  }
  return env.write_file_atomic(path, out, Durability::kNoSync);
}

}  // namespace tallylog::ingest
