// A strict RFC 4180 CSV reader over text held in memory (the caller maps or reads the file).
//
// Accepts LF, CRLF and lone-CR line endings, a leading UTF-8 byte-order mark (skipped), and
// quoted fields containing commas, doubled quotes and line breaks. Strict: a quote inside an
// unquoted field, text after a closing quote, a quote never closed, invalid UTF-8, a NUL byte, a
// field longer than CsvOptions::max_field_bytes or a record with too many fields makes that ONE
// record malformed (CsvRecord::error says why). After a malformed quote or too many fields the
// reader resumes at the physical line after the one the record started on, so a stray quote
// never swallows the rows below it: each of them is read (or reported) in turn.
// Completely empty lines are skipped. Line numbers are 1-based physical lines (the header is 1).
//
// Ownership: the reader borrows `text`, which must outlive it. Not thread-safe; one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tallylog::ingest {

struct CsvOptions {
  size_t max_field_bytes = 4096;
  size_t max_fields = 1024;
};

struct CsvRecord {
  uint64_t line = 0;                // physical line on which the record starts
  std::vector<std::string> fields;  // unquoted field values
  std::string error;                // non-empty: the record is malformed; fields are partial
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view text, CsvOptions options = {});

  // Reads the next record into `record` (reusing its storage). False at end of input.
  bool next(CsvRecord& record);

  // Bytes of `text` consumed so far (for progress reports).
  size_t position() const { return pos_; }

 private:
  size_t line_break_at(size_t pos) const;  // length of the line break at pos (0: none)
  void resume_after_line(size_t start, uint64_t line);

  std::string_view text_;
  CsvOptions options_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
};

}  // namespace tallylog::ingest
