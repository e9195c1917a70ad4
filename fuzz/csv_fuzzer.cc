// CSV as `tallylog import` and `tallylog stations import` read it: ingest::CsvReader, then every
// well-formed row through the bundled ve2024 mapping, the validator and the entry encoding.
//
// Properties, for every input:
// - the reader advances on every record and ends; no field is longer than max_field_bytes and
//   no record has more than max_fields fields (checked with the defaults and with tiny limits);
// - a record read without error, written back with append_csv_field, reads back the same;
// - a station or sheet the validator accepts encodes to an entry that decode_entry() gives back
//   unchanged (what the index reads is what the import logged).
#include <optional>
#include <vector>

#include "fuzz_support.h"
#include "tallylog/base/csv.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/validate.h"
#include "tallylog/ingest/csv.h"
#include "tallylog/ingest/mapping.h"

namespace tallylog::fuzz {
namespace {

using ingest::CsvOptions;
using ingest::CsvReader;
using ingest::CsvRecord;

void check_round_trip(const CsvRecord& rec, const CsvOptions& options) {
  // A lone empty field is written as an empty line, which the reader skips by design.
  if (rec.fields.size() == 1 && rec.fields[0].empty()) return;
  // Written after a byte-order mark, which the reader strips, so a field that itself starts
  // with one is not mistaken for it.
  std::string line = "\xEF\xBB\xBF";
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    if (i) line += ',';
    append_csv_field(line, rec.fields[i]);
  }
  line += "\r\n";
  CsvReader again(line, options);
  CsvRecord back;
  check(again.next(back), "a written record reads back", line);
  check(back.error.empty(), "a written record reads back without error", back.error);
  check(back.fields == rec.fields, "a written record reads back the same fields", line);
  check(!again.next(back), "a written record reads back as one record", line);
}

void read_all(std::string_view text, const CsvOptions& options) {
  CsvReader reader(text, options);
  CsvRecord rec;
  uint64_t last_line = 0;
  size_t last_pos = reader.position();
  size_t records = 0;
  while (reader.next(rec)) {
    check(reader.position() > last_pos, "the CSV reader advances on every record");
    check(reader.position() <= text.size(), "the CSV reader stays within the text");
    check(rec.line > last_line, "record line numbers increase");
    check(++records <= text.size(), "no more records than bytes");
    check(rec.fields.size() <= options.max_fields, "at most max_fields fields");
    for (const auto& f : rec.fields)
      check(f.size() <= options.max_field_bytes, "no field longer than max_field_bytes",
            "line " + std::to_string(rec.line) + ": a field of " + std::to_string(f.size()) + " bytes, limit " +
                std::to_string(options.max_field_bytes) + "; record error: " + rec.error);
    if (rec.error.empty()) check_round_trip(rec, options);
    last_line = rec.line;
    last_pos = reader.position();
  }
}

const election::Validator& validator() {
  static const election::Validator* v = [] {
    auto r = election::Validator::create(ve2024_election());
    if (!r) fail("ve2024 validator", r.error().to_string());
    return new election::Validator(std::move(*r));
  }();
  return *v;
}

void check_station_entry(const election::Station& s) {
  std::string bytes = election::encode_entry(s);
  auto back = election::decode_entry(bytes);
  check(back.has_value(), "a valid station's entry decodes", back ? "" : back.error().to_string() + "\n" + bytes);
  check(back->type == election::EntryType::kStation, "a station entry decodes as a station");
  check(election::encode_entry(std::get<election::Station>(back->record)) == bytes, "a station entry decodes unchanged");
}

void check_sheet_entry(const election::Sheet& s) {
  std::string bytes = election::encode_entry(s);
  auto back = election::decode_entry(bytes);
  check(back.has_value(), "a valid sheet's entry decodes", back ? "" : back.error().to_string() + "\n" + bytes);
  check(back->type == election::EntryType::kSheet, "a sheet entry decodes as a sheet");
  check(std::get<election::Sheet>(back->record) == s, "a sheet entry decodes unchanged", bytes);
}

// The rows through the ve2024 mapping, as `tallylog stations import` and `tallylog import` do.
void map_rows(std::string_view text) {
  const auto& e = ve2024_election();
  CsvReader reader(text);
  CsvRecord rec;
  std::optional<ingest::BoundMapping> stations, sheets;
  size_t rows = 0;
  while (reader.next(rec) && rows++ < 50) {
    if (!rec.error.empty()) continue;
    if (!stations && !sheets) {  // the first well-formed record is the header
      auto st = ingest::BoundMapping::bind_stations(ve2024_mapping(), rec.fields, e);
      auto sh = ingest::BoundMapping::bind_sheets(ve2024_mapping(), rec.fields, e);
      if (!st && !sh) return;
      if (st) stations = std::move(*st);
      if (sh) sheets = std::move(*sh);
      continue;
    }
    std::optional<election::Station> station;
    if (stations) {
      auto s = stations->station(rec.fields);
      if (s && !validator().validate_station(*s)) {
        check_station_entry(*s);
        station = std::move(*s);
      }
    }
    if (sheets) {
      auto s = sheets->sheet(rec.fields);
      if (!s) continue;
      s->source = "witness:fuzz";
      s->submitted_by = "import:fuzz.csv";
      s->submitted_at = "2024-07-29T00:00:00Z";
      if (!validator().validate_sheet(*s, station ? &*station : nullptr)) check_sheet_entry(*s);
    }
  }
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog::fuzz;
  std::string_view text = as_text(data, size);
  read_all(text, {});
  read_all(text, {.max_field_bytes = 16, .max_fields = 8});
  map_rows(text);
  return 0;
}
