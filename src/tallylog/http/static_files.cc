#include "tallylog/http/static_files.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace tallylog::http {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool three_digits(std::string_view s) { return s.size() == 3 && all_digits(s); }

}  // namespace

Result<std::string> checked_log_path(std::string_view rel) {
  if (rel == "checkpoint") return std::string(rel);
  auto bad = [&] { return err(ErrorCode::kInvalidArgument, "not a log path"); };
  if (rel.size() > 256) return bad();
  for (char c : rel)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.')) return bad();
  auto parts = split(rel, '/');
  // tile / <level> / ...N segments... [ .p / <width> ]
  if (parts.size() < 3 || parts[0] != "tile") return bad();
  // One spelling per file (tile_path/bundle_path): a level has no leading zero ("00" is not
  // level 0), and N's most significant group is never x000 ("x000/067" is not 067).
  if (!(parts[1] == "entries" || (all_digits(parts[1]) && parts[1].size() <= 2 &&
                                  (parts[1].size() == 1 || parts[1][0] != '0'))))
    return bad();
  size_t end = parts.size();
  bool partial = false;
  if (end >= 4 && parts[end - 2].ends_with(".p")) {
    auto w = parts[end - 1];
    if (!all_digits(w) || w.size() > 3 || w == "0" || w[0] == '0') return bad();
    int width = std::stoi(std::string(w));
    if (width < 1 || width > 255) return bad();
    partial = true;
    end -= 1;
  }
  // N is a uint64 (tlog-tiles): at most 20 digits, the groups' digits read as one number.
  if (end - 2 > 7) return bad();
  std::string digits;
  for (size_t i = 2; i < end; ++i) {
    std::string_view seg = parts[i];
    bool last = i + 1 == end;
    if (last && partial) seg.remove_suffix(2);
    if (last) {
      if (!three_digits(seg)) return bad();
      digits += seg;
    } else {
      if (seg.size() != 4 || seg[0] != 'x' || !three_digits(seg.substr(1)) || (i == 2 && seg == "x000")) return bad();
      digits += seg.substr(1);
    }
  }
  uint64_t n = 0;
  if (std::from_chars(digits.data(), digits.data() + digits.size(), n).ec != std::errc()) return bad();
  return std::string(rel);
}

Result<std::string> checked_blob_digest(std::string_view rel) {
  constexpr std::string_view kPrefix = "sha256/";
  if (!rel.starts_with(kPrefix) || rel.size() != kPrefix.size() + 64)
    return err(ErrorCode::kInvalidArgument, "not a blob path: expected sha256/<64 lowercase hex>");
  auto hex = rel.substr(kPrefix.size());
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return err(ErrorCode::kInvalidArgument, "not a blob path: expected sha256/<64 lowercase hex>");
  return std::string(hex);
}

std::string blob_relative_path(std::string_view hex) {
  // Same layout as blob::BlobStore: <data>/blobs/sha256/<hex>.
  return "sha256/" + std::string(hex);
}

std::string_view sniff_content_type(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1a\n") return "image/png";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  if (b.size() >= 5 && b.substr(0, 5) == "%PDF-") return "application/pdf";
  return "application/octet-stream";
}

namespace {

Response not_found() { return Response::text(404, "not found\n"); }

}  // namespace

Response serve_log_file(Env& env, const std::string& log_dir, std::string_view rel) {
  auto path = checked_log_path(rel);
  if (!path) return Response::text(400, "bad log path\n");
  auto data = env.read_file(join_path(log_dir, *path));
  if (!data) return not_found();
  Response r;
  r.body = std::move(*data);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  if (*path == "checkpoint") {
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-cache");
  } else {
    r.content_type = "application/octet-stream";
    bool partial = path->find(".p/") != std::string::npos;
    r.headers.emplace_back("Cache-Control", partial ? "public, max-age=10" : kImmutable);
  }
  return r;
}

Response serve_blob(Env& env, const std::string& blob_dir, std::string_view rel) {
  auto hex = checked_blob_digest(rel);
  if (!hex) return Response::text(400, "bad blob path\n");
  auto data = env.read_file(join_path(blob_dir, blob_relative_path(*hex)));
  if (!data) return not_found();
  Response r;
  r.content_type = std::string(sniff_content_type(*data));
  r.body = std::move(*data);
  r.headers.emplace_back("Cache-Control", kImmutable);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  return r;
}

namespace {

// `inner` is `outer` or below it (both canonical).
bool is_within(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i)
    if (i == inner.end() || *i != *o) return false;
  return true;
}

}  // namespace

Status check_web_root(const std::string& web_dir, const std::string& data_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path web = fs::canonical(web_dir, ec);
  if (ec) return err(ErrorCode::kNotFound, "--web " + web_dir + ": " + ec.message());
  fs::path data = fs::canonical(data_dir, ec);
  if (ec) return ok();  // no data directory to protect (its absence is reported elsewhere)
  if (is_within(web, data))
    return err(ErrorCode::kInvalidArgument, "--web " + web_dir +
                                                " is inside the data directory: it would publish log.key and "
                                                "tokens.json; point --web at the built page (web/dist)");
  if (is_within(data, web))
    return err(ErrorCode::kInvalidArgument, "--web " + web_dir +
                                                " contains the data directory: it would publish log.key and "
                                                "tokens.json; point --web at the built page (web/dist)");
  return ok();
}

std::optional<std::string> read_file_inside(Env& env, const std::string& root, std::string_view rel) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path base = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  fs::path file = fs::canonical(base / fs::path(std::string(rel)), ec);
  if (ec || !is_within(file, base) || file == base) return std::nullopt;
  auto data = env.read_file(file.string());
  if (!data) return std::nullopt;
  return std::move(*data);
}

}  // namespace tallylog::http
