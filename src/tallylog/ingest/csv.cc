#include "tallylog/ingest/csv.h"

#include <string>

#include "tallylog/base/bytes.h"

namespace tallylog::ingest {

CsvReader::CsvReader(std::string_view text, CsvOptions options) : text_(text), options_(options) {
  if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
}

void CsvReader::skip_to_line_end() {
  while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  if (pos_ < text_.size()) {
    ++pos_;
    ++line_;
  }
}

bool CsvReader::next(CsvRecord& rec) {
  const size_t n = text_.size();
  // Skip empty lines.
  while (pos_ < n) {
    if (text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (text_[pos_] == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n') {
      pos_ += 2;
      ++line_;
    } else {
      break;
    }
  }
  if (pos_ >= n) return false;

  rec.line = line_;
  rec.error.clear();
  size_t nfields = 0;
  auto field_slot = [&]() -> std::string& {
    if (nfields < rec.fields.size()) {
      rec.fields[nfields].clear();
    } else {
      rec.fields.emplace_back();
    }
    return rec.fields[nfields++];
  };
  auto set_error = [&](std::string message) {
    if (rec.error.empty()) rec.error = std::move(message);
  };

  while (true) {
    if (nfields >= options_.max_fields) {
      set_error("more than " + std::to_string(options_.max_fields) + " fields");
      skip_to_line_end();
      break;
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
        for (size_t i = pos_; i < q; ++i)
          if (text_[i] == '\n') ++line_;
        f.append(text_.substr(pos_, q - pos_));
        pos_ = q;
        if (pos_ >= n) break;
        if (pos_ + 1 < n && text_[pos_ + 1] == '"') {
          f.push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;
        closed = true;
        break;
      }
      if (!closed) {
        set_error("field " + std::to_string(field_index) + ": quoted field is not terminated");
        rec.fields.resize(nfields);
        return true;
      }
      if (pos_ >= n) {
        end_of_record = true;
      } else if (text_[pos_] == ',') {
        ++pos_;
      } else if (text_[pos_] == '\n') {
        ++pos_;
        ++line_;
        end_of_record = true;
      } else if (text_[pos_] == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n') {
        pos_ += 2;
        ++line_;
        end_of_record = true;
      } else {
        set_error("field " + std::to_string(field_index) + ": text after the closing quote");
        skip_to_line_end();
        end_of_record = true;
      }
    } else {
      // Unquoted field: up to ',' or end of line.
      size_t start = pos_;
      while (pos_ < n) {
        char c = text_[pos_];
        if (c == ',' || c == '\n' || c == '"') break;
        if (c == '\r' && pos_ + 1 < n && text_[pos_ + 1] == '\n') break;
        ++pos_;
      }
      f.assign(text_.substr(start, pos_ - start));
      if (pos_ >= n) {
        end_of_record = true;
      } else if (text_[pos_] == ',') {
        ++pos_;
      } else if (text_[pos_] == '"') {
        set_error("field " + std::to_string(field_index) + ": quote inside an unquoted field");
        skip_to_line_end();
        end_of_record = true;
      } else if (text_[pos_] == '\n') {
        ++pos_;
        ++line_;
        end_of_record = true;
      } else {  // CRLF
        pos_ += 2;
        ++line_;
        end_of_record = true;
      }
    }
    if (f.size() > options_.max_field_bytes) {
      set_error("field " + std::to_string(field_index) + ": longer than " +
                std::to_string(options_.max_field_bytes) + " bytes");
      f.resize(options_.max_field_bytes);
    }
    if (end_of_record) break;
  }
  rec.fields.resize(nfields);
  if (rec.error.empty()) {
    for (size_t i = 0; i < nfields; ++i) {
      if (!is_valid_utf8(rec.fields[i])) {
        set_error("field " + std::to_string(i + 1) + ": invalid UTF-8");
        break;
      }
    }
  }
  return true;
}

}  // namespace tallylog::ingest
