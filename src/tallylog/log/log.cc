// The appender: sequence (journal + fdatasync, group-committed) -> integrate (entry bundles and
// hash tiles) -> publish (signed checkpoint). See log.h and docs/formats/log.md.
//
// Durability argument. An entry is acknowledged only after its journal record is fdatasync'd.
// Tiles, bundles and the checkpoint are written with atomic renames but without fsync; at
// journal rotation every file written since the previous rotation is fsync'd first, so the
// tiles for [0, journal base) are always durable. open() restores the right edge at the journal
// base from those tiles and re-integrates every journal record, one record at a time exactly as
// before the crash, rewriting the same files with the same bytes. The checkpoint on disk must
// then match the re-integrated tree, or open() refuses to sign anything.
#include "tallylog/log/log.h"

#include "tallylog/log/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <set>

#include "tallylog/base/bytes.h"
#include "tallylog/base/sha256.h"
#include "tallylog/log/tile_reader.h"
#include "tallylog/log/tiles.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"
#include "tallylog/note/note.h"

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
uint32_t get_u32_be(std::string_view in) {
  return (uint32_t{get_u16_be(in)} << 16) | get_u16_be(in.substr(2));
}

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

struct JournalRecord {
  uint64_t first = 0;
  std::vector<std::string_view> entries;
  size_t end_offset = 0;
};

// Parses the journal; stops at the first incomplete or damaged record at the tail (an append
// that was never acknowledged). A damaged record followed by more data is corruption.
Result<std::vector<JournalRecord>> parse_journal(std::string_view data, const std::string& path, size_t* valid_end) {
  std::vector<JournalRecord> out;
  size_t pos = 0;
  while (pos < data.size()) {
    std::string_view rest = data.substr(pos);
    if (rest.size() < kRecordHeader + kRecordTrailer) break;  // torn tail
    if (rest.substr(0, 4) != kRecordMagic) {
      return err(ErrorCode::kCorrupt, path + ": bad record magic at offset " + std::to_string(pos));
    }
    JournalRecord r;
    r.first = get_u64_be(rest.substr(4));
    uint32_t count = get_u32_be(rest.substr(12));
    uint64_t payload = get_u64_be(rest.substr(16));
    if (payload > rest.size() - kRecordHeader - kRecordTrailer) break;  // torn tail
    size_t total = kRecordHeader + payload + kRecordTrailer;
    auto d = sha256(rest.substr(0, kRecordHeader + payload));
    if (as_bytes(d) != rest.substr(kRecordHeader + payload, 32)) {
      if (pos + total == data.size()) break;  // torn tail
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
    r.end_offset = pos;
    out.push_back(std::move(r));
  }
  *valid_end = pos;
  return out;
}

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct Paths {
  explicit Paths(const std::string& data)
      : data_dir(data),
        log_dir(join_path(data, "log")),
        journal_dir(join_path(data, "journal")),
        key(join_path(data, "log.key")),
        vkey(join_path(data, "log.vkey")),
        lock(join_path(data, "lock")) {}
  std::string data_dir, log_dir, journal_dir, key, vkey, lock;
};

class LogImpl final : public Log {
 public:
  LogImpl(const Paths& p, const OpenOptions& o, note::Signer signer, std::unique_ptr<DataDirLock> lock)
      : paths_(p), opts_(o), env_(o.env), signer_(std::move(signer)), lock_(std::move(lock)),
        reader_(o.env, p.log_dir) {}
  ~LogImpl() override { (void)close(); }

  Status recover();

  uint64_t size() const override { return reader_.size(); }
  Result<std::string> checkpoint() const override { return reader_.checkpoint(); }
  Result<merkle::Hash> root_hash(uint64_t s) const override { return reader_.root_hash(s); }
  Result<std::string> entry(uint64_t i) const override { return reader_.entry(i); }
  Status for_each_entry(uint64_t b, uint64_t e,
                        const std::function<Status(uint64_t, std::string_view)>& fn) const override {
    return reader_.for_each_entry(b, e, fn);
  }
  Result<std::vector<merkle::Hash>> inclusion_proof(uint64_t i, uint64_t s) const override {
    return reader_.inclusion_proof(i, s);
  }
  Result<std::vector<merkle::Hash>> consistency_proof(uint64_t a, uint64_t b) const override {
    return reader_.consistency_proof(a, b);
  }
  std::string verifier_key() const override { return signer_.verifier_key(); }

  Result<uint64_t> append_batch(std::span<const std::string> entries) override;
  Status close() override;

 private:
  struct Request {
    std::span<const std::string> entries;
    uint64_t bytes = 0;
    uint64_t first = 0;
    std::optional<Error> error;
    bool done = false;
  };

  Status commit(std::vector<Request*>& group);
  Status integrate_record(std::span<const std::string_view> entries);
  Status publish_checkpoint(Durability d);
  Status rotate_journal();
  Status write_public(const std::string& rel, std::string_view data);
  Status load_edge(uint64_t size);

  Paths paths_;
  OpenOptions opts_;
  Env* env_;
  note::Signer signer_;
  std::unique_ptr<DataDirLock> lock_;
  TileReader reader_;

  // Writer state: touched only by the current commit leader (or by recover()/close()).
  TileBuilder builder_;
  std::vector<std::string> bundle_;  // entries of the incomplete entry bundle
  uint64_t journal_base_ = 0;
  std::unique_ptr<AppendFile> journal_;
  uint64_t journal_bytes_ = 0;
  std::set<std::string> dirs_made_;
  std::set<std::string> dirty_files_;                    // written since the last rotation
  std::vector<std::string> completed_partial_dirs_;       // ".p" dirs of tiles now full

  // Group commit.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request*> queue_;
  bool leader_active_ = false;
  bool closed_ = false;
  std::optional<Error> failed_;
};

Status LogImpl::write_public(const std::string& rel, std::string_view data) {
  std::string path = join_path(paths_.log_dir, rel);
  std::string dir = dir_name(path);
  if (!dirs_made_.count(dir)) {
    TL_TRY(env_->create_dirs(dir));
    dirs_made_.insert(dir);
  }
  TL_TRY(env_->write_file_atomic(path, data, Durability::kNoSync));
  dirty_files_.insert(rel);
  return ok();
}

Status LogImpl::load_edge(uint64_t size) {
  auto read_edge = [&](const std::string& rel) -> Result<std::string> {
    auto data = env_->read_file(join_path(paths_.log_dir, rel));
    if (!data) return std::unexpected(with_context(data.error(), "restoring the right edge at size " + std::to_string(size)));
    return data;
  };
  std::vector<std::vector<merkle::Hash>> edges(kMaxTileLevels);
  for (unsigned l = 0; l < kMaxTileLevels; ++l) {
    uint64_t count = size >> (kTileHeight * l);
    uint64_t w = count % kTileWidth;
    if (w == 0) continue;
    std::string rel = tile_path(l, count / kTileWidth, w);
    TL_ASSIGN_OR_RETURN(std::string data, read_edge(rel));
    TL_ASSIGN_OR_RETURN(edges[l], parse_tile(data, w, rel));
  }
  TL_ASSIGN_OR_RETURN(builder_, TileBuilder::restore(size, std::move(edges)));
  bundle_.clear();
  if (uint64_t w = size % kTileWidth; w != 0) {
    std::string rel = bundle_path(size / kTileWidth, w);
    TL_ASSIGN_OR_RETURN(std::string data, read_edge(rel));
    TL_ASSIGN_OR_RETURN(auto entries, parse_bundle(data, w, rel));
    for (auto e : entries) bundle_.emplace_back(e);
  }
  return ok();
}

Status LogImpl::integrate_record(std::span<const std::string_view> entries) {
  std::array<uint64_t, kMaxTileLevels> before;
  for (unsigned l = 0; l < kMaxTileLevels; ++l) before[l] = builder_.count(l);
  auto on_full = [this](unsigned level, uint64_t n, std::span<const merkle::Hash> hashes) -> Status {
    TL_TRY(write_public(tile_path(level, n, kTileWidth), encode_tile(hashes)));
    completed_partial_dirs_.push_back(tile_partials_dir(level, n));
    return ok();
  };
  for (std::string_view e : entries) {
    uint64_t index = builder_.size();
    bundle_.emplace_back(e);
    if (bundle_.size() == kTileWidth) {
      uint64_t n = index / kTileWidth;
      TL_TRY(write_public(bundle_path(n, kTileWidth), encode_bundle(bundle_)));
      completed_partial_dirs_.push_back(bundle_partials_dir(n));
      bundle_.clear();
    }
    TL_TRY(builder_.add_leaf(merkle::leaf_hash(e), on_full));
  }
  uint64_t size = builder_.size();
  if (!bundle_.empty() && !entries.empty()) {
    TL_TRY(write_public(bundle_path(size / kTileWidth, bundle_.size()), encode_bundle(bundle_)));
  }
  for (unsigned l = 0; l < kMaxTileLevels; ++l) {
    uint64_t count = builder_.count(l);
    if (count == before[l] || count % kTileWidth == 0) continue;
    TL_TRY(write_public(tile_path(l, count / kTileWidth, count % kTileWidth), encode_tile(builder_.edge(l))));
  }
  return ok();
}

Status LogImpl::publish_checkpoint(Durability d) {
  note::Checkpoint c;
  c.origin = signer_.name();
  c.size = builder_.size();
  c.root = builder_.root();
  TL_ASSIGN_OR_RETURN(std::string signed_cp, note::sign_checkpoint(c, signer_));
  TL_TRY(env_->write_file_atomic(join_path(paths_.log_dir, "checkpoint"), signed_cp, d));
  reader_.publish(c.size, std::move(signed_cp));
  return ok();
}

Status LogImpl::rotate_journal() {
  // 1. Make every tile and bundle written since the last rotation durable (except partials
  //    about to be deleted), so the state at the new base never depends on the journal.
  std::set<std::string> doomed(completed_partial_dirs_.begin(), completed_partial_dirs_.end());
  std::set<std::string> dirs;
  // On the real file system one syncfs() (a single journal commit) replaces hundreds of
  // fsyncs; injected Envs (tests) get the portable per-file path below.
  if (env_ == &Env::posix()) {
    int fd = ::open(paths_.log_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return err(ErrorCode::kIo, "open " + paths_.log_dir + ": " + std::strerror(errno));
    int r = ::syncfs(fd);
    int e = errno;
    ::close(fd);
    if (r != 0) return err(ErrorCode::kIo, "syncfs " + paths_.log_dir + ": " + std::strerror(e));
  }
  for (const std::string& rel : env_ == &Env::posix() ? std::set<std::string>{} : dirty_files_) {
    if (doomed.count(dir_name(rel))) continue;
    std::string path = join_path(paths_.log_dir, rel);
    TL_ASSIGN_OR_RETURN(auto f, env_->open_append(path));
    TL_TRY(f->sync());
    TL_TRY(f->close());
    for (std::string d = dir_name(path); d.size() > paths_.data_dir.size(); d = dir_name(d)) {
      if (!dirs.insert(d).second) break;
    }
  }
  dirs.insert(paths_.log_dir);
  for (const std::string& d : dirs) TL_TRY(env_->sync_dir(d));
  TL_TRY(env_->write_file_atomic(join_path(paths_.log_dir, "checkpoint"), reader_.checkpoint().value(),
                                 Durability::kSync));
  // 2. Start the new journal, then drop the old one.
  uint64_t base = builder_.size();
  std::string old_path = join_path(paths_.journal_dir, journal_name(journal_base_));
  std::string new_path = join_path(paths_.journal_dir, journal_name(base));
  if (new_path != old_path) {
    TL_TRY(journal_->close());
    TL_ASSIGN_OR_RETURN(journal_, env_->open_append(new_path));
    TL_TRY(journal_->sync());
    TL_TRY(env_->sync_dir(paths_.journal_dir));
    TL_TRY(env_->remove_file(old_path));
    journal_base_ = base;
    journal_bytes_ = 0;
  }
  // 3. Partials of full tiles are superseded: delete them (their directories stay, empty).
  for (const std::string& rel : doomed) {
    std::string dir = join_path(paths_.log_dir, rel);
    auto names = env_->list_dir(dir);
    if (!names) continue;
    for (const auto& n : *names) TL_TRY(env_->remove_file(join_path(dir, n)));
  }
  completed_partial_dirs_.clear();
  dirty_files_.clear();
  return ok();
}

Status LogImpl::recover() {
  TL_TRY(env_->create_dirs(paths_.journal_dir));
  // The checkpoint on disk, if any, must be signed by our key.
  std::optional<note::Checkpoint> on_disk;
  std::string cp_path = join_path(paths_.log_dir, "checkpoint");
  std::string cp_text;
  if (env_->exists(cp_path)) {
    TL_ASSIGN_OR_RETURN(cp_text, env_->read_file(cp_path));
    auto c = note::open_checkpoint(cp_text, signer_.verifier());
    if (!c) return std::unexpected(with_context(c.error(), cp_path));
    on_disk = *c;
  }
  // The newest journal; older ones are leftovers of an interrupted rotation.
  TL_ASSIGN_OR_RETURN(auto names, env_->list_dir(paths_.journal_dir));
  std::optional<uint64_t> base;
  for (const auto& n : names) {
    if (auto b = parse_journal_name(n); b && (!base || *b > *base)) base = b;
  }
  if (!base) {
    if (on_disk && on_disk->size > 0) {
      return err(ErrorCode::kCorrupt, "no journal in " + paths_.journal_dir + " for a log of size " +
                                          std::to_string(on_disk->size));
    }
    base = 0;
  }
  for (const auto& n : names) {
    if (auto b = parse_journal_name(n); b && *b != *base) TL_TRY(env_->remove_file(join_path(paths_.journal_dir, n)));
  }
  journal_base_ = *base;
  TL_TRY(load_edge(journal_base_));
  std::string jpath = join_path(paths_.journal_dir, journal_name(journal_base_));
  std::string jdata;
  if (env_->exists(jpath)) {
    TL_ASSIGN_OR_RETURN(jdata, env_->read_file(jpath));
  }
  size_t valid_end = 0;
  TL_ASSIGN_OR_RETURN(auto records, parse_journal(jdata, jpath, &valid_end));
  for (const auto& r : records) {
    if (r.first != builder_.size()) {
      return err(ErrorCode::kCorrupt, jpath + ": record starts at index " + std::to_string(r.first) + ", expected " +
                                          std::to_string(builder_.size()));
    }
    TL_TRY(integrate_record(r.entries));
  }
  if (valid_end < jdata.size()) TL_TRY(env_->truncate(jpath, valid_end));
  TL_ASSIGN_OR_RETURN(journal_, env_->open_append(jpath));
  if (valid_end < jdata.size() || jdata.empty()) {
    TL_TRY(journal_->sync());
    TL_TRY(env_->sync_dir(paths_.journal_dir));
  }
  journal_bytes_ = valid_end;

  uint64_t size = builder_.size();
  reader_.publish(size, cp_text);
  if (on_disk) {
    // Never sign a tree inconsistent with one we signed before.
    if (on_disk->size > size) {
      return err(ErrorCode::kCorrupt, "the checkpoint is at size " + std::to_string(on_disk->size) +
                                          " but the journal and tiles hold only " + std::to_string(size) +
                                          " entries: refusing to continue (entries were lost)");
    }
    auto root = on_disk->size == size ? Result<merkle::Hash>(builder_.root()) : reader_.root_hash(on_disk->size);
    if (!root) return std::unexpected(with_context(root.error(), "checking the checkpoint against the tiles"));
    if (*root != on_disk->root) {
      return err(ErrorCode::kCorrupt, "the checkpoint at size " + std::to_string(on_disk->size) +
                                          " does not match the tree rebuilt from the journal and tiles: refusing to sign");
    }
    if (on_disk->size == size) return ok();
  }
  return publish_checkpoint(Durability::kSync);
}

Result<uint64_t> LogImpl::append_batch(std::span<const std::string> entries) {
  Request req;
  req.entries = entries;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].size() > kMaxEntrySize) {
      return err(ErrorCode::kInvalidArgument, "entry " + std::to_string(i) + " of the batch is " +
                                                  std::to_string(entries[i].size()) + " bytes; the limit is " +
                                                  std::to_string(kMaxEntrySize));
    }
    req.bytes += 2 + entries[i].size();
  }
  std::unique_lock lock(mu_);
  if (closed_) return err(ErrorCode::kFailedPrecondition, "append to a closed log");
  if (failed_) return std::unexpected(*failed_);
  if (entries.empty()) return reader_.size();
  queue_.push_back(&req);
  while (!req.done) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    // Become the leader: sequence everything queued (up to the batch limit) as one record.
    leader_active_ = true;
    std::vector<Request*> group;
    uint64_t bytes = 0;
    while (!queue_.empty() && (group.empty() || bytes + queue_.front()->bytes <= opts_.max_batch_bytes)) {
      bytes += queue_.front()->bytes;
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    std::optional<Error> prior = failed_;
    lock.unlock();
    Status s = prior ? Status(std::unexpected(*prior)) : commit(group);
    lock.lock();
    if (!s && !failed_) failed_ = s.error();
    for (Request* r : group) {
      if (!s) r->error = s.error();
      r->done = true;
    }
    leader_active_ = false;
    cv_.notify_all();
  }
  if (req.error) return std::unexpected(*req.error);
  return req.first;
}

Status LogImpl::commit(std::vector<Request*>& group) {
  std::vector<std::string_view> all;
  uint64_t next = builder_.size();
  for (Request* r : group) {
    r->first = next;
    next += r->entries.size();
    for (const auto& e : r->entries) all.push_back(e);
  }
  std::string record = encode_record(builder_.size(), all);
  TL_TRY(journal_->append(record));
  TL_TRY(journal_->sync());
  journal_bytes_ += record.size();
  TL_TRY(integrate_record(all));
  TL_TRY(publish_checkpoint(Durability::kNoSync));
  if (journal_bytes_ >= opts_.journal_rotate_bytes || dirty_files_.size() > 50000) TL_TRY(rotate_journal());
  return ok();
}

Status LogImpl::close() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !leader_active_; });
  if (closed_) return ok();
  closed_ = true;
  Status s = ok();
  if (journal_) s = journal_->close();
  lock_.reset();
  return s;
}

}  // namespace

Result<uint64_t> Log::append(std::string_view entry) {
  std::string e(entry);
  return append_batch(std::span<const std::string>(&e, 1));
}

Result<std::unique_ptr<Log>> Log::open(const std::string& data_dir, const OpenOptions& o) {
  Paths p(data_dir);
  Env* env = o.env;
  if (!env->exists(p.key)) {
    return err(ErrorCode::kFailedPrecondition, "no log in " + data_dir + " (" + p.key + " is missing; run tallylog init)");
  }
  // One process appends at a time: the data directory's lock, held while the Log lives.
  TL_ASSIGN_OR_RETURN(auto lock, DataDirLock::try_acquire(data_dir));
  TL_ASSIGN_OR_RETURN(std::string skey, env->read_file(p.key));
  auto signer = note::Signer::parse(trim_newline(skey));
  if (!signer) return err(signer.error().code, p.key + ": " + signer.error().message);
  auto log = std::make_unique<LogImpl>(p, o, std::move(*signer), std::move(lock));
  if (auto s = log->recover(); !s) return std::unexpected(with_context(s.error(), "opening the log in " + data_dir));
  return std::unique_ptr<Log>(std::move(log));
}

Result<std::unique_ptr<Log>> Log::create(const std::string& data_dir, const CreateOptions& c, const OpenOptions& o) {
  Paths p(data_dir);
  Env* env = o.env;
  TL_TRY(note::check_origin(c.origin));
  if (auto s = note::check_key_name(c.origin); !s) {
    return err(ErrorCode::kInvalidArgument, "origin \"" + c.origin + "\" must also be a valid key name: " + s.error().message);
  }
  if (env->exists(p.key) || env->exists(join_path(p.log_dir, "checkpoint"))) {
    return err(ErrorCode::kAlreadyExists, "a log already exists in " + data_dir);
  }
  TL_TRY(env->create_dirs(p.log_dir));
  TL_TRY(env->create_dirs(p.journal_dir));
  TL_ASSIGN_OR_RETURN(auto signer, note::Signer::generate(c.origin));
  TL_TRY(env->write_new_file_private(p.key, signer.private_key_text() + "\n", 0600));
  TL_TRY(env->write_file_atomic(p.vkey, signer.verifier_key() + "\n", Durability::kSync));
  {
    TL_ASSIGN_OR_RETURN(auto j, env->open_append(join_path(p.journal_dir, journal_name(0))));
    TL_TRY(j->sync());
    TL_TRY(j->close());
  }
  TL_TRY(env->sync_dir(p.journal_dir));
  TL_TRY(env->sync_dir(p.data_dir));
  return open(data_dir, o);
}

Result<std::unique_ptr<LogReader>> open_reader(const std::string& data_dir, const OpenOptions& o) {
  Paths p(data_dir);
  Env* env = o.env;
  TL_ASSIGN_OR_RETURN(std::string vkey, env->read_file(p.vkey));
  auto v = note::Verifier::parse(trim_newline(vkey));
  if (!v) return err(v.error().code, p.vkey + ": " + v.error().message);
  std::string cp_path = join_path(p.log_dir, "checkpoint");
  TL_ASSIGN_OR_RETURN(std::string cp, env->read_file(cp_path));
  auto c = note::open_checkpoint(cp, *v);
  if (!c) return std::unexpected(with_context(c.error(), cp_path));
  auto r = std::make_unique<TileReader>(env, p.log_dir);
  r->publish(c->size, cp);
  return std::unique_ptr<LogReader>(std::move(r));
}

}  // namespace tallylog::log
