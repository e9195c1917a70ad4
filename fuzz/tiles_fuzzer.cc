// A published log tree (log/verify.h, log/tiles.h) as `tallylog verify` reads it from a mirror
// or a remote server it does not trust: checkpoint, hash tiles, entry bundles and the listing of
// partial-tile directories, all from the fuzzer.
//
// Input: a sequence of files, each  path NUL  length (2 bytes, big-endian)  bytes  (a short last
// file takes what is left). The files "checkpoint" and "previous" hold checkpoint BODIES, which
// the harness signs with its own log key (origin "fuzz.example/log") so the fuzzer gets past the
// signature; a file named "nolist" makes directories unlistable, as over plain HTTP.
//
// Properties: a log verify_log() accepts has the checkpoint's size and root, and that root is the
// RFC 6962 root computed naively (merkle::root_of) from the entries of its bundles;
// parse_tile/parse_bundle return exactly the count asked for, within the data.
#include <charconv>
#include <map>
#include <optional>
#include <vector>

#include "fuzz_support.h"
#include "tallylog/log/tiles.h"
#include "tallylog/log/verify.h"
#include "tallylog/merkle/hash.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::fuzz {
namespace {

constexpr std::string_view kOrigin = "fuzz.example/log";

const note::Signer& log_key() {
  static const note::Signer* k = new note::Signer(fixed_signer(kOrigin, 'a'));
  return *k;
}

class MemLogFiles final : public log::LogFiles {
 public:
  std::map<std::string, std::string> files;
  bool listable = true;

  Result<std::string> read(const std::string& rel) override {
    auto it = files.find(rel);
    if (it == files.end()) return err(ErrorCode::kNotFound, "no file " + rel);
    return it->second;
  }
  std::optional<std::vector<std::string>> list(const std::string& dir) override {
    if (!listable) return std::nullopt;
    std::vector<std::string> out;
    std::string prefix = dir + "/";
    for (auto it = files.lower_bound(prefix); it != files.end() && it->first.starts_with(prefix); ++it) {
      std::string_view rest = std::string_view(it->first).substr(prefix.size());
      if (rest.find('/') == std::string_view::npos) out.emplace_back(rest);
    }
    return out;
  }
};

MemLogFiles unpack(std::string_view in) {
  MemLogFiles f;
  while (!in.empty()) {
    size_t nul = in.find('\0');
    if (nul == std::string_view::npos) break;
    std::string path(in.substr(0, nul));
    in.remove_prefix(nul + 1);
    size_t len = in.size();
    if (in.size() >= 2) {
      len = static_cast<unsigned char>(in[0]) << 8 | static_cast<unsigned char>(in[1]);
      in.remove_prefix(2);
    } else {
      in = {};
    }
    len = std::min(len, in.size());
    f.files[path] = std::string(in.substr(0, len));
    in.remove_prefix(len);
  }
  return f;
}

// Signs a checkpoint body with the harness key; a body the signer refuses is kept as is.
// Ed25519 signatures are deterministic, so signed bodies are remembered (mutations of the
// other files keep the checkpoint, and signing would otherwise dominate the run time).
std::string signed_checkpoint(const std::string& body) {
  static std::map<std::string, std::string> cache;
  if (auto it = cache.find(body); it != cache.end()) return it->second;
  if (cache.size() > 4096) cache.clear();
  auto s = note::sign_note(body, log_key());
  return cache[body] = s ? *s : body;
}

// How many hashes or entries a tile path holds: its partial width, or a full tile.
uint64_t count_of(std::string_view path) {
  auto p = path.rfind(".p/");
  if (p == std::string_view::npos) return log::kTileWidth;
  uint64_t w = 0;
  auto tail = path.substr(p + 3);
  auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), w);
  return ec == std::errc() && w <= log::kTileWidth ? w : log::kTileWidth;
}

void check_parsers(const MemLogFiles& f) {
  for (const auto& [path, data] : f.files) {
    uint64_t count = count_of(path);
    if (auto b = log::parse_bundle(data, count, path)) {
      check(b->size() == count, "parse_bundle gives exactly the count asked for", path);
      for (auto e : *b)
        check(e.data() >= data.data() && e.data() + e.size() <= data.data() + data.size(),
              "bundle entries lie within the bundle", path);
    }
    if (auto t = log::parse_tile(data, count, path)) check(t->size() == count, "parse_tile gives exactly the count", path);
  }
}

// The root computed naively from every entry of the bundles a tree of `size` leaves has.
std::optional<merkle::Hash> naive_root(MemLogFiles& f, uint64_t size) {
  std::vector<merkle::Hash> leaves;
  for (uint64_t n = 0; n * log::kTileWidth < size; ++n) {
    uint64_t width = log::tile_width(0, n, size);
    auto data = f.read(log::bundle_path(n, width));
    if (!data) return std::nullopt;
    auto entries = log::parse_bundle(*data, width, "bundle");
    if (!entries) return std::nullopt;
    for (auto e : *entries) leaves.push_back(merkle::leaf_hash(e));
  }
  return merkle::root_of(leaves);
}

}  // namespace
}  // namespace tallylog::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tallylog;
  using namespace tallylog::fuzz;
  MemLogFiles files = unpack(as_text(data, size));
  check_parsers(files);
  files.listable = !files.files.contains("nolist");
  log::VerifyOptions options;
  if (auto it = files.files.find("previous"); it != files.files.end()) options.previous_checkpoint = signed_checkpoint(it->second);
  if (auto it = files.files.find("checkpoint"); it != files.files.end()) it->second = signed_checkpoint(it->second);
  auto report = log::verify_log(files, log_key().verifier(), options);
  if (!report) return 0;
  auto cp = note::open_checkpoint(files.files["checkpoint"], log_key().verifier());
  check(cp.has_value(), "a verified log's checkpoint opens");
  check(report->size == cp->size && report->root == cp->root && report->origin == cp->origin,
        "the report gives the checkpoint's origin, size and root");
  auto root = naive_root(files, cp->size);
  check(root.has_value(), "a verified log has every entry bundle its size implies");
  check(*root == cp->root, "a verified log's root is the RFC 6962 root of its entries",
        merkle::hash_base64(*root) + " vs " + merkle::hash_base64(cp->root));
  return 0;
}
