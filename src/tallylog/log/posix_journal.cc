// The POSIX journal driver: files "<first index, 20 digits>.journal", each a sequence of
// records "TLJ1" first:u64be count:u32be payload-bytes:u64be payload sha256 (docs/formats/log.md).
// An append is one write() of one record then fdatasync(); a new file is created, synced and
// its directory synced before any record goes into it, so an acknowledged record never sits in
// a file whose name could vanish in a power cut.
#include <algorithm>
#include <mutex>
#include <optional>
#include <vector>

#include "tallylog/base/bytes.h"
#include "tallylog/base/sha256.h"
#include "tallylog/log/journal.h"

namespace tallylog::log {
namespace {

constexpr std::string_view kRecordMagic = "TLJ1";
constexpr size_t kRecordHeader = 4 + 8 + 4 + 8;  // magic, first index, count, payload bytes
constexpr size_t kRecordTrailer = 32;            // SHA-256 of header and payload

std::string journal_name(uint64_t base) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%020llu.journal", static_cast<unsigned long long>(base));
  return buf;
}

std::optional<uint64_t> parse_journal_name(std::string_view name) {
  if (name.size() != 28 || !name.ends_with(".journal")) return std::nullopt;
  uint64_t v = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

void put_u32_be(std::string& out, uint32_t v) {
  put_u16_be(out, static_cast<uint16_t>(v >> 16));
  put_u16_be(out, static_cast<uint16_t>(v & 0xffff));
}
uint32_t get_u32_be(std::string_view in) { return (uint32_t{get_u16_be(in)} << 16) | get_u16_be(in.substr(2)); }

std::string encode_record(uint64_t first, std::span<const std::string_view> entries) {
  size_t payload = 0;
  for (auto e : entries) payload += 2 + e.size();
  std::string out;
  out.reserve(kRecordHeader + payload + kRecordTrailer);
  out += kRecordMagic;
  put_u64_be(out, first);
  put_u32_be(out, static_cast<uint32_t>(entries.size()));
  put_u64_be(out, payload);
  for (auto e : entries) {
    put_u16_be(out, static_cast<uint16_t>(e.size()));
    out += e;
  }
  auto d = sha256(out);
  out += as_bytes(d);
  return out;
}

struct Record {
  uint64_t first = 0;
  std::vector<std::string_view> entries;
};

// Parses a journal file. A damaged or incomplete record at the very end is a torn append
// (never acknowledged) when `last` is set: *valid_end says where the intact records end.
Result<std::vector<Record>> parse_file(std::string_view data, const std::string& path, bool last, size_t* valid_end) {
  std::vector<Record> out;
  size_t pos = 0;
  auto torn = [&](const char* what) -> Status {
    if (last) return ok();
    return err(ErrorCode::kCorrupt, path + ": " + what + " at offset " + std::to_string(pos) +
                                        " in a journal file that is not the newest");
  };
  while (pos < data.size()) {
    std::string_view rest = data.substr(pos);
    if (rest.size() < kRecordHeader + kRecordTrailer) {
      TL_TRY(torn("incomplete record"));
      break;
    }
    if (rest.substr(0, 4) != kRecordMagic) {
      return err(ErrorCode::kCorrupt, path + ": bad record magic at offset " + std::to_string(pos));
    }
    Record r;
    r.first = get_u64_be(rest.substr(4));
    uint32_t count = get_u32_be(rest.substr(12));
    uint64_t payload = get_u64_be(rest.substr(16));
    if (payload > rest.size() - kRecordHeader - kRecordTrailer) {
      TL_TRY(torn("incomplete record"));
      break;
    }
    size_t total = kRecordHeader + payload + kRecordTrailer;
    auto d = sha256(rest.substr(0, kRecordHeader + payload));
    if (as_bytes(d) != rest.substr(kRecordHeader + payload, 32)) {
      if (pos + total == data.size()) {
        TL_TRY(torn("checksum mismatch"));
        break;
      }
      return err(ErrorCode::kCorrupt, path + ": checksum mismatch in the record at offset " + std::to_string(pos));
    }
    std::string_view p = rest.substr(kRecordHeader, payload);
    while (!p.empty()) {
      if (p.size() < 2) return err(ErrorCode::kCorrupt, path + ": bad entry length at offset " + std::to_string(pos));
      size_t len = get_u16_be(p);
      if (p.size() - 2 < len) return err(ErrorCode::kCorrupt, path + ": bad entry length at offset " + std::to_string(pos));
      r.entries.push_back(p.substr(2, len));
      p.remove_prefix(2 + len);
    }
    if (r.entries.size() != count) {
      return err(ErrorCode::kCorrupt, path + ": entry count mismatch at offset " + std::to_string(pos));
    }
    pos += total;
    out.push_back(std::move(r));
  }
  *valid_end = pos;
  return out;
}

class PosixJournal final : public Journal {
 public:
  PosixJournal(Env& env, std::string dir, PosixJournalOptions o) : env_(env), dir_(std::move(dir)), o_(std::move(o)) {}

  Status open() {
    TL_TRY(env_.create_dirs(dir_));
    TL_ASSIGN_OR_RETURN(auto names, env_.list_dir(dir_));
    std::vector<uint64_t> bases;
    for (const auto& n : names) {
      if (auto b = parse_journal_name(n)) bases.push_back(*b);
    }
    std::sort(bases.begin(), bases.end());
    if (bases.empty()) {
      TL_TRY(start_file(0));
      replay_.push_back("");
      return ok();
    }
    // Parse every file; each must hold consecutive records starting at its base.
    struct Parsed {
      uint64_t base, end;
      std::string path, data;
    };
    std::vector<Parsed> parsed;
    for (size_t i = 0; i < bases.size(); ++i) {
      Parsed f{bases[i], bases[i], join_path(dir_, journal_name(bases[i])), {}};
      TL_ASSIGN_OR_RETURN(f.data, env_.read_file(f.path));
      bool last = i + 1 == bases.size();
      size_t valid_end = 0;
      TL_ASSIGN_OR_RETURN(auto records, parse_file(f.data, f.path, last, &valid_end));
      for (const auto& r : records) {
        if (r.first != f.end) {
          return err(ErrorCode::kCorrupt, f.path + ": a record starts at entry " + std::to_string(r.first) +
                                              ", expected " + std::to_string(f.end));
        }
        f.end += r.entries.size();
      }
      if (valid_end < f.data.size()) {
        if (o_.notice) {
          o_.notice("cut a torn record (" + std::to_string(f.data.size() - valid_end) +
                    " bytes, never acknowledged) off " + f.path);
        }
        TL_TRY(env_.truncate(f.path, valid_end));
        f.data.resize(valid_end);
        TL_ASSIGN_OR_RETURN(auto af, env_.open_append(f.path));
        TL_TRY(af->sync());
        TL_TRY(af->close());
      }
      parsed.push_back(std::move(f));
    }
    // The files in use are the newest run of contiguous ones. Older files before a gap are
    // leftovers of a release whose deletions were partly undone by a power cut: release()
    // deletes a file only once every entry in it is durable in tiles.
    size_t first = parsed.size() - 1;
    while (first > 0 && parsed[first - 1].end == parsed[first].base) --first;
    if (first > 0 && parsed[first - 1].end > parsed[first].base) {
      return err(ErrorCode::kCorrupt, parsed[first].path + ": starts at entry " + std::to_string(parsed[first].base) +
                                          " but " + parsed[first - 1].path + " ends at " +
                                          std::to_string(parsed[first - 1].end));
    }
    for (size_t i = 0; i < first; ++i) {
      if (o_.notice) o_.notice("removed " + parsed[i].path + ", a journal file already released");
      TL_TRY(env_.remove_file(parsed[i].path));
    }
    uint64_t expect = parsed[first].base;
    for (size_t i = first; i < parsed.size(); ++i) {
      files_.push_back(File{parsed[i].base, parsed[i].path});
      replay_.push_back(std::move(parsed[i].data));
      expect = parsed[i].end;
    }
    current_bytes_ = replay_.back().size();
    end_ = expect;
    TL_ASSIGN_OR_RETURN(current_, env_.open_append(files_.back().path));
    return ok();
  }

  uint64_t begin() const override {
    std::lock_guard lock(mu_);
    return files_.front().base;
  }
  uint64_t end() const override {
    std::lock_guard lock(mu_);
    return end_;
  }

  Status append(uint64_t first, std::span<const std::string_view> entries) override {
    if (broken_) return err(ErrorCode::kFailedPrecondition, "the journal in " + dir_ + " failed earlier; reopen the log");
    if (first != end()) {
      return err(ErrorCode::kInternal, "journal append at " + std::to_string(first) + ", expected " + std::to_string(end()));
    }
    replay_.clear();
    broken_ = true;  // until this append completes
    if (current_bytes_ >= o_.file_bytes) TL_TRY(start_file(first));
    std::string record = encode_record(first, entries);
    TL_TRY(current_->append(record));
    TL_TRY(current_->sync());
    current_bytes_ += record.size();
    broken_ = false;
    std::lock_guard lock(mu_);
    end_ = first + entries.size();
    return ok();
  }

  Status replay(uint64_t from,
                const std::function<Status(uint64_t, std::span<const std::string_view>)>& fn) override {
    if (replay_.size() != files_.size()) return err(ErrorCode::kInternal, "journal replay after an append");
    for (size_t i = 0; i < files_.size(); ++i) {
      if (i + 1 < files_.size() && files_[i + 1].base <= from) continue;
      size_t valid_end = 0;
      TL_ASSIGN_OR_RETURN(auto records, parse_file(replay_[i], files_[i].path, true, &valid_end));
      for (const auto& r : records) {
        if (r.first + r.entries.size() <= from) continue;
        TL_TRY(fn(r.first, r.entries));
      }
    }
    return ok();
  }

  Status release(uint64_t size) override {
    std::vector<std::string> doomed;
    {
      std::lock_guard lock(mu_);
      while (files_.size() > 1 && files_[1].base <= size) {
        doomed.push_back(files_.front().path);
        files_.erase(files_.begin());
        replay_.clear();  // no replay after a release
      }
    }
    // Not synced: a deleted file that reappears after a power cut is replayed again, harmlessly.
    for (const auto& p : doomed) TL_TRY(env_.remove_file(p));
    return ok();
  }

  // The clean-close note lives beside the journal files, in "clean" (ignored by the listing).
  Result<std::string> clean_note() override {
    const std::string path = join_path(dir_, "clean");
    if (!env_.exists(path)) return std::string();
    return env_.read_file(path);
  }
  Status set_clean_note(std::string_view note) override {
    const std::string path = join_path(dir_, "clean");
    if (note.empty()) return env_.remove_file(path);
    return env_.write_file_atomic(path, note, Durability::kSync);
  }

 private:
  struct File {
    uint64_t base;
    std::string path;
  };

  // Creates the journal file for entries from `base` on and makes its name durable before
  // anything is written to it.
  Status start_file(uint64_t base) {
    std::string path = join_path(dir_, journal_name(base));
    TL_ASSIGN_OR_RETURN(auto f, env_.open_append(path));
    TL_TRY(f->sync());
    TL_TRY(env_.sync_dir(dir_));
    if (current_) TL_TRY(current_->close());
    current_ = std::move(f);
    current_bytes_ = 0;
    std::lock_guard lock(mu_);
    files_.push_back(File{base, path});
    if (files_.size() == 1) end_ = base;
    return ok();
  }

  Env& env_;
  const std::string dir_;
  const PosixJournalOptions o_;
  mutable std::mutex mu_;  // files_ and end_
  std::vector<File> files_;
  uint64_t end_ = 0;
  std::vector<std::string> replay_;  // file contents read at open, until the first append
  std::unique_ptr<AppendFile> current_;
  uint64_t current_bytes_ = 0;
  bool broken_ = false;
};

}  // namespace

Result<std::unique_ptr<Journal>> open_posix_journal(Env& env, std::string dir, PosixJournalOptions options) {
  auto j = std::make_unique<PosixJournal>(env, std::move(dir), std::move(options));
  TL_TRY(j->open());
  return std::unique_ptr<Journal>(std::move(j));
}

}  // namespace tallylog::log
