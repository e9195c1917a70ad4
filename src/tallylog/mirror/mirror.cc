#include "tallylog/mirror/mirror.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "tallylog/base/clock.h"
#include "tallylog/base/file_lock.h"
#include "tallylog/base/sha256.h"
#include "tallylog/blob/blob_store.h"
#include "tallylog/election/entry.h"
#include "tallylog/log/http_files.h"
#include "tallylog/log/tiles.h"
#include "tallylog/log/verify.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/mirror/fork_evidence.h"
#include "tallylog/mirror/prefetch.h"
#include "tallylog/mirror/remote_tree.h"
#include "tallylog/net/http_client.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::mirror {
namespace {

using Json = nlohmann::ordered_json;
using Report = MirrorReport;

// ---- where the log comes from ----------------------------------------------------------------

// Counts what is read (for the report: "fetches only the new tiles").
class CountingFiles final : public log::LogFiles {
 public:
  explicit CountingFiles(std::unique_ptr<log::LogFiles> inner) : inner_(std::move(inner)) {}
  Result<std::string> read(const std::string& rel) override {
    auto r = inner_->read(rel);
    ++reads;
    if (r) bytes += r->size();
    return r;
  }
  std::optional<std::vector<std::string>> list(const std::string& rel) override { return inner_->list(rel); }
  uint64_t reads = 0, bytes = 0;

 private:
  std::unique_ptr<log::LogFiles> inner_;
};

struct Source {
  std::unique_ptr<CountingFiles> files;
  Prefetcher::OpenFiles open;  // another reader of the same log (for parallel fetching)
  size_t parallel = 1;
  std::string where;  // the log prefix, for messages and the report
  std::function<Result<std::string>(const std::string& hex)> blob;  // kNotFound when absent
};

Result<Source> open_source(const MirrorOptions& o, Env& env) {
  Source s;
  if (net::is_url(o.source)) {
    TL_ASSIGN_OR_RETURN(net::Url url, net::parse_url(o.source));
    log::HttpFilesOptions ho{o.ca_file};
    // The URL of a server (log under /log) or of the log prefix itself.
    // Where the checkpoint is: at the URL itself, or under /log (a tallylog server, a static
    // server of a data directory). Static servers answer missing files in odd ways, so the
    // first place that holds a signed note wins.
    net::Url prefix = url;
    {
      TL_ASSIGN_OR_RETURN(auto probe, log::http_log_files(url.to_string(), ho));
      auto cp = probe->read("checkpoint");
      if (cp && !note::parse_note(*cp)) cp = err(ErrorCode::kNotFound, "not a signed note");
      if (!cp && cp.error().code != ErrorCode::kNotFound) return std::unexpected(cp.error());
      if (!cp) {
        net::Url under = url;
        under.path += "/log";
        TL_ASSIGN_OR_RETURN(auto probe2, log::http_log_files(under.to_string(), ho));
        auto cp2 = probe2->read("checkpoint");
        if (cp2 && note::parse_note(*cp2)) prefix = under;
      }
    }
    TL_ASSIGN_OR_RETURN(auto files, log::http_log_files(prefix.to_string(), ho));
    s.files = std::make_unique<CountingFiles>(std::move(files));
    s.where = prefix.to_string();
    s.open = [u = prefix.to_string(), ho] { return log::http_log_files(u, ho); };
    s.parallel = 4;  // round trips overlap; the server and the hashing share the cores
    // Images sit beside the log: <root>/blobs/sha256/<hex>, root = the log prefix's parent.
    net::Url root = prefix;
    root.path = root.path.substr(0, root.path.rfind('/') == std::string::npos ? 0 : root.path.rfind('/'));
    net::HttpClientOptions co;
    co.ca_file = o.ca_file;
    co.user_agent = "tallylog-mirror";
    TL_ASSIGN_OR_RETURN(std::shared_ptr<net::HttpClient> client, net::HttpClient::create(root, co));
    s.blob = [client, root](const std::string& hex) -> Result<std::string> {
      std::string target = root.path + "/blobs/sha256/" + hex;
      TL_ASSIGN_OR_RETURN(net::HttpResponse r, client->get(target));
      if (r.status == 404) return err(ErrorCode::kNotFound, "no image " + root.origin() + target);
      if (r.status != 200) return err(ErrorCode::kUnavailable, "GET " + root.origin() + target + ": HTTP " + std::to_string(r.status));
      return std::move(r.body);
    };
    return s;
  }
  std::string dir = o.source;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string data = dir;
  if (env.exists(join_path(dir, "log/checkpoint"))) {
    dir = join_path(dir, "log");
  } else if (env.exists(join_path(dir, "checkpoint"))) {
    data = dir_name(dir);
  } else {
    return err(ErrorCode::kNotFound, o.source + ": neither " + join_path(o.source, "checkpoint") + " nor " +
                                         join_path(o.source, "log/checkpoint") + " exists (not a URL either)");
  }
  s.files = std::make_unique<CountingFiles>(log::local_log_files(env, dir));
  s.where = dir;
  s.open = [&env, dir]() -> Result<std::unique_ptr<log::LogFiles>> { return log::local_log_files(env, dir); };
  s.parallel = 2;
  s.blob = [&env, data](const std::string& hex) -> Result<std::string> {
    return env.read_file(join_path(data, "blobs/sha256/" + hex));
  };
  return s;
}

// ---- the mirror directory -------------------------------------------------------------------

struct State {
  std::string source;
  std::string log_key;
  std::string seen;  // the largest checkpoint seen and verified consistent (note), or empty
  std::set<std::string> missing_blobs;
};

class MirrorDir {
 public:
  MirrorDir(Env& env, std::string dir) : env_(env), dir_(std::move(dir)) {}

  std::string path(std::string_view rel) const { return join_path(dir_, rel); }
  std::string log_path(std::string_view rel) const { return join_path(join_path(dir_, "log"), rel); }

  Status open(const std::string& vkey_text) {
    TL_TRY(env_.create_dirs(path("log")));
    TL_ASSIGN_OR_RETURN(lock_, FileLock::try_acquire(path("lock"), "a mirror or log writer is using " + dir_));
    // Leftovers of a run that was killed: never part of the mirror.
    TL_TRY(env_.create_dirs(path(".tmp")));
    TL_ASSIGN_OR_RETURN(auto names, env_.list_dir(path(".tmp")));
    for (const auto& n : names) TL_TRY(env_.remove_file(join_path(path(".tmp"), n)));
    std::string vkey_file = path("log.vkey");
    if (env_.exists(vkey_file)) {
      TL_ASSIGN_OR_RETURN(std::string have, env_.read_file(vkey_file));
      while (!have.empty() && (have.back() == '\n' || have.back() == '\r')) have.pop_back();
      if (have != vkey_text) {
        return err(ErrorCode::kFailedPrecondition, vkey_file + " holds another key (" + have.substr(0, have.find('+', have.find('+') + 1)) +
                                                       "): this directory mirrors another log");
      }
    } else {
      if (env_.exists(path("log/checkpoint"))) {
        return err(ErrorCode::kFailedPrecondition, dir_ + " holds a log without log.vkey: not a mirror made by tallylog mirror");
      }
      TL_TRY(env_.write_file_atomic(vkey_file, vkey_text + "\n", Durability::kSync));
    }
    return ok();
  }

  Result<State> load_state() {
    State s;
    std::string p = path("mirror.json");
    if (!env_.exists(p)) return s;
    TL_ASSIGN_OR_RETURN(std::string text, env_.read_file(p));
    try {
      Json j = Json::parse(text);
      s.source = j.value("source", "");
      s.log_key = j.value("log_key", "");
      s.seen = j.value("seen", "");
      for (const auto& b : j.value("missing_blobs", Json::array())) s.missing_blobs.insert(b.get<std::string>());
    } catch (const std::exception& e) {
      return err(ErrorCode::kCorrupt, p + ": " + e.what());
    }
    return s;
  }

  Status save_state(const State& s) {
    Json j;
    j["format"] = 1;
    j["source"] = s.source;
    j["log_key"] = s.log_key;
    j["seen"] = s.seen;
    j["missing_blobs"] = Json(std::vector<std::string>(s.missing_blobs.begin(), s.missing_blobs.end()));
    return env_.write_file_atomic(path("mirror.json"), j.dump(2) + "\n", Durability::kSync);
  }

  // Writes a public file of the log: through .tmp/, then renamed into place, so log/ never
  // holds a half-written file or a temporary.
  Status put(const std::string& rel, std::string_view data) {
    std::string tmp = join_path(path(".tmp"), std::to_string(counter_++));
    TL_TRY(env_.write_file_atomic(tmp, data, Durability::kNoSync));
    std::string dest = log_path(rel);
    std::string d = dir_name(dest);
    if (!made_.count(d)) {
      TL_TRY(env_.create_dirs(d));
      made_.insert(d);
    }
    return env_.rename(tmp, dest);
  }

  // Makes everything written so far durable: one syncfs() of the file system (one journal commit)
  // instead of an fsync per tile.
  Status sync_all() {
    int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return err(ErrorCode::kIo, "open " + dir_ + ": " + std::strerror(errno));
    int r = ::syncfs(fd);
    int e = errno;
    ::close(fd);
    if (r != 0) return err(ErrorCode::kIo, "syncfs " + dir_ + ": " + std::strerror(e));
    return ok();
  }

  // The commit point: the new checkpoint replaces the old one durably.
  Status publish_checkpoint(std::string_view note) {
    std::string tmp = join_path(path(".tmp"), "checkpoint");
    TL_TRY(env_.write_file_atomic(tmp, note, Durability::kSync));
    TL_TRY(env_.rename(tmp, log_path("checkpoint")));
    return env_.sync_dir(path("log"));
  }

  // Deletes the partial files in a ".p" directory (its tile is now full).
  Status remove_partials(const std::string& rel_dir) {
    auto names = env_.list_dir(log_path(rel_dir));
    if (!names) return ok();
    for (const auto& n : *names) TL_TRY(env_.remove_file(join_path(log_path(rel_dir), n)));
    return ok();
  }

  Env& env() { return env_; }
  const std::string& dir() const { return dir_; }

 private:
  Env& env_;
  std::string dir_;
  std::unique_ptr<FileLock> lock_;
  uint64_t counter_ = 0;
  std::set<std::string> made_;
};

// ---- the run ----------------------------------------------------------------------------------

std::string where(const Source& s, const std::string& rel) { return s.where + "/" + rel; }

class Run {
 public:
  Run(const MirrorOptions& o, Env& env) : o_(o), env_(env), mdir_(env, o.dir) {}

  Result<Report> go() {
    TL_ASSIGN_OR_RETURN(key_, note::Verifier::parse(o_.vkey));
    TL_TRY(mdir_.open(key_.text()));
    TL_ASSIGN_OR_RETURN(state_, mdir_.load_state());
    TL_ASSIGN_OR_RETURN(src_, open_source(o_, env_));
    report_.source = src_.where;
    step("source " + src_.where);

    // What the mirror holds (A) and the largest checkpoint seen before (S).
    std::optional<note::Checkpoint> mirrored, seen;
    std::string mirrored_text;
    if (env_.exists(mdir_.log_path("checkpoint"))) {
      TL_ASSIGN_OR_RETURN(mirrored_text, env_.read_file(mdir_.log_path("checkpoint")));
      auto c = note::open_checkpoint(mirrored_text, key_);
      if (!c) return std::unexpected(with_context(c.error(), mdir_.log_path("checkpoint")));
      mirrored = *c;
    }
    if (!state_.seen.empty()) {
      auto c = note::open_checkpoint(state_.seen, key_);
      if (!c) return std::unexpected(with_context(c.error(), mdir_.path("mirror.json") + " (seen)"));
      seen = *c;
    }
    const uint64_t a = mirrored ? mirrored->size : 0;
    report_.old_size = report_.new_size = a;
    report_.checkpoint = mirrored_text;
    if (mirrored) report_.root = mirrored->root;

    // The source's checkpoint (B): signed by the key, cosigned as the policy wants.
    auto b_text = src_.files->read("checkpoint");
    if (!b_text) return std::unexpected(with_context(b_text.error(), where(src_, "checkpoint")));
    auto b_cp = note::open_checkpoint(*b_text, key_);
    if (!b_cp) return std::unexpected(with_context(b_cp.error(), "checkpoint at " + where(src_, "checkpoint")));
    const note::Checkpoint B = *b_cp;
    report_.origin = B.origin;
    report_.source_size = B.size;
    if (!o_.witnesses.witnesses.empty() || o_.witnesses.quorum > 0) {
      auto pc = note::check_witness_policy(*b_text, o_.witnesses);
      if (!pc) return std::unexpected(with_context(pc.error(), "checkpoint at " + where(src_, "checkpoint")));
      report_.witnesses = *pc;
      step("witnesses: size " + std::to_string(B.size) + ": " + pc->summary(o_.witnesses.quorum));
      if (!pc->met) {
        return err(ErrorCode::kFailedPrecondition, "checkpoint at " + where(src_, "checkpoint") + " (size " +
                                                       std::to_string(B.size) + "): " + pc->summary(o_.witnesses.quorum) +
                                                       "; the witness policy is not met, nothing mirrored");
      }
    }
    step("checkpoint " + B.origin + " size " + std::to_string(B.size) + " root " + merkle::hash_base64(B.root) +
         " (signature ok); the mirror holds size " + std::to_string(a));

    // Consistency with everything seen before.
    TL_TRY(check_against(mirrored, mirrored_text, *b_text, B, /*local=*/true));
    if (report_.outcome == Report::Outcome::kFork) return report_;
    if (seen && (!mirrored || seen->size > mirrored->size)) {
      TL_TRY(check_against(seen, state_.seen, *b_text, B, /*local=*/false));
      if (report_.outcome == Report::Outcome::kFork) return report_;
    }
    if (B.size < a) {
      report_.outcome = Report::Outcome::kSourceBehind;
      step("the source serves size " + std::to_string(B.size) + ", older than the mirror's " + std::to_string(a) +
           " and consistent with it: nothing to fetch");
      return report_;
    }
    // Remember B before fetching anything (a later run compares with it even if this one dies).
    if (!seen || B.size > seen->size) {
      state_.seen = *b_text;
    }
    state_.source = o_.source;
    state_.log_key = key_.text();
    TL_TRY(mdir_.save_state(state_));
    if (B.size == a) {
      report_.outcome = Report::Outcome::kUpToDate;
      TL_TRY(fetch_missing_blobs({}));
      TL_TRY(mdir_.save_state(state_));
      if (mirrored_text != *b_text) {
        // Same tree, new signatures (e.g. more cosignatures): keep the richer note.
        TL_TRY(mdir_.publish_checkpoint(*b_text));
        report_.checkpoint = *b_text;
      }
      step("up to date at size " + std::to_string(a));
      return report_;
    }
    std::vector<std::string> images;
    TL_TRY(fetch(a, B, images));
    TL_TRY(fetch_missing_blobs(images));
    TL_TRY(mdir_.sync_all());
    TL_TRY(mdir_.publish_checkpoint(*b_text));
    TL_TRY(mdir_.save_state(state_));
    TL_TRY(drop_superseded_partials(a, B.size));
    report_.outcome = Report::Outcome::kUpdated;
    report_.new_size = B.size;
    report_.root = B.root;
    report_.checkpoint = *b_text;
    report_.bytes_fetched += src_.files->bytes;
    step("mirrored size " + std::to_string(B.size) + ": fetched " + std::to_string(report_.bundles_fetched) +
         " entry bundles and " + std::to_string(report_.tiles_fetched) + " hash tiles (" +
         std::to_string(report_.proof_tiles_fetched) + " more for the consistency proof)");
    return report_;
  }

 private:
  void step(const std::string& line) {
    if (o_.progress) o_.progress(line);
  }

  // Checks B against an earlier checkpoint C (the mirrored one, whose tree is local, or the
  // largest seen, known only by its root). On a contradiction, writes the evidence.
  Status check_against(const std::optional<note::Checkpoint>& C, const std::string& c_text, const std::string& b_text,
                       const note::Checkpoint& B, bool local) {
    if (!C) return ok();
    if (B.size == C->size) {
      if (B.root != C->root) return fork(c_text, b_text, B.root, {});
      return ok();
    }
    if (B.size > C->size) {
      // The source's tree at C's size, and the proof that B extends it.
      RemoteTree rt(*src_.files, src_.where, B.size);
      auto x = C->size == 0 ? Result<merkle::Hash>(merkle::empty_root()) : rt.root(C->size);
      if (!x) return std::unexpected(with_context(x.error(), "reading the tiles for the consistency proof"));
      std::vector<merkle::Hash> proof;
      if (C->size > 0) {
        TL_ASSIGN_OR_RETURN(proof, rt.consistency_proof(C->size, B.size));
        if (auto v = merkle::verify_consistency(C->size, B.size, proof, *x, B.root); !v) {
          // Bad tiles, not a fork: find which one (fetching the new entries checks the new
          // tiles one by one; the old ones are compared with the mirror's).
          report_.proof_tiles_fetched += rt.tiles_read();
          return diagnose_bad_tiles(rt, *C, B, v.error().message);
        }
      }
      report_.proof_tiles_fetched += rt.tiles_read();
      report_.consistency_proof_hashes = proof.size();
      if (*x != C->root) return fork(c_text, b_text, *x, proof);
      step("consistent with the checkpoint at size " + std::to_string(C->size) + " (proof of " +
           std::to_string(proof.size()) + " hashes)");
      return ok();
    }
    // B is smaller than C: only the mirror's own tree can say what C held at B's size.
    if (!local) return ok();
    auto files = log::local_log_files(env_, mdir_.log_path(""));
    RemoteTree lt(*files, mdir_.log_path(""), C->size);
    TL_ASSIGN_OR_RETURN(merkle::Hash x, B.size == 0 ? Result<merkle::Hash>(merkle::empty_root()) : lt.root(B.size));
    if (x != B.root) {
      std::vector<merkle::Hash> proof;
      if (B.size > 0) {
        TL_ASSIGN_OR_RETURN(proof, lt.consistency_proof(B.size, C->size));
      }
      return fork(b_text, c_text, x, proof);
    }
    return ok();
  }

  // The consistency proof computed from the source's tiles failed: name the tile. `C` is local
  // (the mirror's) when its size is the mirror's.
  Status diagnose_bad_tiles(RemoteTree& rt, const note::Checkpoint& C, const note::Checkpoint& B, const std::string& why) {
    const std::string generic = "the hash tiles at " + src_.where + "/tile/ do not match its checkpoint: the consistency proof from size " +
                                std::to_string(C.size) + " to " + std::to_string(B.size) + " computed from them fails (" + why + ")";
    std::optional<Error> found;
    // Tiles wholly inside the mirrored tree must equal the mirror's own.
    auto local = log::local_log_files(env_, mdir_.log_path(""));
    RemoteTree lt(*local, mdir_.log_path(""), report_.old_size);
    rt.for_each_tile([&](unsigned level, uint64_t n, const std::vector<merkle::Hash>& served) {
      const uint64_t lw = log::tile_width(level, n, report_.old_size);
      if (found || lw == 0) return;
      auto mine = lt.tile(level, n, lw);
      if (!mine) return;
      for (size_t i = 0; i < std::min<size_t>(lw, served.size()); ++i) {
        if (served[i] != (**mine)[i]) {
          found = Error{ErrorCode::kVerificationFailed, where(src_, log::tile_path(level, n, served.size())) + ": hash " +
                                                            std::to_string(i) + " differs from the mirrored tile (" + generic + ")"};
          return;
        }
      }
    });
    if (found) return std::unexpected(*found);
    // Otherwise the bad tile holds new entries: fetching them names it (and nothing is published).
    std::vector<std::string> ignored;
    TL_TRY(fetch(report_.old_size, B, ignored));
    return err(ErrorCode::kVerificationFailed, generic);
  }

  // Writes the evidence that `first` (smaller or equal) and `second` contradict each other.
  Status fork(const std::string& first, const std::string& second, const merkle::Hash& second_root_at_first,
              std::vector<merkle::Hash> proof) {
    ForkEvidence e;
    e.comments.push_back("observed " + format_rfc3339(std::chrono::system_clock::now()) + " by tallylog mirror of " + src_.where);
    e.log_key = key_.text();
    e.first = first;
    e.second = second;
    e.second_root_at_first = second_root_at_first;
    e.proof = std::move(proof);
    auto verdict = verify_fork(e, key_);
    if (!verdict) {
      return err(ErrorCode::kInternal, "the contradiction found could not be written as evidence: " + verdict.error().message);
    }
    std::string name = "fork-evidence-" + std::to_string(verdict->size1) + "-" + std::to_string(verdict->size2) + ".txt";
    std::string p = mdir_.path(name);
    TL_TRY(env_.write_file_atomic(p, format_fork_evidence(e), Durability::kSync));
    report_.outcome = Report::Outcome::kFork;
    report_.fork_evidence_path = p;
    report_.fork_explanation = verdict->explanation;
    return ok();
  }

  // Fetches [a, B.size): entry bundles, every hash tile they complete and the partial tiles of
  // the new size; recomputes everything from the entries and compares with what is served.
  Status fetch(uint64_t a, const note::Checkpoint& B, std::vector<std::string>& images) {
    const uint64_t b = B.size;
    // The right edge of the mirrored tree, from the mirror's own partial tiles.
    auto local = log::local_log_files(env_, mdir_.log_path(""));
    RemoteTree lt(*local, mdir_.log_path(""), a);
    std::vector<std::vector<merkle::Hash>> edges(log::kMaxTileLevels);
    for (unsigned l = 0; l < log::kMaxTileLevels; ++l) {
      uint64_t count = a >> (log::kTileHeight * l);
      if (count % log::kTileWidth == 0) continue;
      TL_ASSIGN_OR_RETURN(auto t, lt.tile(l, count / log::kTileWidth, count % log::kTileWidth));
      edges[l] = *t;
    }
    TL_ASSIGN_OR_RETURN(log::TileBuilder builder, log::TileBuilder::restore(a, std::move(edges)));
    std::vector<std::string> old_entries;  // of the partial bundle at a
    if (uint64_t w = a % log::kTileWidth; w != 0) {
      std::string rel = log::bundle_path(a / log::kTileWidth, w);
      TL_ASSIGN_OR_RETURN(std::string data, env_.read_file(mdir_.log_path(rel)));
      TL_ASSIGN_OR_RETURN(auto es, log::parse_bundle(data, w, mdir_.log_path(rel)));
      for (auto e : es) old_entries.emplace_back(e);
    }
    // Every file the new entries need, in the order they are used: bundle n, then the tiles its
    // last entry completes (bottom-up, as TileBuilder reports them); at the end the partial tiles.
    std::vector<Prefetcher::Item> items;
    for (uint64_t n = a / log::kTileWidth; n * log::kTileWidth < b; ++n) {
      const uint64_t w = log::tile_width(0, n, b);
      items.push_back({log::bundle_path(n, w), w < log::kTileWidth ? log::bundle_path(n, log::kTileWidth) : ""});
      const uint64_t end = n * log::kTileWidth + w;
      for (unsigned l = 0; l < log::kMaxTileLevels && end > a; ++l) {
        const uint64_t span = uint64_t{1} << (log::kTileHeight * (l + 1));
        if (end % span != 0) break;
        items.push_back({log::tile_path(l, end / span - 1, log::kTileWidth), ""});
      }
    }
    for (unsigned l = 0; l < log::kMaxTileLevels; ++l) {
      uint64_t count = b >> (log::kTileHeight * l);
      if (count % log::kTileWidth == 0 || count == (a >> (log::kTileHeight * l))) continue;
      items.push_back({log::tile_path(l, count / log::kTileWidth, count % log::kTileWidth),
                       log::tile_path(l, count / log::kTileWidth, log::kTileWidth)});
    }
    Prefetcher pf(src_.open, std::move(items), src_.parallel, 64);
    auto on_full = [&](unsigned level, uint64_t n, std::span<const merkle::Hash> hashes) -> Status {
      return check_and_write_tile(pf.next(), level, n, hashes);
    };
    for (uint64_t n = a / log::kTileWidth; n * log::kTileWidth < b; ++n) {
      const uint64_t w = log::tile_width(0, n, b);
      Prefetcher::Got got = pf.next();
      std::string rel = got.rel;
      auto& data = got.data;
      if (!data) return std::unexpected(with_context(data.error(), where(src_, rel)));
      auto entries = log::parse_bundle(*data, w, where(src_, rel));
      if (!entries && rel != log::bundle_path(n, w)) {
        // A full bundle read in place of a gone partial: its first w entries are the partial.
        TL_ASSIGN_OR_RETURN(auto all, log::parse_bundle(*data, log::kTileWidth, where(src_, rel)));
        entries = std::vector<std::string_view>(all.begin(), all.begin() + static_cast<ptrdiff_t>(w));
      }
      if (!entries) return std::unexpected(entries.error());
      ++report_.bundles_fetched;
      const uint64_t first = n * log::kTileWidth;
      std::vector<std::string> keep;
      keep.reserve(w);
      for (uint64_t i = 0; i < w; ++i) {
        std::string_view e = (*entries)[i];
        const uint64_t index = first + i;
        if (index < a) {
          if (e != old_entries[i]) {
            return err(ErrorCode::kVerificationFailed, where(src_, rel) + ": entry " + std::to_string(index) +
                                                           " differs from the one mirrored before");
          }
        } else {
          TL_TRY(builder.add_leaf(merkle::leaf_hash(e), on_full));
          if (o_.blobs) note_image(e, images);
        }
        keep.emplace_back(e);
      }
      TL_TRY(mdir_.put(log::bundle_path(n, w), log::encode_bundle(keep)));
    }
    // The partial tiles of the new size.
    for (unsigned l = 0; l < log::kMaxTileLevels; ++l) {
      uint64_t count = builder.count(l);
      if (count % log::kTileWidth == 0) continue;
      if (count == (a >> (log::kTileHeight * l))) continue;  // unchanged since the mirrored size
      TL_TRY(check_and_write_tile(pf.next(), l, count / log::kTileWidth, builder.edge(l)));
    }
    report_.bytes_fetched += pf.bytes();
    if (builder.root() != B.root) {
      return err(ErrorCode::kVerificationFailed, "the entries at " + src_.where + "/tile/entries/ hash to root " +
                                                     merkle::hash_base64(builder.root()) + ", not the checkpoint's " +
                                                     merkle::hash_base64(B.root) + " (size " + std::to_string(b) + ")");
    }
    return ok();
  }

  // Compares the served hash tile (level, n) with `hashes` recomputed from the entries, and
  // writes it into the mirror.
  Status check_and_write_tile(Prefetcher::Got got, unsigned level, uint64_t n, std::span<const merkle::Hash> hashes) {
    const uint64_t w = hashes.size();
    std::string rel = got.rel;
    auto& data = got.data;
    if (data && w < log::kTileWidth && rel != log::tile_path(level, n, w) && data->size() == log::kTileWidth * 32) {
      data->resize(w * 32);  // the full tile read in place of a gone partial
    }
    if (!data) return std::unexpected(with_context(data.error(), where(src_, rel)));
    ++report_.tiles_fetched;
    std::string mine = log::encode_tile(hashes);
    if (data->size() != mine.size()) {
      return err(ErrorCode::kCorrupt, where(src_, rel) + ": " + std::to_string(data->size()) + " bytes, expected " +
                                          std::to_string(mine.size()) + " (" + std::to_string(w) + " hashes)");
    }
    if (*data != mine) {
      for (uint64_t i = 0; i < w; ++i) {
        if (std::string_view(*data).substr(32 * i, 32) != std::string_view(mine).substr(32 * i, 32)) {
          return err(ErrorCode::kVerificationFailed, where(src_, rel) + ": hash " + std::to_string(i) +
                                                         " differs from the one recomputed from the entry bundles");
        }
      }
    }
    return mdir_.put(log::tile_path(level, n, w), mine);
  }

  static void note_image(std::string_view entry, std::vector<std::string>& images) {
    if (!election::is_record_entry(entry)) return;
    auto e = election::decode_entry(entry);
    if (!e || e->type != election::EntryType::kSheet) return;
    const auto& sheet = std::get<election::Sheet>(e->record);
    if (!sheet.image_sha256.empty()) images.push_back(sheet.image_sha256);
  }

  // Fetches `images` and those missing from earlier runs; checks each SHA-256.
  Status fetch_missing_blobs(const std::vector<std::string>& images) {
    if (!o_.blobs) return ok();
    TL_ASSIGN_OR_RETURN(auto store, blob::BlobStore::open(env_, mdir_.dir()));
    std::set<std::string> want(state_.missing_blobs.begin(), state_.missing_blobs.end());
    want.insert(images.begin(), images.end());
    state_.missing_blobs.clear();
    for (const auto& hex : want) {
      if (!blob::BlobStore::is_valid_digest(hex)) continue;
      if (store.contains(hex)) continue;
      auto bytes = src_.blob(hex);
      if (!bytes && bytes.error().code == ErrorCode::kNotFound) {
        state_.missing_blobs.insert(hex);
        continue;
      }
      if (!bytes) return std::unexpected(bytes.error());
      if (sha256_hex(*bytes) != hex) {
        return err(ErrorCode::kVerificationFailed, "image " + hex + " from " + src_.where + "/../blobs/sha256/" + hex +
                                                       ": its SHA-256 is " + sha256_hex(*bytes));
      }
      TL_TRY(store.put(*bytes));
      ++report_.blobs_fetched;
    }
    report_.blobs_missing = state_.missing_blobs.size();
    if (report_.blobs_missing) step(std::to_string(report_.blobs_missing) + " images named by entries are not at the source yet");
    return ok();
  }

  // Partial files of tiles that the new size completes are superseded (as the log deletes them).
  Status drop_superseded_partials(uint64_t a, uint64_t b) {
    for (unsigned l = 0; l < log::kMaxTileLevels; ++l) {
      uint64_t count = a >> (log::kTileHeight * l);
      if (count % log::kTileWidth == 0) continue;
      uint64_t n = count / log::kTileWidth;
      if (log::tile_width(l, n, b) == log::kTileWidth) TL_TRY(mdir_.remove_partials(log::tile_partials_dir(l, n)));
    }
    if (a % log::kTileWidth != 0 && log::tile_width(0, a / log::kTileWidth, b) == log::kTileWidth) {
      TL_TRY(mdir_.remove_partials(log::bundle_partials_dir(a / log::kTileWidth)));
    }
    return ok();
  }

  const MirrorOptions& o_;
  Env& env_;
  MirrorDir mdir_;
  note::Verifier key_;
  State state_;
  Source src_;
  Report report_;
};

}  // namespace

Result<MirrorReport> run_mirror(const MirrorOptions& options, Env& env) {
  Run r(options, env);
  return r.go();
}

}  // namespace tallylog::mirror
