// The appender: sequence (journal record + fdatasync, group-committed) -> acknowledge ->
// integrate (entry bundles and hash tiles) -> make durable -> sign one checkpoint -> publish,
// the last four on a background publisher that batches everything sequenced since its last run.
// See log.h and docs/formats/log.md ("Append, crash and recovery").
//
// Durability argument. An entry is acknowledged only once its journal record is durable. The
// publisher makes tiles and bundles durable (LogStorage::make_durable) before it writes the
// checkpoint (durably too), and only then releases the journal entries below the published
// size. So every entry ever acknowledged is either in the journal or durable in tiles, and the
// tiles of every size from the journal's first entry on can be rebuilt from the journal.
//
// open() (recover): restores the right edge at the journal's first entry from the stored tiles
// (any stored file of that tile at least as wide), integrates the whole journal in ONE pass —
// full files are compared with what is stored (write-once: a stored file with different bytes is
// reported, never rewritten), only the partials of the final size are new — so restart time
// depends on the journal's size, not on how many checkpoints were published. It then checks what
// is stored against the rebuilt tree (OpenOptions::check, full by default) and the checkpoint on
// disk: a valid one must be a prefix of the rebuilt tree (never sign a tree inconsistent with a
// checkpoint signed before; one larger than what the journal and tiles hold means entries were
// lost: refuse); a torn, empty or missing one is rebuilt and signed anew. Every checkpoint ever
// signed was for a prefix of acknowledged entries, so the rebuilt tree extends it.
#include "tallylog/log/log.h"

#include "tallylog/log/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "tallylog/log/integrate.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/log/journal.h"
#include "tallylog/log/storage.h"
#include "tallylog/log/tile_reader.h"
#include "tallylog/log/tiles.h"
#include "tallylog/log/verify.h"
#include "tallylog/note/checkpoint.h"
#include "tallylog/note/note.h"

namespace tallylog::log {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string trim_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct Paths {
  explicit Paths(const std::string& data)
      : data_dir(data),
        log_dir(join_path(data, "log")),
        journal_dir(join_path(data, "journal")),
        staging_dir(join_path(data, "staging")),
        key(join_path(data, "log.key")),
        vkey(join_path(data, "log.vkey")),
        lock(join_path(data, "lock")) {}
  std::string data_dir, log_dir, journal_dir, staging_dir, key, vkey, lock;
};

// The clean-close note: "clean <size> <root hex> <storage fingerprint>\n"; empty (no note) when
// the storage cannot fingerprint what it holds.
Result<std::string> clean_note_text(const LogStorage& storage, uint64_t size, const merkle::Hash& root) {
  TL_ASSIGN_OR_RETURN(std::string fp, storage.fingerprint());
  if (fp.empty()) return std::string();
  return "clean " + std::to_string(size) + " " + merkle::hash_hex(root) + " " + fp + "\n";
}

// Entries durable in the journal, waiting for the publisher (a copy: callers' buffers go away).
struct Pending {
  uint64_t first = 0;
  std::string data;
  std::vector<uint32_t> ends;  // end offset of each entry in data
  std::vector<std::string_view> entries() const {
    std::vector<std::string_view> out;
    out.reserve(ends.size());
    uint32_t begin = 0;
    for (uint32_t e : ends) {
      out.emplace_back(data.data() + begin, e - begin);
      begin = e;
    }
    return out;
  }
};

// Runs the cosigning hook on its own thread so that the publisher can stop waiting for it.
class Cosigner {
 public:
  using Hook = std::function<Result<std::string>(const std::string&)>;
  explicit Cosigner(Hook hook) : hook_(std::move(hook)), thread_([this] { loop(); }) {}
  ~Cosigner() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // The hook's answer for `note` within `deadline`; nullopt if it is still busy with an earlier
  // note or does not answer in time (its late answer is then dropped).
  std::optional<Result<std::string>> run(const std::string& note, std::chrono::milliseconds deadline) {
    std::unique_lock lock(mu_);
    if (busy_) return std::nullopt;
    busy_ = true;
    input_ = note;
    uint64_t ticket = ++issued_;
    cv_.notify_all();
    if (!cv_.wait_for(lock, deadline, [&] { return answered_ == ticket; })) return std::nullopt;
    return std::move(output_);
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || input_.has_value(); });
      if (input_) {
        std::string note = std::move(*input_);
        input_.reset();
        uint64_t ticket = issued_;
        lock.unlock();
        Result<std::string> r = err(ErrorCode::kInternal, "cosigning hook threw");
        try {
          r = hook_(note);
        } catch (const std::exception& e) {
          r = err(ErrorCode::kInternal, std::string("cosigning hook threw: ") + e.what());
        }
        lock.lock();
        output_ = std::move(r);
        answered_ = ticket;
        busy_ = false;
        cv_.notify_all();
        continue;
      }
      if (stop_) return;
    }
  }

  Hook hook_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::string> input_;
  std::optional<Result<std::string>> output_;
  uint64_t issued_ = 0, answered_ = 0;
  bool busy_ = false, stop_ = false;
  std::thread thread_;
};

class LogImpl final : public Log {
 public:
  LogImpl(const Paths& p, const OpenOptions& o, note::Signer signer, std::unique_ptr<DataDirLock> lock,
          std::shared_ptr<LogStorage> storage, std::shared_ptr<Journal> journal)
      : paths_(p), opts_(o), signer_(std::move(signer)), lock_(std::move(lock)), storage_(std::move(storage)),
        journal_(std::move(journal)), reader_(storage_) {
    if (opts_.cosign) cosigner_ = std::make_unique<Cosigner>(opts_.cosign);
  }
  ~LogImpl() override { (void)close(); }

  Status recover();
  void start() { publisher_ = std::thread([this] { publisher_loop(); }); }

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
  Result<std::string> await_checkpoint(uint64_t size, std::chrono::milliseconds timeout) const override;
  std::string verifier_key() const override { return signer_.verifier_key(); }

  Result<uint64_t> append_batch(std::span<const std::string> entries) override;
  uint64_t sequenced_size() const override {
    std::lock_guard lock(mu_);
    return sequenced_;
  }
  Result<std::string> publish_now() override;
  Status close() override;

 private:
  struct Request {
    std::span<const std::string> entries;
    uint64_t bytes = 0;
    uint64_t first = 0;
    std::optional<Error> error;
    bool done = false;
  };

  void notice(std::string_view line) const { opts_.notice(line); }
  Status commit(std::vector<Request*>& group, uint64_t first);
  // Integrates entries, staging each full file; collects the partial directories they supersede.
  Status integrate(std::span<const std::string_view> entries, std::vector<std::string>& superseded);
  Status stage_partials();
  Result<std::string> sign(uint64_t size, const merkle::Hash& root);
  std::string cosigned(const std::string& own);
  Status remove_superseded(const std::vector<std::string>& dirs);
  void publisher_loop();
  Status publish_batch(std::deque<Pending>& batch);
  Status cosign_opened();
  Result<std::string> read_at_least(unsigned level, uint64_t n, uint64_t width);

  Paths paths_;
  OpenOptions opts_;
  note::Signer signer_;
  std::unique_ptr<DataDirLock> lock_;
  std::shared_ptr<LogStorage> storage_;
  std::shared_ptr<Journal> journal_;
  TileReader reader_;
  std::unique_ptr<Cosigner> cosigner_;

  // Publisher state: touched only by recover() and then the publisher thread.
  Integrator integ_;

  mutable std::mutex mu_;
  // Group commit.
  std::condition_variable commit_cv_;
  std::deque<Request*> queue_;
  bool leader_active_ = false;
  bool closed_ = false;
  std::optional<Error> failed_;
  uint64_t sequenced_ = 0;  // next index to sequence
  // Publication.
  std::condition_variable publisher_cv_;         // wakes the publisher
  mutable std::condition_variable published_cv_;  // wakes awaiters and back-pressured appends
  std::deque<Pending> pending_;
  uint64_t unpublished_bytes_ = 0;
  uint64_t published_ = 0;
  bool flush_ = false, stopping_ = false;
  std::optional<Error> publish_error_;
  SteadyClock::time_point next_publish_ = SteadyClock::time_point::min();
  std::thread publisher_;
  bool recovered_ = false;  // recover() succeeded (a log that failed to open writes no clean note)
  // The publisher first asks the witnesses to cosign the checkpoint the log opened with.
  bool cosign_opened_ = false;
};

Result<std::string> LogImpl::read_at_least(unsigned level, uint64_t n, uint64_t width) {
  bool bundle = level == Integrator::kEntriesLevel;
  auto path = [&](uint64_t w) { return bundle ? bundle_path(n, w) : tile_path(level, n, w); };
  auto r = storage_->read(path(width));
  if (r || r.error().code != ErrorCode::kNotFound) return r;
  r = storage_->read(path(kTileWidth));
  if (r || r.error().code != ErrorCode::kNotFound) return r;
  // Neither the partial of that width nor the full file: a wider partial (published later).
  TL_ASSIGN_OR_RETURN(auto names, storage_->list(bundle ? bundle_partials_dir(n) : tile_partials_dir(level, n)));
  uint64_t best = 0;
  for (const auto& name : names) {
    uint64_t w = 0;
    if (name.empty() || name.size() > 3 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    w = std::stoull(name);
    if (w > width && w < kTileWidth && (best == 0 || w < best)) best = w;
  }
  if (best == 0) return err(ErrorCode::kNotFound, path(width) + " is missing (nor is there a wider or full file)");
  return storage_->read(path(best));
}

Status LogImpl::integrate(std::span<const std::string_view> entries, std::vector<std::string>& superseded) {
  return integ_.add(entries, [&](TileFile&& f) -> Status {
    TL_TRY(storage_->write_once(f.path, f.data));
    superseded.push_back(std::move(f.superseded_partials));
    return ok();
  });
}

Status LogImpl::stage_partials() {
  for (const auto& f : integ_.partials()) TL_TRY(storage_->write_once(f.path, f.data));
  return ok();
}

Result<std::string> LogImpl::sign(uint64_t size, const merkle::Hash& root) {
  note::Checkpoint c;
  c.origin = signer_.name();
  c.size = size;
  c.root = root;
  return note::sign_checkpoint(c, signer_);
}

std::string LogImpl::cosigned(const std::string& own) {
  if (!cosigner_) return own;
  auto answer = cosigner_->run(own, opts_.cosign_deadline);
  if (!answer) {
    notice("cosigning hook did not answer within " + std::to_string(opts_.cosign_deadline.count()) +
           " ms; publishing the checkpoint with the log's signature only");
    return own;
  }
  if (!*answer) {
    notice("cosigning hook failed (" + answer->error().to_string() + "); publishing the log's signature only");
    return own;
  }
  const std::string& theirs = **answer;
  auto opened = note::open_checkpoint(theirs, signer_.verifier());
  auto a = note::parse_note(theirs), b = note::parse_note(own);
  if (!opened || !a || !b || a->text != b->text) {
    notice("cosigning hook returned a note that is not the log's checkpoint with extra signatures" +
           (opened ? std::string() : " (" + opened.error().to_string() + ")") + "; publishing the log's signature only");
    return own;
  }
  return theirs;
}

Status LogImpl::remove_superseded(const std::vector<std::string>& dirs) {
  for (const auto& dir : dirs) {
    TL_ASSIGN_OR_RETURN(auto names, storage_->list(dir));
    for (const auto& n : names) TL_TRY(storage_->remove(dir + "/" + n));
  }
  return ok();
}

Status LogImpl::recover() {
  const uint64_t base = journal_->begin();
  TL_ASSIGN_OR_RETURN(integ_, Integrator::restore(base, [this](unsigned l, uint64_t n, uint64_t w) {
                        return read_at_least(l, n, w);
                      }));
  std::vector<std::string> superseded;
  TL_TRY(journal_->replay(base, [&](uint64_t first, std::span<const std::string_view> entries) -> Status {
    uint64_t skip = integ_.size() - first;  // a record may start before the journal's first entry
    if (first > integ_.size() || skip > entries.size()) {
      return err(ErrorCode::kInternal, "journal record at " + std::to_string(first) + " does not follow " +
                                           std::to_string(integ_.size()));
    }
    return integrate(entries.subspan(skip), superseded);
  }));
  const uint64_t size = integ_.size();
  if (size != journal_->end()) return err(ErrorCode::kInternal, "journal replay ended at " + std::to_string(size));
  TL_TRY(stage_partials());
  TL_TRY(storage_->make_durable());
  const merkle::Hash root = integ_.root();

  // The checkpoint on disk: a valid one must be a prefix of the rebuilt tree.
  std::optional<note::Checkpoint> on_disk;
  std::string cp_text;
  if (auto text = storage_->read("checkpoint"); text) {
    if (auto c = note::open_checkpoint(*text, signer_.verifier()); c) {
      on_disk = *c;
      cp_text = std::move(*text);
    } else {
      notice("log/checkpoint is torn or unreadable (" + c.error().to_string() +
             "): rebuilding it from the tiles and the journal");
    }
  } else if (text.error().code == ErrorCode::kNotFound) {
    if (size > 0) notice("log/checkpoint is missing: rebuilding it from the tiles and the journal");
  } else {
    return std::unexpected(with_context(text.error(), "reading the checkpoint"));
  }
  if (on_disk && on_disk->size > size) {
    return err(ErrorCode::kCorrupt, "the checkpoint is at size " + std::to_string(on_disk->size) +
                                        " but the journal and tiles hold only " + std::to_string(size) +
                                        " entries: refusing to continue (entries were lost)");
  }
  std::optional<TreeHead> previous;
  if (on_disk) previous = TreeHead{on_disk->size, on_disk->root};
  // A clean close left a note naming the tree head it published after checking (at its own open)
  // or writing everything below it. When the checkpoint on disk and the tree rebuilt from the
  // journal are still exactly that head, nothing is new since: the recent checks below suffice
  // (issue 16: open time proportional to what is new, not to the log). The note is consumed.
  // The storage's fingerprint (every file's name, size, times and inode) must also be the one
  // recorded then: a file replaced or rewritten since makes this open check everything again.
  TL_ASSIGN_OR_RETURN(std::string clean, journal_->clean_note());
  bool clean_close = false;
  if (!clean.empty()) {
    if (on_disk && on_disk->size == size && on_disk->root == root) {
      TL_ASSIGN_OR_RETURN(std::string now, clean_note_text(*storage_, size, root));
      clean_close = !now.empty() && now == clean;
    }
    TL_TRY(journal_->set_clean_note(""));
  }
  if (opts_.check == OpenCheck::kFull && !clean_close) {
    auto files = storage_log_files(*storage_);
    auto report = verify_tree(*files, TreeHead{size, root}, previous);
    if (!report) {
      return std::unexpected(with_context(report.error(), "the stored log disagrees with the tree rebuilt from its "
                                                          "journal; refusing to open it for writing"));
    }
    superseded.insert(superseded.end(), report->superseded_partials.begin(), report->superseded_partials.end());
    for (auto& p : superseded) {
      if (!p.ends_with(".p")) p = dir_name(p);  // report paths are files: their directory
    }
  } else if (on_disk) {
    reader_.publish(size, root, "");
    auto r = reader_.root_hash(on_disk->size);
    if (!r) return std::unexpected(with_context(r.error(), "checking the checkpoint against the tiles"));
    if (*r != on_disk->root) {
      return err(ErrorCode::kCorrupt, "the checkpoint at size " + std::to_string(on_disk->size) +
                                          " does not match the tree rebuilt from the journal and tiles: refusing to sign");
    }
  }
  if (!on_disk || on_disk->size != size) {
    TL_ASSIGN_OR_RETURN(cp_text, sign(size, root));
    TL_TRY(storage_->write_checkpoint(cp_text));
  }
  reader_.publish(size, root, cp_text);
  TL_TRY(remove_superseded(superseded));
  TL_TRY(journal_->release(size));
  published_ = sequenced_ = size;
  recovered_ = true;
  cosign_opened_ = cosigner_ && size > 0;
  return ok();
}

// A log opened with witnesses first asks them to cosign the checkpoint it opened with. Without
// this, a log that no longer grows (the count is over, or the server was restarted with new
// witnesses) would serve its checkpoint without their cosignatures for as long as nothing is
// appended. The note on disk is replaced only by one carrying more signatures (it may hold
// cosignatures of witnesses that are down now); the witnesses' status shows this round either way.
Status LogImpl::cosign_opened() {
  const uint64_t size = integ_.size();
  const merkle::Hash root = integ_.root();
  TL_ASSIGN_OR_RETURN(std::string own, sign(size, root));
  std::string note = cosigned(own);
  TL_ASSIGN_OR_RETURN(std::string current, reader_.checkpoint());
  auto now = note::parse_note(note), before = note::parse_note(current);
  if (!now || (before && now->signatures.size() <= before->signatures.size())) return ok();
  TL_TRY(storage_->write_checkpoint(note));
  reader_.publish(size, root, std::move(note));
  return ok();
}

void LogImpl::publisher_loop() {
  std::unique_lock lock(mu_);
  if (cosign_opened_) {  // before any new batch, which then waits at most the cosign deadline
    lock.unlock();
    Status s = cosign_opened();
    lock.lock();
    if (!s) {
      publish_error_ =
          with_context(s.error(), "publishing the opened checkpoint with cosignatures");
      if (!failed_) failed_ = publish_error_;
      published_cv_.notify_all();
    }
  }
  for (;;) {
    if (publish_error_) return;
    if (pending_.empty()) {
      if (stopping_) return;
      publisher_cv_.wait(lock);
      continue;
    }
    if (!stopping_ && !flush_ && SteadyClock::now() < next_publish_) {
      publisher_cv_.wait_until(lock, next_publish_);
      continue;
    }
    std::deque<Pending> batch;
    batch.swap(pending_);
    flush_ = false;
    uint64_t bytes = 0;
    for (const auto& p : batch) bytes += p.data.size();
    lock.unlock();
    Status s = publish_batch(batch);
    lock.lock();
    unpublished_bytes_ -= bytes;
    next_publish_ = SteadyClock::now() + opts_.checkpoint_interval;
    if (s) {
      published_ = integ_.size();
    } else {
      publish_error_ = with_context(s.error(), "publishing a checkpoint");
      if (!failed_) failed_ = publish_error_;
    }
    published_cv_.notify_all();
  }
}

Status LogImpl::publish_batch(std::deque<Pending>& batch) {
  std::vector<std::string> superseded;
  for (const auto& p : batch) {
    if (p.first != integ_.size()) return err(ErrorCode::kInternal, "publisher out of order");
    TL_TRY(integrate(p.entries(), superseded));
  }
  TL_TRY(stage_partials());
  TL_TRY(storage_->make_durable());
  const uint64_t size = integ_.size();
  const merkle::Hash root = integ_.root();
  TL_ASSIGN_OR_RETURN(std::string own, sign(size, root));
  std::string note = cosigned(own);
  TL_TRY(storage_->write_checkpoint(note));
  reader_.publish(size, root, std::move(note));
  // Clients holding older checkpoints read the full files now (tlog-tiles allows deleting a
  // partial once the full tile is available); the journal no longer needs what is published.
  TL_TRY(remove_superseded(superseded));
  return journal_->release(size);
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
  if (entries.empty()) return sequenced_;
  queue_.push_back(&req);
  while (!req.done) {
    if (leader_active_) {
      commit_cv_.wait(lock);
      continue;
    }
    // Become the leader: sequence everything queued (up to the batch limit) as one record,
    // once the publisher has room for it.
    leader_active_ = true;
    published_cv_.wait(lock, [&] {
      return unpublished_bytes_ < opts_.max_unpublished_bytes || publish_error_.has_value();
    });
    std::vector<Request*> group;
    uint64_t bytes = 0;
    while (!queue_.empty() && (group.empty() || bytes + queue_.front()->bytes <= opts_.max_batch_bytes)) {
      bytes += queue_.front()->bytes;
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    std::optional<Error> prior = failed_;
    uint64_t first = sequenced_;
    lock.unlock();
    Status s = prior ? Status(std::unexpected(*prior)) : commit(group, first);
    lock.lock();
    if (!s && !failed_) failed_ = s.error();
    for (Request* r : group) {
      if (!s) r->error = s.error();
      r->done = true;
    }
    leader_active_ = false;
    commit_cv_.notify_all();
  }
  if (req.error) return std::unexpected(*req.error);
  return req.first;
}

Status LogImpl::commit(std::vector<Request*>& group, uint64_t first) {
  Pending p;
  p.first = first;
  std::vector<std::string_view> all;
  uint64_t next = first;
  for (Request* r : group) {
    r->first = next;
    next += r->entries.size();
    for (const auto& e : r->entries) {
      all.push_back(e);
      p.data += e;
      p.ends.push_back(static_cast<uint32_t>(p.data.size()));
    }
  }
  TL_TRY(journal_->append(first, all));
  std::lock_guard lock(mu_);
  sequenced_ = next;
  unpublished_bytes_ += p.data.size();
  pending_.push_back(std::move(p));
  publisher_cv_.notify_all();
  return ok();
}

Result<std::string> LogImpl::await_checkpoint(uint64_t size, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  if (size > sequenced_) {
    return err(ErrorCode::kInvalidArgument, "no checkpoint can cover " + std::to_string(size) + " entries: only " +
                                                std::to_string(sequenced_) + " have been appended");
  }
  published_cv_.wait_for(lock, timeout, [&] { return published_ >= size || publish_error_.has_value(); });
  if (published_ >= size) {
    lock.unlock();
    return reader_.checkpoint();
  }
  if (publish_error_) return std::unexpected(*publish_error_);
  return err(ErrorCode::kUnavailable, "no checkpoint covers " + std::to_string(size) + " entries after " +
                                          std::to_string(timeout.count()) + " ms (published: " +
                                          std::to_string(published_) + ")");
}

Result<std::string> LogImpl::publish_now() {
  uint64_t target;
  {
    std::lock_guard lock(mu_);
    target = sequenced_;
    flush_ = true;
  }
  publisher_cv_.notify_all();
  return await_checkpoint(target, std::chrono::hours(1));
}

Status LogImpl::close() {
  std::unique_lock lock(mu_);
  commit_cv_.wait(lock, [&] { return !leader_active_; });
  if (closed_) return ok();
  closed_ = true;
  stopping_ = true;
  publisher_cv_.notify_all();
  lock.unlock();
  if (publisher_.joinable()) publisher_.join();
  cosigner_.reset();
  lock.lock();
  Status s = ok();
  if (publish_error_) s = std::unexpected(*publish_error_);
  else if (published_ != sequenced_) s = err(ErrorCode::kInternal, "closing with unpublished entries");
  else if (!failed_ && recovered_) {
    // Everything this process holds was checked at open or written by it: say so for the next
    // open (still under the data directory's lock, so no other writer can come between).
    auto note = clean_note_text(*storage_, integ_.size(), integ_.root());
    s = note ? journal_->set_clean_note(*note) : Status(std::unexpected(note.error()));
  }
  lock_.reset();
  return s;
}

void print_notice(std::string_view line) { std::cerr << "tallylog: " << line << "\n"; }

}  // namespace

Result<std::string> LogReader::await_checkpoint(uint64_t size, std::chrono::milliseconds) const {
  if (this->size() >= size) return checkpoint();
  return err(ErrorCode::kUnavailable, "this reader holds a checkpoint of " + std::to_string(this->size()) +
                                          " entries and does not see new appends (open the log again)");
}

Result<uint64_t> Log::append(std::string_view entry) {
  std::string e(entry);
  return append_batch(std::span<const std::string>(&e, 1));
}

Result<std::unique_ptr<Log>> Log::open(const std::string& data_dir, const OpenOptions& options) {
  Paths p(data_dir);
  OpenOptions o = options;
  if (!o.notice) o.notice = print_notice;
  Env* env = o.env;
  if (!env->exists(p.key)) {
    return err(ErrorCode::kFailedPrecondition, "no log in " + data_dir + " (" + p.key + " is missing; run tallylog init)");
  }
  // One process appends at a time: the data directory's lock, held while the Log lives.
  TL_ASSIGN_OR_RETURN(auto lock, DataDirLock::try_acquire(data_dir));
  TL_ASSIGN_OR_RETURN(std::string skey, env->read_file(p.key));
  auto signer = note::Signer::parse(trim_newline(skey));
  if (!signer) return err(signer.error().code, p.key + ": " + signer.error().message);
  auto context = [&](const Error& e) { return std::unexpected(with_context(e, "opening the log in " + data_dir)); };
  std::shared_ptr<LogStorage> storage = o.storage;
  if (!storage) {
    auto s = posix_log_storage(*env, p.log_dir, PosixStorageOptions{p.staging_dir, o.notice});
    if (!s) return context(s.error());
    storage = std::move(*s);
  }
  std::shared_ptr<Journal> journal = o.journal;
  if (!journal) {
    auto j = open_posix_journal(*env, p.journal_dir, PosixJournalOptions{o.journal_rotate_bytes, o.notice});
    if (!j) return context(j.error());
    journal = std::move(*j);
  }
  auto log = std::make_unique<LogImpl>(p, o, std::move(*signer), std::move(lock), std::move(storage), std::move(journal));
  if (auto s = log->recover(); !s) return context(s.error());
  log->start();
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
  TL_TRY(env->sync_dir(p.data_dir));
  return open(data_dir, o);
}

Result<std::unique_ptr<LogReader>> open_reader(std::shared_ptr<const LogStorage> storage, const std::string& vkey) {
  auto v = note::Verifier::parse(trim_newline(vkey));
  if (!v) return std::unexpected(v.error());
  auto cp = storage->read("checkpoint");
  if (!cp) return std::unexpected(with_context(cp.error(), "checkpoint"));
  auto c = note::open_checkpoint(*cp, *v);
  if (!c) return std::unexpected(with_context(c.error(), "checkpoint"));
  auto r = std::make_unique<TileReader>(std::move(storage));
  r->publish(c->size, c->root, std::move(*cp));
  return std::unique_ptr<LogReader>(std::move(r));
}

Result<std::unique_ptr<LogReader>> open_reader(const std::string& data_dir, const OpenOptions& o) {
  Paths p(data_dir);
  Env* env = o.env;
  auto read = env->read_file(p.vkey);
  if (!read && read.error().code == ErrorCode::kNotFound) {
    // The usual mistake is a wrong path: say that, not which file inside it is missing.
    if (!env->exists(data_dir))
      return err(ErrorCode::kNotFound, "no such data directory: " + data_dir);
    return err(
        ErrorCode::kNotFound,
        data_dir + " is not a tallylog data directory (it has no log.vkey; " +
            "create one with `tallylog init`, or copy a published log with `tallylog mirror`)");
  }
  TL_ASSIGN_OR_RETURN(std::string vkey, std::move(read));
  if (!note::Verifier::parse(trim_newline(vkey))) {
    auto v = note::Verifier::parse(trim_newline(vkey));
    return err(v.error().code, p.vkey + ": " + v.error().message);
  }
  std::shared_ptr<const LogStorage> storage = o.storage;
  if (!storage) {
    TL_ASSIGN_OR_RETURN(auto s, posix_log_storage(*env, p.log_dir));
    storage = std::move(s);
  }
  auto r = open_reader(std::move(storage), vkey);
  if (!r) return std::unexpected(with_context(r.error(), p.log_dir));
  return r;
}

}  // namespace tallylog::log
