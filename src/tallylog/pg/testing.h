// Test-only: one throwaway PostgreSQL server per test binary (scripts/pg_test_server.sh in a
// temporary directory, a Unix socket, no TCP), started by a GoogleTest global environment before
// the first test and stopped after the last. Tests get a fresh database each from database_url().
#pragma once

#include <string>

namespace tallylog::pg::testing {

// The URL of a new, empty database named after `key` (the same database again for the same key).
std::string database_url(const std::string& key);
// The URL of the server's maintenance database.
std::string server_url();

}  // namespace tallylog::pg::testing
