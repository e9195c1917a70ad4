#include "tallylog/store/store.h"

#include "tallylog/base/env.h"
#include "tallylog/pg/conn.h"

namespace tallylog::store {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<std::string> store_url(const std::string& data_dir) {
  const std::string path = join_path(data_dir, "store.url");
  Env& env = Env::posix();
  if (!env.exists(path)) return std::string();
  TL_ASSIGN_OR_RETURN(std::string text, env.read_file(path));
  std::string url = trimmed(std::move(text));
  if (!(url.starts_with("postgresql://") || url.starts_with("postgres://")) || url.find('\n') != std::string::npos) {
    return err(ErrorCode::kInvalidArgument, path + ": expected one postgresql:// URL (the database holding this log)");
  }
  return url;
}

Result<log::OpenOptions> open_log_options(const std::string& data_dir, log::OpenOptions base, uint64_t fence) {
  TL_ASSIGN_OR_RETURN(std::string url, store_url(data_dir));
  if (url.empty() || (base.storage && base.journal)) return base;
  TL_ASSIGN_OR_RETURN(Store s, open_postgres_store(url, StoreOptions{.write = true, .fence = fence}));
  base.storage = std::move(s.storage);
  base.journal = std::move(s.journal);
  // A database store gives no cheap fingerprint: every open checks what recovery needs and the
  // checkpoint's root against the tiles, not every stored file (kFull would read the whole log
  // over the network at each start).
  base.check = log::OpenCheck::kRecent;
  return base;
}

Result<std::unique_ptr<log::LogReader>> open_reader(const std::string& data_dir) {
  TL_ASSIGN_OR_RETURN(std::string url, store_url(data_dir));
  if (url.empty()) return log::open_reader(data_dir);
  log::OpenOptions o;
  TL_ASSIGN_OR_RETURN(Store s, open_postgres_store(url));
  o.storage = std::move(s.storage);
  return log::open_reader(data_dir, o);
}

}  // namespace tallylog::store
