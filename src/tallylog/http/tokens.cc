#include "tallylog/http/tokens.h"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "tallylog/base/bytes.h"
#include "tallylog/base/sha256.h"

namespace tallylog::http {

bool TokenInfo::allows_source(std::string_view source) const {
  for (const auto& s : sources) {
    if (s.ends_with('*')) {
      if (source.starts_with(std::string_view(s).substr(0, s.size() - 1)) && source.size() >= s.size()) return true;
    } else if (s == source) {
      return true;
    }
  }
  return false;
}

namespace {

// An exclusive flock on `path` (created if needed), held until destruction. Blocks until the
// other writer is done: token writes are short.
class WriteLock {
 public:
  static Result<std::unique_ptr<WriteLock>> acquire(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return err(ErrorCode::kIo, "open " + path + ": " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return err(ErrorCode::kIo, "flock " + path + ": " + std::strerror(e));
    }
    return std::unique_ptr<WriteLock>(new WriteLock(fd));
  }
  ~WriteLock() { ::close(fd_); }  // closing releases the lock
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

 private:
  explicit WriteLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

TokenStore::TokenStore(std::string data_dir, Env& env) : data_dir_(std::move(data_dir)), env_(&env) {}

std::string TokenStore::path() const { return join_path(data_dir_, "tokens.json"); }
std::string TokenStore::lock_path() const { return join_path(data_dir_, "tokens.json.lock"); }

Result<std::vector<TokenInfo>> TokenStore::list() const {
  std::vector<TokenInfo> out;
  if (!env_->exists(path())) return out;
  TL_ASSIGN_OR_RETURN(std::string text, env_->read_file(path()));
  try {
    auto j = nlohmann::json::parse(text);
    for (const auto& t : j.at("tokens")) {
      TokenInfo info;
      info.name = t.at("name").get<std::string>();
      info.sources = t.at("sources").get<std::vector<std::string>>();
      info.sha256 = t.at("sha256").get<std::string>();
      info.created_at = t.value("created_at", "");
      info.revoked_at = t.value("revoked_at", "");
      out.push_back(std::move(info));
    }
  } catch (const std::exception& e) {
    return err(ErrorCode::kCorrupt, path() + ": " + e.what());
  }
  return out;
}

Status TokenStore::save(const std::vector<TokenInfo>& tokens) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& t : tokens) {
    nlohmann::json o = {{"name", t.name}, {"sources", t.sources}, {"sha256", t.sha256}, {"created_at", t.created_at}};
    if (!t.revoked_at.empty()) o["revoked_at"] = t.revoked_at;
    arr.push_back(std::move(o));
  }
  std::string text = nlohmann::json{{"tokens", arr}}.dump(2) + "\n";
  // Under the write lock only one writer uses the side file; a leftover from a crash is removed.
  // write_new_file_private makes it durable with mode 0600; the rename replaces tokens.json
  // atomically and keeps that mode (write_file_atomic would create it 0644).
  const std::string next = path() + ".new";
  TL_TRY(env_->remove_file(next));
  TL_TRY(env_->write_new_file_private(next, text, 0600));
  if (auto r = env_->rename(next, path()); !r) {
    (void)env_->remove_file(next);
    return r;
  }
  return env_->sync_dir(dir_name(path()));
}

Result<std::string> TokenStore::add(std::string_view name, const std::vector<std::string>& sources,
                                    std::string_view random_bytes, std::string_view now) {
  if (name.empty() || !is_valid_utf8(name) || name.find('\n') != std::string_view::npos)
    return err(ErrorCode::kInvalidArgument, "token name must be a non-empty single line of UTF-8");
  if (sources.empty()) return err(ErrorCode::kInvalidArgument, "a token needs at least one --source");
  for (const auto& s : sources)
    if (s.empty() || s == "*") return err(ErrorCode::kInvalidArgument, "source '" + s + "' is not allowed for a token");
  if (random_bytes.size() < 16) return err(ErrorCode::kInvalidArgument, "token randomness must be at least 16 bytes");
  TL_ASSIGN_OR_RETURN(auto lock, WriteLock::acquire(lock_path()));
  TL_ASSIGN_OR_RETURN(auto tokens, list());
  for (const auto& t : tokens)
    if (t.name == name && t.active())
      return err(ErrorCode::kAlreadyExists, "submitter '" + std::string(name) + "' already has an active token; revoke it first");
  std::string secret = "tl_" + hex_encode(random_bytes);
  TokenInfo info;
  info.name = std::string(name);
  info.sources = sources;
  info.sha256 = sha256_hex(secret);
  info.created_at = std::string(now);
  tokens.push_back(info);
  TL_TRY(save(tokens));
  return secret;
}

Status TokenStore::revoke(std::string_view name, std::string_view now) {
  TL_ASSIGN_OR_RETURN(auto lock, WriteLock::acquire(lock_path()));
  TL_ASSIGN_OR_RETURN(auto tokens, list());
  bool found = false;
  for (auto& t : tokens)
    if (t.name == name && t.active()) {
      t.revoked_at = std::string(now);
      found = true;
    }
  if (!found) return err(ErrorCode::kNotFound, "no active token for submitter '" + std::string(name) + "'");
  return save(tokens);
}

Result<std::optional<TokenInfo>> TokenStore::authenticate(std::string_view secret) const {
  if (!secret.starts_with("tl_") || secret.size() > 200) return std::optional<TokenInfo>{};
  TL_ASSIGN_OR_RETURN(auto tokens, list());
  std::string digest = sha256_hex(secret);
  for (auto& t : tokens)
    if (t.active() && t.sha256 == digest) return std::optional<TokenInfo>(std::move(t));
  return std::optional<TokenInfo>{};
}

Result<std::string> random_token_bytes() {
  std::string out(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1)
    return err(ErrorCode::kInternal, "RAND_bytes failed");
  return out;
}

}  // namespace tallylog::http
