#include "tallylog/witness/state.h"

#include <condition_variable>
#include <map>
#include <mutex>

#include "tallylog/base/bytes.h"
#include "tallylog/base/file_lock.h"
#include "tallylog/base/sha256.h"
#include "tallylog/note/checkpoint.h"
#include "tallylog/note/note.h"

namespace tallylog::witness {
namespace {

constexpr std::string_view kMagic = "TLW1";
constexpr size_t kHeader = 8;
constexpr size_t kTrailer = 32;

std::string encode_record(std::string_view note) {
  std::string out(kMagic);
  put_u16_be(out, static_cast<uint16_t>(note.size() >> 16));
  put_u16_be(out, static_cast<uint16_t>(note.size() & 0xffff));
  out += note;
  auto d = sha256(out);
  out += as_bytes(d);
  return out;
}

struct Entry {
  LogState state;
  std::string note;
};

Result<std::pair<std::string, Entry>> decode_note(std::string_view note) {
  TL_ASSIGN_OR_RETURN(note::Note n, note::parse_note(note));
  TL_ASSIGN_OR_RETURN(note::Checkpoint c, note::Checkpoint::parse_body(n.text));
  return std::make_pair(c.origin, Entry{LogState{c.size, c.root}, std::string(note)});
}

}  // namespace

struct WitnessState::Impl {
  Env* env = nullptr;
  std::string dir, journal_path;
  std::unique_ptr<FileLock> lock;
  std::unique_ptr<AppendFile> journal;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Entry, std::less<>> latest;
  std::string pending;        // staged records not yet written
  uint64_t staged = 0;        // records staged so far
  uint64_t durable = 0;       // records durable so far
  bool writing = false;       // a leader is writing and syncing
  uint64_t journal_bytes = 0;
  uint64_t compact_at = 0;
  std::optional<Error> failed;

  Status replay() {
    std::string data;
    if (env->exists(journal_path)) {
      TL_ASSIGN_OR_RETURN(data, env->read_file(journal_path));
    }
    size_t pos = 0;
    while (pos < data.size()) {
      std::string_view rest = std::string_view(data).substr(pos);
      if (rest.size() < kHeader + kTrailer) break;  // torn tail
      if (rest.substr(0, 4) != kMagic) {
        return err(ErrorCode::kCorrupt, journal_path + ": bad record magic at offset " + std::to_string(pos));
      }
      uint64_t len = (uint64_t{get_u16_be(rest.substr(4))} << 16) | get_u16_be(rest.substr(6));
      if (len > rest.size() - kHeader - kTrailer) break;  // torn tail
      size_t total = kHeader + len + kTrailer;
      auto d = sha256(rest.substr(0, kHeader + len));
      if (as_bytes(d) != rest.substr(kHeader + len, kTrailer)) {
        if (pos + total == data.size()) break;  // torn tail
        return err(ErrorCode::kCorrupt, journal_path + ": checksum mismatch in the record at offset " + std::to_string(pos));
      }
      auto e = decode_note(rest.substr(kHeader, len));
      if (!e) return std::unexpected(with_context(e.error(), journal_path + ": record at offset " + std::to_string(pos)));
      latest[e->first] = std::move(e->second);
      pos += total;
    }
    if (pos < data.size()) TL_TRY(env->truncate(journal_path, pos));
    journal_bytes = pos;
    TL_ASSIGN_OR_RETURN(journal, env->open_append(journal_path));
    if (pos < data.size() || data.empty()) {
      TL_TRY(journal->sync());
      TL_TRY(env->sync_dir(dir));
    }
    return ok();
  }

  // Rewrites the journal with one record per origin. Called by the leader with `mu` held and
  // nothing pending, so the snapshot is exactly the durable state.
  Status compact() {
    std::string all;
    for (const auto& [origin, e] : latest) all += encode_record(e.note);
    std::string tmp = journal_path + ".new";
    TL_TRY(env->write_file_atomic(tmp, all, Durability::kSync));
    TL_TRY(journal->close());
    TL_TRY(env->rename(tmp, journal_path));
    TL_TRY(env->sync_dir(dir));
    TL_ASSIGN_OR_RETURN(journal, env->open_append(journal_path));
    journal_bytes = all.size();
    return ok();
  }
};

WitnessState::WitnessState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WitnessState::~WitnessState() {
  if (impl_ && impl_->journal) (void)impl_->journal->close();
}

Result<std::unique_ptr<WitnessState>> WitnessState::open(Env& env, const std::string& dir, uint64_t compact_at_bytes) {
  auto impl = std::make_unique<Impl>();
  impl->compact_at = compact_at_bytes;
  impl->env = &env;
  impl->dir = dir;
  impl->journal_path = join_path(dir, "witness.journal");
  TL_TRY(env.create_dirs(dir));
  TL_ASSIGN_OR_RETURN(impl->lock, FileLock::try_acquire(join_path(dir, "lock"), "another witness uses this state directory"));
  // A leftover of an interrupted compaction: the journal itself is still whole.
  TL_TRY(env.remove_file(impl->journal_path + ".new"));
  TL_TRY(impl->replay());
  return std::unique_ptr<WitnessState>(new WitnessState(std::move(impl)));
}

Status WitnessState::update(const std::string& origin, const LogState& next, std::string_view checkpoint_note,
                            const Decide& decide) {
  auto& m = *impl_;
  std::unique_lock lock(m.mu);
  if (m.failed) return err(ErrorCode::kUnavailable, "witness state is unusable after a failed write: " + m.failed->message);
  auto it = m.latest.find(origin);
  std::optional<LogState> current;
  if (it != m.latest.end()) current = it->second.state;
  TL_TRY(decide(current));
  m.latest[origin] = Entry{next, std::string(checkpoint_note)};
  m.pending += encode_record(checkpoint_note);
  const uint64_t mine = ++m.staged;
  // Group commit: one thread writes and syncs everything staged; the others wait for it.
  while (m.durable < mine) {
    if (m.failed) return err(ErrorCode::kUnavailable, "witness state write failed: " + m.failed->message);
    if (m.writing) {
      m.cv.wait(lock);
      continue;
    }
    m.writing = true;
    std::string batch = std::move(m.pending);
    m.pending.clear();
    const uint64_t upto = m.staged;
    lock.unlock();
    Status s = m.journal->append(batch);
    if (s) s = m.journal->sync();
    lock.lock();
    m.writing = false;
    if (!s) {
      m.failed = s.error();
    } else {
      m.durable = upto;
      m.journal_bytes += batch.size();
      if (m.pending.empty() && m.journal_bytes > m.compact_at && m.journal_bytes > 4 * 1024 * m.latest.size()) {
        if (Status c = m.compact(); !c) m.failed = c.error();
      }
    }
    m.cv.notify_all();
  }
  return ok();
}

std::optional<LogState> WitnessState::get(std::string_view origin) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->latest.find(origin);
  if (it == impl_->latest.end()) return std::nullopt;
  return it->second.state;
}

std::optional<std::string> WitnessState::checkpoint(std::string_view origin) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->latest.find(origin);
  if (it == impl_->latest.end()) return std::nullopt;
  return it->second.note;
}

std::vector<std::string> WitnessState::origins() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [o, e] : impl_->latest) out.push_back(o);
  return out;
}

}  // namespace tallylog::witness
