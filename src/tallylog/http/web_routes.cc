// The catch-all rows, last in the table: any other /api/ path is 404, any other path is a file of
// the built web page (web_dir), checked against a strict grammar before the file system is touched.
#include <cctype>

#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/http/static_files.h"

namespace tallylog::http {
namespace {

std::string_view web_content_type(std::string_view path) {
  auto ends = [&](std::string_view e) { return path.ends_with(e); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".webmanifest")) return "application/manifest+json";
  if (ends(".txt")) return "text/plain; charset=utf-8";
  if (ends(".wasm")) return "application/wasm";  // compiled while it streams in
  return "application/octet-stream";
}

bool safe_web_path(std::string_view rel) {
  if (rel.empty() || rel.size() > 200 || rel.front() == '/' || rel.find("..") != std::string_view::npos ||
      rel.find("//") != std::string_view::npos)
    return false;
  for (char c : rel)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '/')) return false;
  return true;
}

Response web_file(ApiContext& ctx, std::string_view path) {
  // Refuse a hostile path first, so the answer does not depend on whether a page is installed.
  std::string rel = path == "/" ? "index.html" : std::string(path.substr(1));
  if (!safe_web_path(rel)) return Response::text(400, "bad path\n");
  if (ctx.opt.web_dir.empty()) return Response::text(404, "no web page configured\n");
  auto data = read_file_inside(*ctx.be.env, ctx.opt.web_dir, rel);
  if (!data) return Response::text(404, "not found\n");
  Response r;
  r.content_type = std::string(web_content_type(rel));
  r.body = std::move(*data);
  bool hashed = rel.starts_with("assets/");
  r.headers.emplace_back("Cache-Control", hashed ? kImmutable : "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // 'wasm-unsafe-eval' lets the witness page compile its bundled zxing .wasm (it allows
  // WebAssembly compilation only, not eval); blob: images are the witness's photo, shown locally.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; "
                         "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  return r;
}

}  // namespace

void add_web_routes(RouteTable& table, ApiContext& ctx) {
  table.add({"*", "/api/*", "/api/v1/other", 0,
             [](const RouteCall&) { return error_response(404, "no such API route"); }});
  table.add({"GET", "/*", "/web", 0, [&ctx](const RouteCall& c) { return web_file(ctx, c.request.path); }});
}

}  // namespace tallylog::http
