// The POSIX LogStorage driver. Durability of a published file rests on: write to a temporary in
// the private staging directory, sync the data (sync_files), rename into log/ without replacing
// (rename_no_replace: write-once), sync the directories that changed (sync_dirs, including the
// parents of new directories). The checkpoint: staged, synced, renamed over the old one, log/
// synced. So log/ only ever holds complete files, and nothing in it is a temporary.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>

#include "tallylog/base/bytes.h"
#include "tallylog/base/sha256.h"

#include "tallylog/log/storage.h"

namespace tallylog::log {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Relative tile, bundle or checkpoint paths only: no "..", no absolute paths, no empty parts.
Status check_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/' || path.find("//") != std::string::npos) {
    return err(ErrorCode::kInvalidArgument, "bad log file path \"" + path + "\"");
  }
  for (size_t pos = 0; pos <= path.size();) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    std::string_view part(path.data() + pos, next - pos);
    if (part == "." || part == "..") return err(ErrorCode::kInvalidArgument, "bad log file path \"" + path + "\"");
    pos = next + 1;
  }
  return ok();
}

class PosixLogStorage final : public LogStorage {
 public:
  PosixLogStorage(Env& env, std::string log_dir, PosixStorageOptions o)
      : env_(env), log_dir_(std::move(log_dir)), o_(std::move(o)) {}

  Status open_for_writing() {
    TL_TRY(env_.create_dirs(o_.staging_dir));
    TL_ASSIGN_OR_RETURN(auto names, env_.list_dir(o_.staging_dir));
    for (const auto& n : names) TL_TRY(env_.remove_file(join_path(o_.staging_dir, n)));
    known_dirs_.insert(log_dir_);
    return remove_legacy_temporaries("");
  }

  Result<std::string> read(const std::string& path) const override {
    TL_TRY(check_path(path));
    return env_.read_file(join_path(log_dir_, path));
  }

  Result<std::vector<std::string>> list(const std::string& dir) const override {
    TL_TRY(check_path(dir));
    auto names = env_.list_dir(join_path(log_dir_, dir));
    if (!names && names.error().code == ErrorCode::kNotFound) return std::vector<std::string>{};
    return names;
  }

  Status write_once(const std::string& path, std::string_view data) override {
    TL_TRY(writable());
    TL_TRY(check_path(path));
    std::string target = join_path(log_dir_, path);
    if (env_.exists(target)) return same_bytes(path, target, data);
    std::string tmp = join_path(o_.staging_dir, std::to_string(seq_++));
    TL_ASSIGN_OR_RETURN(auto f, env_.open_append(tmp));
    TL_TRY(f->append(data));
    TL_TRY(f->close());
    staged_.push_back(Staged{tmp, target, path, std::string(data)});
    return ok();
  }

  Status make_durable() override {
    TL_TRY(writable());
    if (staged_.empty()) return ok();
    std::vector<std::string> tmps;
    for (const auto& s : staged_) tmps.push_back(s.tmp);
    TL_TRY(env_.sync_files(tmps));
    std::set<std::string> dirs;
    for (const auto& s : staged_) {
      std::string dir = dir_name(s.target);
      TL_TRY(ensure_dir(dir, dirs));
      auto r = env_.rename_no_replace(s.tmp, s.target);
      if (!r && r.error().code == ErrorCode::kAlreadyExists) {
        TL_TRY(env_.remove_file(s.tmp));
        TL_TRY(same_bytes(s.path, s.target, s.data));
        continue;
      }
      TL_TRY(r);
      dirs.insert(dir);
    }
    staged_.clear();
    TL_TRY(env_.sync_dirs(std::vector<std::string>(dirs.begin(), dirs.end())));
    return ok();
  }

  Status write_checkpoint(std::string_view note) override {
    TL_TRY(make_durable());
    std::string tmp = join_path(o_.staging_dir, std::to_string(seq_++));
    TL_ASSIGN_OR_RETURN(auto f, env_.open_append(tmp));
    TL_TRY(f->append(note));
    TL_TRY(f->sync());
    TL_TRY(f->close());
    TL_TRY(env_.rename(tmp, join_path(log_dir_, "checkpoint")));
    return env_.sync_dir(log_dir_);
  }

  // Reads the directory tree directly (Env has no stat); a storage whose Env is not the real
  // file system (test fakes) cannot tell and says so with an empty fingerprint.
  Result<std::string> fingerprint() const override {
    std::error_code ec;
    std::vector<std::string> lines;
    for (auto it = std::filesystem::recursive_directory_iterator(log_dir_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      struct stat st;
      if (::lstat(it->path().c_str(), &st) != 0) return std::string();
      if (S_ISDIR(st.st_mode)) continue;
      lines.push_back(it->path().string() + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_ino) +
                      " " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + " " +
                      std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec));
    }
    if (ec || lines.empty()) return std::string();
    std::sort(lines.begin(), lines.end());
    Sha256 h;
    for (const auto& l : lines) {
      h.update(l);
      h.update("\n");
    }
    return std::to_string(lines.size()) + ":" + hex_encode(as_bytes(h.finish()));
  }

  Status remove(const std::string& path) override {
    TL_TRY(writable());
    TL_TRY(check_path(path));
    std::string target = join_path(log_dir_, path);
    TL_TRY(env_.remove_file(target));
    // An emptied ".p" directory goes too, so that no empty directories pile up.
    std::string dir = dir_name(target);
    if (dir.ends_with(".p")) {
      auto r = env_.remove_dir(dir);
      if (r) known_dirs_.erase(dir);
      if (!r && r.error().code != ErrorCode::kFailedPrecondition) return r;
    }
    return ok();
  }

 private:
  struct Staged {
    std::string tmp, target, path, data;
  };

  Status writable() const {
    if (o_.staging_dir.empty()) return err(ErrorCode::kFailedPrecondition, log_dir_ + " is open read-only");
    return ok();
  }

  Status same_bytes(const std::string& path, const std::string& target, std::string_view data) const {
    TL_ASSIGN_OR_RETURN(std::string stored, env_.read_file(target));
    if (stored == data) return ok();
    return err(ErrorCode::kCorrupt, path + ": the published file holds different bytes (" + std::to_string(stored.size()) +
                                        ") from the ones rebuilt from the log's entries (" + std::to_string(data.size()) +
                                        "); published files are write-once, so it is left as it is");
  }

  // Creates `dir` if needed; the parent of each directory created joins `to_sync` (a new
  // directory is durable once its parent is synced).
  Status ensure_dir(const std::string& dir, std::set<std::string>& to_sync) {
    if (known_dirs_.count(dir)) return ok();
    std::vector<std::string> missing;
    for (std::string d = dir; d.size() > log_dir_.size() && !known_dirs_.count(d); d = dir_name(d)) {
      if (env_.exists(d)) {
        known_dirs_.insert(d);
        break;
      }
      missing.push_back(d);
    }
    if (!missing.empty()) TL_TRY(env_.create_dirs(dir));
    for (const auto& d : missing) {
      to_sync.insert(dir_name(d));
      known_dirs_.insert(d);
    }
    known_dirs_.insert(dir);
    return ok();
  }

  // Older versions wrote temporaries beside their targets in log/; a crash could leave them.
  // Walks the tlog-tiles directories: "tile", its levels and "entries", then "x<NNN>" and
  // "<NNN>.p" directories (files are never named like those).
  Status remove_legacy_temporaries(const std::string& rel) {
    std::string dir = rel.empty() ? log_dir_ : join_path(log_dir_, rel);
    auto names = env_.list_dir(dir);
    if (!names) return names.error().code == ErrorCode::kNotFound ? Status(ok()) : Status(std::unexpected(names.error()));
    size_t removed = 0;
    for (const auto& n : *names) {
      std::string child = rel.empty() ? n : rel + "/" + n;
      if (is_leftover_temporary(n)) {
        TL_TRY(env_.remove_file(join_path(log_dir_, child)));
        ++removed;
        if (o_.notice) o_.notice("removed " + join_path(log_dir_, child) + ", a temporary left by an interrupted write");
        continue;
      }
      bool is_dir = rel.empty() ? n == "tile"
                                : rel == "tile" ? (all_digits(n) || n == "entries")
                                                : (n.starts_with("x") || n.ends_with(".p"));
      if (is_dir) TL_TRY(remove_legacy_temporaries(child));
    }
    // Empty ".p" directories (older versions kept them after deleting the partials) go too.
    if (rel.ends_with(".p") && removed == names->size()) {
      auto r = env_.remove_dir(dir);
      if (!r && r.error().code != ErrorCode::kFailedPrecondition) return r;
    }
    return ok();
  }

  Env& env_;
  const std::string log_dir_;
  const PosixStorageOptions o_;
  uint64_t seq_ = 0;
  std::vector<Staged> staged_;
  std::set<std::string> known_dirs_;
};

}  // namespace

bool is_leftover_temporary(std::string_view name) {
  size_t pos = name.find(".tmp.");
  if (pos == std::string_view::npos || pos == 0) return false;
  std::string_view rest = name.substr(pos + 5);
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return all_digits(rest);
  return all_digits(rest.substr(0, dot)) && all_digits(rest.substr(dot + 1));
}

Result<std::unique_ptr<LogStorage>> posix_log_storage(Env& env, std::string log_dir, PosixStorageOptions options) {
  bool writing = !options.staging_dir.empty();
  auto s = std::make_unique<PosixLogStorage>(env, std::move(log_dir), std::move(options));
  if (writing) TL_TRY(s->open_for_writing());
  return std::unique_ptr<LogStorage>(std::move(s));
}

}  // namespace tallylog::log
