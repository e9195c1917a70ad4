#include "tallylog/base/fault_env.h"

#include <filesystem>
#include <fstream>

namespace tallylog::testing {

namespace fs = std::filesystem;

class FaultEnv::File final : public AppendFile {
 public:
  File(FaultEnv* env, std::string path, std::unique_ptr<AppendFile> f)
      : env_(env), path_(std::move(path)), f_(std::move(f)) {}
  Status append(std::string_view d) override {
    std::lock_guard lock(env_->mu_);
    bool was_crashed = env_->crashed_;
    if (auto s = env_->point_locked(); !s) {
      if (!was_crashed) (void)f_->append(d.substr(0, d.size() / 2));  // the crash tears this write
      return s;
    }
    return f_->append(d);
  }
  Status sync() override {
    std::lock_guard lock(env_->mu_);
    TL_TRY(env_->point_locked());
    env_->sync_file_locked(path_);
    return ok();
  }
  Status close() override { return f_->close(); }

 private:
  FaultEnv* env_;
  std::string path_;
  std::unique_ptr<AppendFile> f_;
};

FaultEnv::FaultEnv(std::string root, Env* target) : EnvWrapper(target), root_(std::move(root)) {
  std::lock_guard lock(mu_);
  scan_locked();
}

void FaultEnv::crash_at(std::optional<uint64_t> point) {
  std::lock_guard lock(mu_);
  crash_at_ = point ? std::optional<uint64_t>(points_ + *point) : std::nullopt;
}

uint64_t FaultEnv::points() const {
  std::lock_guard lock(mu_);
  return points_;
}

bool FaultEnv::crashed() const {
  std::lock_guard lock(mu_);
  return crashed_;
}

Status FaultEnv::point_locked() {
  if (!crashed_ && crash_at_ && points_ == *crash_at_) crashed_ = true;
  if (crashed_) return err(ErrorCode::kIo, "simulated power cut");
  ++points_;
  return ok();
}

bool FaultEnv::tracked(const std::string& p) const {
  return p.size() > root_.size() && p.starts_with(root_) && p[root_.size()] == '/';
}

void FaultEnv::scan_locked() {
  names_.clear();
  durable_names_.clear();
  durable_data_.clear();
  dirs_.clear();
  durable_dirs_.clear();
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string p = it->path().string();
    if (it->is_directory()) {
      dirs_.insert(p);
    } else if (it->is_regular_file()) {
      int id = next_node_++;
      durable_data_[id] = target()->read_file(p).value_or("");
      names_[p] = id;
    }
  }
  durable_names_ = names_;
  durable_dirs_ = dirs_;
}

void FaultEnv::sync_dir_locked(const std::string& dir) {
  auto child = [&](const std::string& p) { return dir_name(p) == dir; };
  std::erase_if(durable_names_, [&](const auto& kv) { return child(kv.first) && !names_.count(kv.first); });
  for (const auto& [p, id] : names_) {
    if (child(p)) durable_names_[p] = id;
  }
  std::erase_if(durable_dirs_, [&](const std::string& d) { return child(d) && !dirs_.count(d); });
  for (const auto& d : dirs_) {
    if (child(d)) durable_dirs_.insert(d);
  }
}

void FaultEnv::sync_file_locked(const std::string& path) {
  auto it = names_.find(path);
  if (it == names_.end()) return;
  durable_data_[it->second] = target()->read_file(path).value_or("");
}

Status FaultEnv::write_file_atomic(const std::string& p, std::string_view d, Durability du) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  if (!tracked(p)) return target()->write_file_atomic(p, d, du);
  TL_TRY(target()->write_file_atomic(p, d, Durability::kNoSync));
  int id = next_node_++;
  names_[p] = id;
  durable_data_[id] = du == Durability::kSync ? std::string(d) : std::string();
  if (du == Durability::kSync) sync_dir_locked(dir_name(p));  // what the POSIX Env does
  return ok();
}

Result<std::unique_ptr<AppendFile>> FaultEnv::open_append(const std::string& p) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  TL_ASSIGN_OR_RETURN(auto f, target()->open_append(p));
  if (!tracked(p)) return f;
  if (!names_.count(p)) {
    int id = next_node_++;
    names_[p] = id;
    durable_data_[id] = "";
  }
  return std::unique_ptr<AppendFile>(new File(this, p, std::move(f)));
}

Status FaultEnv::truncate(const std::string& p, uint64_t s) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  return target()->truncate(p, s);
}

Status FaultEnv::create_dirs(const std::string& p) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  TL_TRY(target()->create_dirs(p));
  for (std::string d = p; tracked(d); d = dir_name(d)) dirs_.insert(d);
  return ok();
}

Status FaultEnv::remove_file(const std::string& p) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  TL_TRY(target()->remove_file(p));
  names_.erase(p);
  return ok();
}

Status FaultEnv::remove_dir(const std::string& p) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  TL_TRY(target()->remove_dir(p));
  dirs_.erase(p);
  return ok();
}

Status FaultEnv::rename_locked(const std::string& f, const std::string& t, bool replace) {
  TL_TRY(point_locked());
  TL_TRY(replace ? target()->rename(f, t) : target()->rename_no_replace(f, t));
  auto it = names_.find(f);
  if (it != names_.end()) {
    int id = it->second;
    names_.erase(it);
    if (tracked(t)) names_[t] = id;
  } else if (tracked(t)) {
    int id = next_node_++;  // moved in from outside the modelled tree: its data is durable
    names_[t] = id;
    durable_data_[id] = target()->read_file(t).value_or("");
  }
  return ok();
}

Status FaultEnv::rename(const std::string& f, const std::string& t) {
  std::lock_guard lock(mu_);
  return rename_locked(f, t, true);
}

Status FaultEnv::rename_no_replace(const std::string& f, const std::string& t) {
  std::lock_guard lock(mu_);
  return rename_locked(f, t, false);
}

Status FaultEnv::sync_dir(const std::string& p) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  sync_dir_locked(p);
  return ok();
}

Status FaultEnv::sync_dirs(const std::vector<std::string>& ps) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  for (const auto& p : ps) sync_dir_locked(p);
  return ok();
}

Status FaultEnv::sync_files(const std::vector<std::string>& ps) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  for (const auto& p : ps) sync_file_locked(p);
  return ok();
}

Status FaultEnv::write_new_file_private(const std::string& p, std::string_view d, unsigned m) {
  std::lock_guard lock(mu_);
  TL_TRY(point_locked());
  TL_TRY(target()->write_new_file_private(p, d, m));
  if (!tracked(p)) return ok();
  int id = next_node_++;
  names_[p] = id;
  durable_data_[id] = std::string(d);
  sync_dir_locked(dir_name(p));
  return ok();
}

Status FaultEnv::power_cut(Unsynced unsynced) {
  std::lock_guard lock(mu_);
  // A directory survives if it and every ancestor below root are durable; a file if its name
  // is durable and its directory survives.
  auto survives = [&](const std::string& dir) {
    for (std::string d = dir; tracked(d); d = dir_name(d)) {
      if (!durable_dirs_.count(d)) return false;
    }
    return true;
  };
  std::map<int, std::string> current_name;
  for (const auto& [p, id] : names_) current_name[id] = p;
  std::vector<std::string> dirs;
  for (const auto& d : durable_dirs_) {
    if (survives(d)) dirs.push_back(d);
  }
  std::map<std::string, std::string> files;
  for (const auto& [p, id] : durable_names_) {
    if (!survives(dir_name(p))) continue;
    std::string data = durable_data_[id];
    if (unsynced == Unsynced::kKeepTornTail) {
      if (auto c = current_name.find(id); c != current_name.end()) {
        auto now = target()->read_file(c->second);
        if (now && now->size() > data.size() && now->starts_with(data)) {
          data += now->substr(data.size(), (now->size() - data.size()) / 2);
        }
      }
    }
    files[p] = std::move(data);
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) fs::remove_all(e.path(), ec);
  if (ec) return err(ErrorCode::kIo, "power_cut: clearing " + root_ + ": " + ec.message());
  for (const auto& d : dirs) fs::create_directories(d, ec);
  for (const auto& [p, data] : files) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return err(ErrorCode::kIo, "power_cut: rewriting " + p);
  }
  points_ = 0;
  crash_at_.reset();
  crashed_ = false;
  scan_locked();
  return ok();
}

}  // namespace tallylog::testing
