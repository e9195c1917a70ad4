#include "tallylog/pg/testing.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "tallylog/base/testing.h"

namespace tallylog::pg::testing {
namespace {

class PostgresServer : public ::testing::Environment {
 public:
  void SetUp() override {
    dir_ = std::make_unique<tallylog::testing::TempDir>();
    const std::string script = tallylog::testing::source_dir() + "/scripts/pg_test_server.sh";
    // With our pid: a watcher stops the server should this process die before TearDown.
    const std::string cmd =
        "TALLYLOG_PG_OPTS='-c fsync=off' " + script + " start " + dir_->path() + " " + std::to_string(getpid());
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char line[1024] = {};
    const bool got = fgets(line, sizeof line, p) != nullptr;
    const int rc = pclose(p);
    ASSERT_TRUE(got && rc == 0) << cmd << " failed (exit " << rc << ")";
    url_ = line;
    while (!url_.empty() && url_.back() == '\n') url_.pop_back();
    started_ = true;
  }
  void TearDown() override {
    if (started_) {
      const std::string cmd = tallylog::testing::source_dir() + "/scripts/pg_test_server.sh stop " + dir_->path();
      EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
    dir_.reset();
  }
  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<tallylog::testing::TempDir> dir_;
  std::string url_;
  bool started_ = false;
};

PostgresServer* server() {
  static PostgresServer* s = static_cast<PostgresServer*>(::testing::AddGlobalTestEnvironment(new PostgresServer));
  return s;
}
// Registered before main() runs the tests.
[[maybe_unused]] PostgresServer* const kRegistered = server();

}  // namespace

std::string server_url() { return server()->url(); }

std::string database_url(const std::string& key) {
  static std::map<std::string, std::string> names;
  auto [it, fresh] = names.emplace(key, "t" + std::to_string(names.size()));
  const std::string base = server_url();
  if (fresh) {
    PGconn* c = PQconnectdb(base.c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PGresult* r = PQexec(c, ("CREATE DATABASE " + it->second).c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
  }
  // postgresql:///postgres?... -> postgresql:///<name>?...
  const size_t q = base.find('?');
  return "postgresql:///" + it->second + base.substr(q);
}

}  // namespace tallylog::pg::testing
