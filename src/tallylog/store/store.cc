#include "tallylog/store/store.h"

#include <unistd.h>

#include "tallylog/base/bytes.h"
#include "tallylog/base/env.h"
#include "tallylog/cluster/lease.h"
#include "tallylog/pg/conn.h"

namespace tallylog::store {
namespace {

}  // namespace

Result<std::string> store_url(const std::string& data_dir) {
  const std::string path = join_path(data_dir, "store.url");
  Env& env = Env::posix();
  if (!env.exists(path)) return std::string();
  TL_ASSIGN_OR_RETURN(std::string text, env.read_file(path));
  std::string url(trim_ascii_space(text));
  if (!(url.starts_with("postgresql://") || url.starts_with("postgres://")) || url.find('\n') != std::string::npos) {
    return err(ErrorCode::kInvalidArgument, path + ": expected one postgresql:// URL (the database holding this log)");
  }
  return url;
}

Result<log::OpenOptions> open_log_options(const std::string& data_dir, log::OpenOptions base, uint64_t fence) {
  TL_ASSIGN_OR_RETURN(std::string url, store_url(data_dir));
  if (url.empty() || (base.storage && base.journal)) return base;
  // A writer that is not a serve node holding the lease (init, import, `log` commands on a data
  // directory whose log is in PostgreSQL) takes the lease for as long as it holds the journal: it
  // never writes beside running nodes, and they cannot take over while it writes.
  std::shared_ptr<cluster::Lease> lease;
  if (fence == 0) {
    lease = std::make_shared<cluster::Lease>(url);
    TL_ASSIGN_OR_RETURN(auto epoch, lease->try_acquire("", "a writer outside serve (pid " + std::to_string(::getpid()) + ")"));
    if (!epoch) {
      auto holder = cluster::current_sequencer(url);
      std::string who = holder ? "node " + holder->node + (holder->url.empty() ? "" : " (" + holder->url + ")") : "a node";
      return err(ErrorCode::kUnavailable, "log store " + pg::redact_url(url) + ": " + who +
                                              " holds the sequencer lease: while serve nodes run, write through them "
                                              "(tallylog import <url> ..., docs/deploy.md)");
    }
    fence = *epoch;
  }
  TL_ASSIGN_OR_RETURN(Store s, open_postgres_store(url, StoreOptions{.write = true, .fence = fence}));
  base.storage = std::move(s.storage);
  if (lease) {
    // The journal keeps the lease: released when the log lets go of it.
    struct Held {
      std::shared_ptr<cluster::Lease> lease;
      std::shared_ptr<log::Journal> journal;
    };
    auto held = std::make_shared<Held>(Held{std::move(lease), std::move(s.journal)});
    base.journal = std::shared_ptr<log::Journal>(held, held->journal.get());
  } else {
    base.journal = std::move(s.journal);
  }
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

Result<std::shared_ptr<const log::LogStorage>> open_storage(const std::string& data_dir) {
  TL_ASSIGN_OR_RETURN(std::string url, store_url(data_dir));
  if (url.empty()) {
    TL_ASSIGN_OR_RETURN(auto s, log::posix_log_storage(Env::posix(), join_path(data_dir, "log")));
    return std::shared_ptr<const log::LogStorage>(std::move(s));
  }
  TL_ASSIGN_OR_RETURN(Store s, open_postgres_store(url));
  return std::shared_ptr<const log::LogStorage>(std::move(s.storage));
}

}  // namespace tallylog::store
