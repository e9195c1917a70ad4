#include "fuzz_support.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "tallylog/base/bytes.h"
#include "tallylog/base/env.h"
#include "tallylog/base/testing.h"
#include "tallylog/election/toml.h"

namespace tallylog::fuzz {

void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz check failed: %.*s\n", static_cast<int>(what.size()), what.data());
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::fflush(stderr);
  std::abort();
}

std::string repo_file(std::string_view relative_path) {
  std::string path = join_path(testing::source_dir(), relative_path);
  auto text = Env::posix().read_file(path);
  if (!text) fail("fixture missing (set TALLYLOG_SOURCE_DIR to the checkout)", text.error().to_string());
  return std::move(*text);
}

const election::Election& ve2024_election() {
  static const election::Election* e = [] {
    auto r = election::parse_election_toml(repo_file("elections/ve2024/election.toml"), "election.toml");
    if (!r) fail("bundled ve2024 election does not parse", r.error().to_string());
    return new election::Election(std::move(*r));
  }();
  return *e;
}

const ingest::Mapping& ve2024_mapping() {
  static const ingest::Mapping* m = [] {
    auto r = ingest::Mapping::parse(repo_file("elections/ve2024/convzla-v1.mapping.toml"), "convzla-v1.mapping.toml");
    if (!r) fail("bundled ve2024 mapping does not parse", r.error().to_string());
    return new ingest::Mapping(std::move(*r));
  }();
  return *m;
}

std::string fixed_bytes(char fill) { return std::string(32, fill); }

note::Signer fixed_signer(std::string_view name, char fill) {
  const std::string seed = fixed_bytes(fill);
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  std::string pub(32, '\0');
  size_t len = pub.size();
  bool ok = key && EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pub.data()), &len) == 1;
  EVP_PKEY_free(key);
  if (!ok || len != 32) fail("OpenSSL could not derive an Ed25519 public key");
  char id[9];
  std::snprintf(id, sizeof id, "%08x", note::key_id(name, pub));
  auto signer = note::Signer::parse("PRIVATE+KEY+" + std::string(name) + "+" + id + "+" +
                                    base64_encode(std::string(1, '\x01') + seed));
  if (!signer) fail("fixed signer", signer.error().to_string());
  return std::move(*signer);
}

}  // namespace tallylog::fuzz
