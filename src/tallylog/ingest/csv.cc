#include "tallylog/ingest/csv.h"

#include <algorithm>

#include <string>

#include "tallylog/base/bytes.h"

namespace tallylog::ingest {

CsvReader::CsvReader(std::string_view text, CsvOptions options) : text_(text), options_(options) {
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
}

// A physical line ends at LF, CRLF or a lone CR (old Mac files); each counts as one line.
size_t CsvReader::line_break_at(size_t pos) const {
  if (pos >= text_.size()) return 0;
  if (text_[pos] == '\n') return 1;
  if (text_[pos] == '\r') return pos + 1 < text_.size() && text_[pos + 1] == '\n' ? 2 : 1;
  return 0;
}

void CsvReader::resume_after_line(size_t start, uint64_t line) {
  pos_ = start;
  while (pos_ < text_.size() && line_break_at(pos_) == 0) ++pos_;
  pos_ += line_break_at(pos_);
  line_ = line + 1;
}

bool CsvReader::next(CsvRecord& rec) {
  const size_t n = text_.size();
  // Skip empty lines.
  while (size_t br = line_break_at(pos_)) {
    pos_ += br;
    ++line_;
  }
  if (pos_ >= n) return false;

  rec.line = line_;
  rec.error.clear();
  const size_t record_start = pos_;
  size_t nfields = 0;
  auto field_slot = [&]() -> std::string& {
    if (nfields < rec.fields.size()) {
      rec.fields[nfields].clear();
    } else {
      rec.fields.emplace_back();
    }
    return rec.fields[nfields++];
  };
  // A malformed record ends with the physical line it started on: the next line is read as a
  // record of its own, so one stray quote never swallows the rows after it.
  auto fail_record = [&](std::string message) {
    rec.error = std::move(message);
    rec.fields.resize(nfields);
    // Every path cuts fields to the limit, a failed record's too (the field being read when the
    // error struck may not have been cut yet).
    for (auto& field : rec.fields) {
      if (field.size() > options_.max_field_bytes) field.resize(options_.max_field_bytes);
    }
    resume_after_line(record_start, rec.line);
    return true;
  };

  while (true) {
    if (nfields >= options_.max_fields) {
      return fail_record("more than " + std::to_string(options_.max_fields) + " fields");
    }
    std::string& f = field_slot();
    const size_t field_index = nfields;  // 1-based in messages
    bool end_of_record = false;
    if (pos_ < n && text_[pos_] == '"') {
      // Quoted field.
      ++pos_;
      bool closed = false;
      while (pos_ < n) {
        size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos) q = n;
        for (size_t i = pos_; i < q; ++i) {
          if (text_[i] == '\n' || (text_[i] == '\r' && (i + 1 >= n || text_[i + 1] != '\n'))) ++line_;
        }
        // Keep at most one byte past the limit (enough for the check below to reject the
        // field): an unclosed quote would otherwise copy the whole rest of the input.
        const size_t room = options_.max_field_bytes + 1 - std::min(f.size(), options_.max_field_bytes + 1);
        f.append(text_.substr(pos_, std::min(q - pos_, room)));
        pos_ = q;
        if (pos_ >= n) break;
        if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
          if (f.size() <= options_.max_field_bytes) f.push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;
        closed = true;
        break;
      }
      if (!closed) {
        if (f.size() > options_.max_field_bytes) f.resize(options_.max_field_bytes);
        return fail_record("field " + std::to_string(field_index) +
                           ": the quote that opens it is never closed (unmatched '\"')");
      }
      if (pos_ >= n) {
        end_of_record = true;
      } else if (text_[pos_] == ',') {
        ++pos_;
      } else if (size_t br = line_break_at(pos_)) {
        pos_ += br;
        ++line_;
        end_of_record = true;
      } else {
        return fail_record("field " + std::to_string(field_index) +
                           ": text after the closing quote (a quote inside a quoted field must be doubled)");
      }
    } else {
      // Unquoted field: up to ',' or end of line.
      size_t start = pos_;
      while (pos_ < n) {
        char c = text_[pos_];
        if (c == ',' || c == '\n' || c == '\r' || c == '"') break;
        ++pos_;
      }
      f.assign(text_.substr(start, pos_ - start));
      if (pos_ >= n) {
        end_of_record = true;
      } else if (text_[pos_] == ',') {
        ++pos_;
      } else if (text_[pos_] == '"') {
        return fail_record("field " + std::to_string(field_index) + ": quote inside an unquoted field");
      } else {
        pos_ += line_break_at(pos_);
        ++line_;
        end_of_record = true;
      }
    }
    if (f.size() > options_.max_field_bytes) {
      if (rec.error.empty()) {
        rec.error = "field " + std::to_string(field_index) + ": longer than " +
                    std::to_string(options_.max_field_bytes) + " bytes";
      }
      f.resize(options_.max_field_bytes);
    }
    if (end_of_record) break;
  }
  rec.fields.resize(nfields);
  if (rec.error.empty()) {
    for (size_t i = 0; i < nfields; ++i) {
      if (!is_valid_utf8(rec.fields[i])) {
        rec.error = "field " + std::to_string(i + 1) + ": invalid UTF-8";
        break;
      }
      if (rec.fields[i].find('\0') != std::string::npos) {
        rec.error = "field " + std::to_string(i + 1) + ": contains a NUL byte";
        break;
      }
    }
  }
  return true;
}

}  // namespace tallylog::ingest
