// The PostgreSQL drivers of the log's storage seam (log/storage.h, log/journal.h): the public
// files as rows keyed by their tlog-tiles path, the journal as one row per record. Schema and
// guarantees: docs/formats/store.md.
#include <algorithm>
#include <map>
#include <mutex>
#include <unordered_map>

#include "tallylog/pg/conn.h"
#include "tallylog/store/store.h"

namespace tallylog::store {
namespace {

using pg::Params;
using pg::Row;

constexpr int64_t kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tl_store_meta (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL,
  journal_base bigint NOT NULL,  -- entries below it are durable in the tiles (journal.h begin())
  clean_note bytea NOT NULL      -- the log's clean-close note ('' when none)
);
CREATE TABLE IF NOT EXISTS tl_log_files (path text PRIMARY KEY, data bytea NOT NULL);
CREATE TABLE IF NOT EXISTS tl_checkpoint (id integer PRIMARY KEY CHECK (id = 1), note bytea NOT NULL);
CREATE TABLE IF NOT EXISTS tl_journal (first bigint PRIMARY KEY, count bigint NOT NULL, entries bytea NOT NULL);
CREATE TABLE IF NOT EXISTS tl_sequencer (
  id integer PRIMARY KEY CHECK (id = 1),
  epoch bigint NOT NULL,
  url text NOT NULL,
  node text NOT NULL,
  since timestamptz
);
)sql";

// Connections of one store, shared by its LogStorage and Journal: `w` for the writer thread,
// `r` for readers (any thread, one at a time).
struct Shared {
  std::string url;  // redacted
  uint64_t fence = 0;
  std::mutex wmu, rmu;
  pg::Conn w, r;

  // Inside a write transaction: the lease epoch must still be the fence.
  Status check_fence() {
    if (fence == 0) return ok();
    TL_ASSIGN_OR_RETURN(auto res, w.run("fence"));
    if (PQntuples(res.get()) != 1) return err(ErrorCode::kCorrupt, "log store " + url + ": tl_sequencer has no row");
    const uint64_t now = static_cast<uint64_t>(Row(res.get(), 0).i64(0));
    if (now != fence) {
      return err(ErrorCode::kUnavailable, "fenced: the sequencer lease moved to epoch " + std::to_string(now) +
                                              "; this node holds epoch " + std::to_string(fence) +
                                              " and may no longer write the log");
    }
    return ok();
  }

  // Runs fn inside one fenced transaction on `w` (w's mutex held by the caller). A reconnection
  // since BEGIN means the server rolled it back: it must not commit.
  Status transaction(const std::function<Status()>& fn) {
    TL_TRY(w.exec("BEGIN"));
    const uint64_t generation = w.generation();
    Status s = check_fence();
    if (s) s = fn();
    if (s && w.generation() != generation) {
      s = err(ErrorCode::kUnavailable, "log store " + url + ": the connection was lost inside a transaction");
    }
    if (!s) {
      (void)w.exec("ROLLBACK");
      return s;
    }
    return w.exec("COMMIT");
  }
};

Result<std::shared_ptr<Shared>> connect(const std::string& url, uint64_t fence) {
  auto s = std::make_shared<Shared>();
  s->url = pg::redact_url(url);
  s->fence = fence;
  TL_TRY(s->w.connect(url, "log store"));
  TL_TRY(s->r.connect(url, "log store"));
  TL_ASSIGN_OR_RETURN(auto exists, s->r.query("SELECT to_regclass('tl_store_meta') IS NOT NULL"));
  if (Row(exists.get(), 0).i64(0) == 0) {
    return err(ErrorCode::kFailedPrecondition, "log store " + s->url + ": no log here (run tallylog init --store)");
  }
  TL_ASSIGN_OR_RETURN(auto res, s->r.query("SELECT version FROM tl_store_meta WHERE id = 1"));
  if (PQntuples(res.get()) != 1) {
    return err(ErrorCode::kFailedPrecondition, "log store " + s->url + ": no log here (run tallylog init --store)");
  }
  const int64_t version = Row(res.get(), 0).i64(0);
  if (version != kSchemaVersion) {
    return err(ErrorCode::kFailedPrecondition, "log store " + s->url + ": schema version " + std::to_string(version) +
                                                   " is not this program's " + std::to_string(kSchemaVersion));
  }
  TL_TRY(s->w.prepare("fence", "SELECT epoch FROM tl_sequencer WHERE id = 1 FOR SHARE"));
  TL_TRY(s->r.prepare("read", "SELECT data FROM tl_log_files WHERE path = $1"));
  TL_TRY(s->r.prepare("checkpoint", "SELECT note FROM tl_checkpoint WHERE id = 1"));
  TL_TRY(s->r.prepare("list",
                      "SELECT substr(path, length($1::text) + 2) FROM tl_log_files WHERE starts_with(path, $1::text || '/') "
                      "AND strpos(substr(path, length($1::text) + 2), '/') = 0 ORDER BY path"));
  TL_TRY(s->w.prepare("existing", "SELECT data FROM tl_log_files WHERE path = $1"));
  TL_TRY(s->w.prepare("insert_file",
                      "INSERT INTO tl_log_files(path, data) VALUES ($1, $2) ON CONFLICT (path) DO NOTHING RETURNING 1"));
  TL_TRY(s->w.prepare("remove_file", "DELETE FROM tl_log_files WHERE path = $1"));
  TL_TRY(s->w.prepare("checkpoint_for_update", "SELECT note FROM tl_checkpoint WHERE id = 1 FOR UPDATE"));
  TL_TRY(s->w.prepare("put_checkpoint",
                      "INSERT INTO tl_checkpoint(id, note) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET note = excluded.note"));
  return s;
}

// A checkpoint's tree size and body (origin, size and root lines), for ordering checkpoints.
std::pair<uint64_t, std::string_view> checkpoint_head(std::string_view note) {
  size_t first = note.find('\n');
  size_t second = first == std::string_view::npos ? first : note.find('\n', first + 1);
  size_t third = second == std::string_view::npos ? second : note.find('\n', second + 1);
  uint64_t size = 0;
  if (second != std::string_view::npos) {
    for (char c : note.substr(first + 1, second - first - 1)) {
      if (c < '0' || c > '9') break;
      size = size * 10 + static_cast<uint64_t>(c - '0');
    }
  }
  return {size, note.substr(0, third == std::string_view::npos ? note.size() : third)};
}

// A full tile or bundle never changes once written: readers keep them (bounded).
bool immutable(const std::string& path) { return path != "checkpoint" && path.find(".p/") == std::string::npos; }

class PostgresLogStorage : public log::LogStorage {
 public:
  explicit PostgresLogStorage(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  Result<std::string> read(const std::string& path) const override {
    const bool keep = immutable(path);
    if (keep) {
      std::lock_guard lock(cache_mu_);
      if (auto it = cache_.find(path); it != cache_.end()) return it->second;
    }
    std::string data;
    {
      std::lock_guard lock(s_->rmu);
      Params p;
      if (path == "checkpoint") {
        TL_ASSIGN_OR_RETURN(auto res, s_->r.run("checkpoint"));
        if (PQntuples(res.get()) == 0) return err(ErrorCode::kNotFound, "checkpoint: not found in " + s_->url);
        data = Row(res.get(), 0).bytes(0);
      } else {
        p.bytes(path);
        TL_ASSIGN_OR_RETURN(auto res, s_->r.run("read", p));
        if (PQntuples(res.get()) == 0) return err(ErrorCode::kNotFound, path + ": not found in " + s_->url);
        data = Row(res.get(), 0).bytes(0);
      }
    }
    if (keep) {
      std::lock_guard lock(cache_mu_);
      if (cache_bytes_ + data.size() > kCacheBytes) {
        cache_.clear();
        cache_bytes_ = 0;
      }
      cache_bytes_ += data.size();
      cache_.emplace(path, data);
    }
    return data;
  }

  Result<std::vector<std::string>> list(const std::string& dir) const override {
    std::lock_guard lock(s_->rmu);
    Params p;
    p.bytes(dir);
    TL_ASSIGN_OR_RETURN(auto res, s_->r.run("list", p));
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(res.get()); ++i) out.emplace_back(Row(res.get(), i).bytes(0));
    return out;
  }

  Status write_once(const std::string& path, std::string_view data) override {
    if (path == "checkpoint" || path.empty()) return err(ErrorCode::kInvalidArgument, "not a tile or bundle path: " + path);
    std::lock_guard lock(s_->wmu);
    if (auto it = staged_.find(path); it != staged_.end()) {
      if (it->second != data) return err(ErrorCode::kCorrupt, path + ": already staged with different bytes");
      return ok();
    }
    Params p;
    p.bytes(path);
    TL_ASSIGN_OR_RETURN(auto res, s_->w.run("existing", p));
    if (PQntuples(res.get()) > 0) {
      if (Row(res.get(), 0).bytes(0) != data) {
        return err(ErrorCode::kCorrupt, path + ": already published in " + s_->url + " with different bytes");
      }
      return ok();
    }
    staged_.emplace(path, std::string(data));
    return ok();
  }

  Status make_durable() override {
    std::lock_guard lock(s_->wmu);
    return flush_staged(false, {});
  }

  Status write_checkpoint(std::string_view note) override {
    std::lock_guard lock(s_->wmu);
    return flush_staged(true, note);
  }

  Status remove(const std::string& path) override {
    std::lock_guard lock(s_->wmu);
    {
      std::lock_guard c(cache_mu_);
      if (auto it = cache_.find(path); it != cache_.end()) {
        cache_bytes_ -= it->second.size();
        cache_.erase(it);
      }
    }
    return s_->transaction([&]() -> Status {
      Params p;
      p.bytes(path);
      return s_->w.call("remove_file", p);
    });
  }

 private:
  static constexpr size_t kCacheBytes = size_t{64} << 20;

  // Inserts everything staged (and the checkpoint) in one transaction. A row another writer put
  // there first must hold the same bytes.
  Status flush_staged(bool with_checkpoint, std::string_view note) {
    if (staged_.empty() && !with_checkpoint) return ok();
    Status s = s_->transaction([&]() -> Status {
      for (const auto& [path, data] : staged_) {
        Params p;
        p.bytes(path).bytes(data);
        TL_ASSIGN_OR_RETURN(auto res, s_->w.run("insert_file", p));
        if (PQntuples(res.get()) == 0) {
          Params q;
          q.bytes(path);
          TL_ASSIGN_OR_RETURN(auto old, s_->w.run("existing", q));
          if (PQntuples(old.get()) == 0 || Row(old.get(), 0).bytes(0) != data) {
            return err(ErrorCode::kCorrupt, path + ": already published in " + s_->url + " with different bytes");
          }
        }
      }
      if (with_checkpoint) {
        // Never a step back: another writer (a node that should not be writing) may have
        // published a larger tree meanwhile; replacing its checkpoint with a smaller one, or one
        // of the same size with another body, would roll back or fork what readers were shown.
        TL_ASSIGN_OR_RETURN(auto cur, s_->w.run("checkpoint_for_update"));
        if (PQntuples(cur.get()) > 0) {
          const std::string_view old = Row(cur.get(), 0).bytes(0);
          const auto [old_size, old_body] = checkpoint_head(old);
          const auto [new_size, new_body] = checkpoint_head(note);
          if (new_size < old_size || (new_size == old_size && new_body != old_body)) {
            return err(ErrorCode::kFailedPrecondition,
                       "log store " + s_->url + " holds a checkpoint of " + std::to_string(old_size) +
                           " entries that this one (" + std::to_string(new_size) +
                           ") does not extend: another writer appended to this log; refusing to publish");
          }
        }
        Params p;
        p.bytes(note);
        TL_TRY(s_->w.call("put_checkpoint", p));
        // Followers LISTEN for new checkpoints (delivered on COMMIT).
        TL_TRY(s_->w.exec("NOTIFY tl_checkpoint"));
      }
      return ok();
    });
    if (s) staged_.clear();
    return s;
  }

  std::shared_ptr<Shared> s_;
  std::map<std::string, std::string> staged_;  // writer thread only (under s_->wmu)
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::string> cache_;
  mutable size_t cache_bytes_ = 0;
};

// Entries of one journal record: each a 4-byte big-endian length and its bytes.
std::string encode_entries(std::span<const std::string_view> entries) {
  size_t n = 0;
  for (auto e : entries) n += 4 + e.size();
  std::string out;
  out.reserve(n);
  for (auto e : entries) {
    const uint32_t len = static_cast<uint32_t>(e.size());
    const char be[4] = {static_cast<char>(len >> 24), static_cast<char>(len >> 16), static_cast<char>(len >> 8),
                        static_cast<char>(len)};
    out.append(be, 4);
    out.append(e);
  }
  return out;
}

Result<std::vector<std::string_view>> decode_entries(std::string_view data, uint64_t count, uint64_t first) {
  std::vector<std::string_view> out;
  out.reserve(count);
  size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < 4) break;
    const auto* b = reinterpret_cast<const unsigned char*>(data.data() + at);
    const size_t len = (size_t{b[0]} << 24) | (size_t{b[1]} << 16) | (size_t{b[2]} << 8) | b[3];
    at += 4;
    if (data.size() - at < len) break;
    out.push_back(data.substr(at, len));
    at += len;
  }
  if (at != data.size() || out.size() != count) {
    return err(ErrorCode::kCorrupt, "tl_journal record at entry " + std::to_string(first) + " is damaged");
  }
  return out;
}

class PostgresJournal : public log::Journal {
 public:
  explicit PostgresJournal(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  Status open() {
    std::lock_guard lock(s_->wmu);
    TL_TRY(s_->w.prepare("journal_append", "INSERT INTO tl_journal(first, count, entries) VALUES ($1, $2, $3)"));
    TL_TRY(s_->w.prepare("journal_release",
                         "WITH gone AS (DELETE FROM tl_journal WHERE first + count <= $1) "
                         "UPDATE tl_store_meta SET journal_base = "
                         "COALESCE((SELECT min(first) FROM tl_journal WHERE first + count > $1), $1) "
                         "WHERE id = 1 AND journal_base < $1"));
    TL_TRY(s_->w.prepare("journal_replay",
                         "SELECT first, count, entries FROM tl_journal WHERE first + count > $1 ORDER BY first"));
    TL_TRY(s_->w.prepare("clean_note", "SELECT clean_note FROM tl_store_meta WHERE id = 1"));
    TL_TRY(s_->w.prepare("set_clean_note", "UPDATE tl_store_meta SET clean_note = $1 WHERE id = 1"));
    TL_ASSIGN_OR_RETURN(auto res, s_->w.query("SELECT journal_base, (SELECT max(first + count) FROM tl_journal), "
                                              "(SELECT min(first) FROM tl_journal) FROM tl_store_meta WHERE id = 1"));
    Row row(res.get(), 0);
    base_ = static_cast<uint64_t>(row.i64(0));
    // Rows released in a transaction that also moved the base are gone with it; a row below the
    // base (never written by this driver) would be a damaged store.
    if (!row.is_null(2) && static_cast<uint64_t>(row.i64(2)) < base_) {
      return err(ErrorCode::kCorrupt, "log store " + s_->url + ": tl_journal holds entries below its base " +
                                          std::to_string(base_));
    }
    end_ = row.is_null(1) ? base_ : static_cast<uint64_t>(row.i64(1));
    return ok();
  }

  uint64_t begin() const override {
    std::lock_guard lock(mu_);
    return base_;
  }
  uint64_t end() const override {
    std::lock_guard lock(mu_);
    return end_;
  }

  Status append(uint64_t first, std::span<const std::string_view> entries) override {
    if (broken_) return err(ErrorCode::kFailedPrecondition, "the journal in " + s_->url + " failed earlier; reopen the log");
    if (first != end()) {
      return err(ErrorCode::kInternal, "journal append at " + std::to_string(first) + ", expected " + std::to_string(end()));
    }
    const std::string data = encode_entries(entries);
    std::lock_guard lock(s_->wmu);
    broken_ = true;
    TL_TRY(s_->transaction([&]() -> Status {
      Params p;
      p.u64(first).u64(entries.size()).bytes(data);
      return s_->w.call("journal_append", p);
    }));
    broken_ = false;
    std::lock_guard l(mu_);
    end_ = first + entries.size();
    return ok();
  }

  Status replay(uint64_t from,
                const std::function<Status(uint64_t, std::span<const std::string_view>)>& fn) override {
    // The records are read whole, then handed on without the connection's lock: fn integrates
    // them and writes tiles through the storage, which shares the connection.
    pg::ResultPtr res;
    {
      std::lock_guard lock(s_->wmu);
      Params p;
      p.u64(from);
      TL_ASSIGN_OR_RETURN(res, s_->w.run("journal_replay", p));
    }
    uint64_t expect = 0;
    for (int i = 0; i < PQntuples(res.get()); ++i) {
      Row row(res.get(), i);
      const uint64_t first = static_cast<uint64_t>(row.i64(0)), count = static_cast<uint64_t>(row.i64(1));
      if (i > 0 && first != expect) {
        return err(ErrorCode::kCorrupt, "tl_journal: a record starts at entry " + std::to_string(first) + ", expected " +
                                            std::to_string(expect));
      }
      expect = first + count;
      TL_ASSIGN_OR_RETURN(auto entries, decode_entries(row.bytes(2), count, first));
      TL_TRY(fn(first, entries));
    }
    return ok();
  }

  Status release(uint64_t size) override {
    std::lock_guard lock(s_->wmu);
    TL_TRY(s_->transaction([&]() -> Status {
      Params p;
      p.u64(size);
      return s_->w.call("journal_release", p);
    }));
    TL_ASSIGN_OR_RETURN(auto res, s_->w.query("SELECT journal_base FROM tl_store_meta WHERE id = 1"));
    std::lock_guard l(mu_);
    base_ = static_cast<uint64_t>(Row(res.get(), 0).i64(0));
    return ok();
  }

  Result<std::string> clean_note() override {
    std::lock_guard lock(s_->wmu);
    TL_ASSIGN_OR_RETURN(auto res, s_->w.run("clean_note"));
    if (PQntuples(res.get()) == 0) return std::string();
    return std::string(Row(res.get(), 0).bytes(0));
  }
  Status set_clean_note(std::string_view note) override {
    std::lock_guard lock(s_->wmu);
    return s_->transaction([&]() -> Status {
      Params p;
      p.bytes(note);
      return s_->w.call("set_clean_note", p);
    });
  }

 private:
  std::shared_ptr<Shared> s_;
  mutable std::mutex mu_;  // base_, end_
  uint64_t base_ = 0, end_ = 0;
  bool broken_ = false;
};

}  // namespace

Result<Store> open_postgres_store(const std::string& url, const StoreOptions& options) {
  TL_ASSIGN_OR_RETURN(auto shared, connect(url, options.fence));
  Store s;
  s.description = shared->url;
  s.storage = std::make_shared<PostgresLogStorage>(shared);
  if (options.write) {
    auto j = std::make_shared<PostgresJournal>(shared);
    TL_TRY(j->open());
    s.journal = std::move(j);
  }
  return s;
}

Status create_postgres_store(const std::string& url) {
  pg::Conn c;
  TL_TRY(c.connect(url, "log store"));
  const std::string redacted = pg::redact_url(url);
  TL_TRY(c.exec("BEGIN"));
  Status s = c.exec(kSchema);
  if (s) {
    auto res = c.query("SELECT version FROM tl_store_meta WHERE id = 1");
    if (!res) {
      s = std::unexpected(res.error());
    } else if (PQntuples(res->get()) > 0) {
      const int64_t version = Row(res->get(), 0).i64(0);
      s = version == kSchemaVersion
              ? err(ErrorCode::kAlreadyExists, "log store " + redacted + ": this database already holds a log")
              : err(ErrorCode::kFailedPrecondition, "log store " + redacted + ": this database holds a log store of schema version " +
                                                        std::to_string(version) + ", not " + std::to_string(kSchemaVersion));
    }
  }
  if (s) {
    Params p;
    p.i64(kSchemaVersion);
    auto r = c.query("INSERT INTO tl_store_meta(id, version, journal_base, clean_note) VALUES (1, $1, 0, '')", p);
    if (!r) s = std::unexpected(r.error());
  }
  if (s) s = c.exec("INSERT INTO tl_sequencer(id, epoch, url, node) VALUES (1, 0, '', '') ON CONFLICT DO NOTHING");
  if (!s) {
    (void)c.exec("ROLLBACK");
    return s;
  }
  return c.exec("COMMIT");
}

Result<uint64_t> sequencer_epoch(const std::string& url) {
  if (url.empty()) return uint64_t{0};
  pg::Conn c;
  TL_TRY(c.connect(url, "log store"));
  TL_ASSIGN_OR_RETURN(auto res, c.query("SELECT epoch FROM tl_sequencer WHERE id = 1"));
  if (PQntuples(res.get()) == 0) return err(ErrorCode::kNotFound, "log store " + pg::redact_url(url) + ": no tl_sequencer row");
  return static_cast<uint64_t>(Row(res.get(), 0).i64(0));
}

}  // namespace tallylog::store
