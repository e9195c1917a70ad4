// Flag helpers shared by verify, mirror, audit, witness and serve: keys given on the command line
// either as text or as a file holding it, witness lists and the witness flags, --listen
// addresses, and how a fork found by mirror or audit is reported.
#pragma once

#include <string>
#include <vector>

#include "tallylog/base/bytes.h"
#include "tallylog/base/env.h"
#include "tallylog/cli/command.h"
#include "tallylog/http/server.h"
#include "tallylog/log/http_files.h"
#include "tallylog/log/verify.h"
#include "tallylog/mirror/mirror.h"
#include "tallylog/note/cosignature.h"
#include "tallylog/note/note.h"
#include "tallylog/store/store.h"

namespace tallylog::cli {

inline std::string trim_key_text(std::string_view s) { return std::string(trim_ascii_space(s)); }

// The argument itself, or the first line of the file it names.
inline std::string key_text_or_file(const std::string& arg) {
  Env& env = Env::posix();
  if (!env.exists(arg)) return arg;
  std::string text = value_or_exit(env.read_file(arg));
  return trim_key_text(text.substr(0, text.find('\n')));
}

// Each argument: a witness (or log) key, "<vkey>@<url>", or a file of such lines ('#' comments
// and blank lines skipped). Returns the lines.
inline std::vector<std::string> key_lines(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  Env& env = Env::posix();
  for (const auto& a : args) {
    if (!env.exists(a)) {
      out.push_back(a);
      continue;
    }
    std::string text = value_or_exit(env.read_file(a));
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      std::string line = trim_key_text(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      start = nl == std::string::npos ? text.size() : nl + 1;
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.erase(0, 1);
      if (line.empty() || line.front() == '#') continue;
      out.push_back(line);
    }
  }
  return out;
}

// Witness keys for checking cosignatures: "<vkey>" or "<vkey>@<url>" (the URL ignored here).
inline std::vector<note::CosignatureVerifier> witness_keys_or_exit(const std::vector<std::string>& args) {
  std::vector<note::CosignatureVerifier> out;
  for (const auto& line : key_lines(args)) {
    auto k = note::CosignatureVerifier::parse(line.substr(0, line.find('@')));
    if (!k) {
      fail("--witness \"" + line + "\": " + k.error().message);
      throw CLI::RuntimeError(exit_code());
    }
    out.push_back(std::move(*k));
  }
  return out;
}

inline note::Verifier log_key_or_exit(const std::string& arg, const std::string& flag = "--vkey") {
  auto v = note::Verifier::parse(key_text_or_file(arg));
  if (!v) {
    fail(flag + ": " + v.error().message);
    throw CLI::RuntimeError(exit_code());
  }
  return std::move(*v);
}

// A copy of a log to read (verify, verify-receipt): a URL (http:// or https://: a server's or a
// static mirror's base URL, or the log's own URL ending in /log), a log directory, or a data or
// mirror directory holding log/. `dir` is the log's URL or directory.
struct LogSource {
  bool remote = false;
  std::string dir;
  std::string store_url;  // a data directory whose log lives in PostgreSQL (store.url)
};

// The published files of a store driver, owning it.
class OwnedStorageFiles : public log::LogFiles {
 public:
  explicit OwnedStorageFiles(std::shared_ptr<log::LogStorage> s) : s_(std::move(s)), f_(log::storage_log_files(*s_)) {}
  Result<std::string> read(const std::string& rel) override { return f_->read(rel); }
  std::optional<std::vector<std::string>> list(const std::string& rel) override { return f_->list(rel); }

 private:
  std::shared_ptr<log::LogStorage> s_;
  std::unique_ptr<log::LogFiles> f_;
};

inline LogSource log_source(std::string path) {
  LogSource src;
  src.remote = path.starts_with("http://") || path.starts_with("https://");
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (src.remote) {
    if (!path.ends_with("/log")) path += "/log";
  } else if (Env& env = Env::posix();
             !env.exists(join_path(path, "checkpoint")) && env.exists(join_path(path, "log/checkpoint"))) {
    path = join_path(path, "log");
  } else if (auto url = store::store_url(path); url && !url->empty()) {
    src.store_url = *url;
  }
  src.dir = std::move(path);
  return src;
}

inline std::unique_ptr<log::LogFiles> log_files_or_exit(const LogSource& src, const std::string& cacert) {
  if (src.remote) return value_or_exit(log::http_log_files(src.dir, {cacert}));
  if (!src.store_url.empty()) return std::make_unique<OwnedStorageFiles>(value_or_exit(store::open_postgres_store(src.store_url)).storage);
  return log::local_log_files(Env::posix(), src.dir);
}

// A private key file (`tallylog org keygen`, `devices keygen`): the signer it holds, or exit with
// "<flag> <path>: <reason>".
inline note::Signer signer_or_exit(const std::string& path, const std::string& flag) {
  auto s = note::Signer::parse(trim_key_text(value_or_exit(Env::posix().read_file(path))));
  if (!s) {
    fail(flag + " " + path + ": " + s.error().message);
    throw CLI::RuntimeError(exit_code());
  }
  return std::move(*s);
}

// "host:port" into the server options (port 0: any free port).
inline void parse_listen_or_exit(const std::string& listen, http::ServerOptions& so) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    fail("--listen: expected host:port, got '" + listen + "'");
    throw CLI::RuntimeError(2);
  }
  so.host = listen.substr(0, colon);
  try {
    int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    so.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    fail("--listen: bad port in '" + listen + "'");
    throw CLI::RuntimeError(2);
  }
}

// --witness, --witness-policy and --cacert, as verify, mirror and audit take them.
inline void add_witness_options(CLI::App* cmd, std::vector<std::string>& witnesses, size_t& policy, std::string& cacert) {
  cmd->add_option("--witness", witnesses, "a witness key (vkey, vkey@url, or a file of them): report its cosignature");
  cmd->add_option("--witness-policy", policy, "fail unless at least this many of the --witness keys cosigned");
  cmd->add_option("--cacert", cacert, "trusted CA certificates (PEM) for https, instead of the system's");
}

// Exit status of a mirror or audit that found a fork (distinct from ordinary errors).
inline constexpr int kForkExit = 3;

// Ends the command (exit kForkExit) when the mirror found two histories, saying where the
// evidence is and how anyone checks it.
inline void exit_if_fork(const mirror::MirrorReport& r) {
  if (r.outcome != mirror::MirrorReport::Outcome::kFork) return;
  fail("FORK: " + r.fork_explanation + "\nThe evidence is in " + r.fork_evidence_path +
           "; anyone can check it with: tallylog verify-fork " + r.fork_evidence_path,
       kForkExit);
  throw CLI::RuntimeError(kForkExit);
}

}  // namespace tallylog::cli
