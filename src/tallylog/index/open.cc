#include "tallylog/index/open.h"

#include "tallylog/base/env.h"
#include "tallylog/index/memory_index.h"
#include "tallylog/index/postgres_index.h"
#include "tallylog/index/sqlite_index.h"

namespace tallylog::index {
namespace {

struct SqlitePaths {
  std::string index;
  std::string rejects;
};

constexpr std::string_view kMemory = "memory:";

Result<SqlitePaths> sqlite_paths(std::string_view url) {
  if (url.starts_with("sqlite:")) {
    std::string path(url.substr(7));
    if (path.empty()) return err(ErrorCode::kInvalidArgument, "index URL \"sqlite:\" names no file");
    return SqlitePaths{path, join_path(dir_name(path), "rejects.sqlite")};
  }
  if (auto colon = url.find(':'); colon != std::string_view::npos && url.find('/') > colon) {
    return err(ErrorCode::kInvalidArgument, "index URL " + std::string(url) + ": unknown scheme \"" +
                                                std::string(url.substr(0, colon)) +
                                                "\" (use a data directory, sqlite:<path> or postgresql://...)");
  }
  return SqlitePaths{index_path(url), rejects_path(url)};
}

}  // namespace

std::string index_path(std::string_view data_dir) { return join_path(data_dir, "index.sqlite"); }
std::string rejects_path(std::string_view data_dir) { return join_path(data_dir, "rejects.sqlite"); }

Result<std::unique_ptr<Index>> open_index(std::string_view url) {
  if (url == kMemory) return make_memory_index();
  if (is_postgres_url(url)) return open_postgres_index(std::string(url));
  TL_ASSIGN_OR_RETURN(SqlitePaths p, sqlite_paths(url));
  TL_ASSIGN_OR_RETURN(auto idx, SqliteIndex::open(p.index, p.rejects));
  return std::unique_ptr<Index>(std::move(idx));
}

bool index_exists(std::string_view url) {
  if (url == kMemory) return false;
  if (is_postgres_url(url)) return postgres_index_exists(std::string(url));
  auto p = sqlite_paths(url);
  return p && Env::posix().exists(p->index);
}

Status remove_index(std::string_view url) {
  if (url == kMemory) return ok();  // every open makes a new, empty one
  if (is_postgres_url(url)) return remove_postgres_index(std::string(url));
  TL_ASSIGN_OR_RETURN(SqlitePaths p, sqlite_paths(url));
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) TL_TRY(Env::posix().remove_file(p.index + suffix));
  return ok();
}

}  // namespace tallylog::index
