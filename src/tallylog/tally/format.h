// The one place tally results become text, shared by the CLI and the HTTP server so both print
// byte-identical JSON. Shapes are specified in docs/formats/tally-json.md. JSON objects keep
// definition order (fields, then candidates in ballot order); numbers are exact integers except
// the ratios `coverage` and `turnout` (rounded to 6 decimals, null when undefined).
//
// Pure functions; the exporter is a small stateful writer (one per output stream, not
// thread-safe) so millions of rows can be streamed without holding them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tallylog/index/reader.h"
#include "tallylog/tally/bound.h"
#include "tallylog/tally/compare.h"
#include "tallylog/tally/tabulation.h"
#include "tallylog/tally/tally_view.h"

namespace tallylog::tally {

// Every area at `depth` (0 national) plus the national total. `log_size`, when given, is the
// log size the figures reflect (entries [0, log_size) of the log; issue 9): the JSON then says
// so in "log_size", after "source", so anyone can re-derive them at exactly that size.
std::string tally_to_json(const TallyView& tab, int depth, std::optional<uint64_t> log_size = std::nullopt);
// The same bytes appended to `out`, using the room it already has (a server reuses the storage
// of large bodies it sent: http/tally_cache.h BodyPool).
void tally_to_json(std::string& out, const TallyView& tab, int depth, std::optional<uint64_t> log_size);
// The room the JSON answers reserve for themselves (a little more than they usually write), for
// a caller that provides the string.
size_t tally_json_size_hint(const Geography& g, int depth);
size_t compare_json_size_hint(std::string_view head, size_t areas);
// The same bytes as the string-returning form, handed to `sink` in pieces of about `piece_bytes`
// (each piece ends after a whole area or listed table) as they are written, so an answer of hundreds of megabytes is never held whole (the audit compares
// them as they arrive). The pieces are valid only during the call. Returns the number of JSON
// numbers written (the figures the audit counts, audit/json_diff.h count_figures()).
using TextSink = std::function<void(std::string_view piece)>;
uint64_t tally_to_json(const TallyView& tab, int depth, std::optional<uint64_t> log_size, const TextSink& sink,
                       size_t piece_bytes = size_t{1} << 20);
// One area's totals as they appear in tally_to_json's "areas" (for drill-down answers).
std::string area_to_json(const TallyView& tab, AreaId area);
std::string tally_to_csv(const TallyView& tab, int depth);
// For people: aligned columns, thousands separators, percentages.
std::string tally_to_text(const TallyView& tab, int depth);

std::string compare_to_json(const Comparison& c, const Geography& g, std::optional<uint64_t> log_size = std::nullopt);
void compare_to_json(const Comparison& c, const Geography& g, std::optional<uint64_t> log_size, const TextSink& sink,
                     size_t piece_bytes = size_t{1} << 20);
// compare_to_json() in two parts, for a pair answered at several levels (tally/compare.h
// PairComparison): the head holds what is the same at every level (sources, log size, counts,
// differing tables, the table lists), written once; then per level the head followed by the level
// and its per-area summaries. compare_to_json(head, c.summary_depth, c.areas, g) with
// head = compare_head_json(c, log_size) gives exactly compare_to_json(c, g, log_size).
// `numbers`, when given, receives the number of JSON numbers in the head; the streamed form
// returns the number it wrote after the head (the whole answer's count is their sum).
std::string compare_head_json(const Comparison& tables, std::optional<uint64_t> log_size,
                              uint64_t* numbers = nullptr);
std::string compare_to_json(std::string_view head, int summary_depth, const std::vector<AreaComparison>& areas,
                            const Geography& g);
// The same bytes appended to `out`, using the room it already has.
void compare_to_json(std::string& out, std::string_view head, int summary_depth,
                     const std::vector<AreaComparison>& areas, const Geography& g);
uint64_t compare_to_json(std::string_view head, int summary_depth, const std::vector<AreaComparison>& areas,
                         const Geography& g, const TextSink& sink, size_t piece_bytes = size_t{1} << 20);
std::string compare_to_text(const Comparison& c, const Geography& g);

std::string bound_to_json(const OutcomeBound& b, const Geography& g, std::optional<uint64_t> log_size = std::nullopt);
std::string bound_to_text(const OutcomeBound& b, const Geography& g);
// A local race's bounds, one per area of its decided level (tally/bound.h AreaBound):
// {"decided_at": level, "source", "log_size"?, "areas": [{"code", "name", "bound": bound_to_json}]}.
std::string bounds_to_json(const std::vector<AreaBound>& bounds, const Geography& g,
                           std::optional<uint64_t> log_size = std::nullopt);
std::string bounds_to_text(const std::vector<AreaBound>& bounds, const Geography& g);

// 1234567 -> "1,234,567"; -5 -> "-5".
std::string with_thousands(int64_t n);

enum class ExportFormat { kCsv, kJson };

// One row per logged sheet (table and source) with its log index, so anyone can re-add the
// numbers in a spreadsheet. Usage: out << begin(); for each record: out << row(r); out << end().
class SheetExporter {
 public:
  SheetExporter(const Geography& g, ExportFormat format) : g_(g), format_(format) {}
  std::string begin();
  std::string row(const index::SheetRecord& record);
  std::string end();

 private:
  const Geography& g_;
  ExportFormat format_;
  uint64_t rows_ = 0;
};

}  // namespace tallylog::tally
