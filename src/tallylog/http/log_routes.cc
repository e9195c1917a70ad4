// The published log (tlog-tiles static files and the checkpoint), sheet images by content
// address, and the log's verifier key. Paths are checked by static_files.h before any file read.
#include "tallylog/base/bytes.h"
#include "tallylog/http/api_context.h"
#include "tallylog/http/responses.h"
#include "tallylog/http/static_files.h"

namespace tallylog::http {
namespace {

const std::vector<std::pair<std::string, std::string>>& public_text_headers() {
  static const std::vector<std::pair<std::string, std::string>> h = {
      {"X-Content-Type-Options", "nosniff"}, {"Access-Control-Allow-Origin", "*"}, {"Cache-Control", "no-cache"}};
  return h;
}

}  // namespace

std::optional<std::string> read_log_vkey(ApiContext& ctx) {
  auto text = ctx.be.env->read_file(join_path(ctx.opt.data_dir, "log.vkey"));
  if (!text) return std::nullopt;
  const std::string_view v = trim_ascii_space(std::string_view(*text).substr(0, text->find('\n')));
  if (v.empty() || v.size() > 1024) return std::nullopt;
  return std::string(v);
}

void add_log_routes(RouteTable& table, ApiContext& ctx) {
  // The reader holds the latest checkpoint in memory, byte for byte as published on disk: the
  // hottest route costs no system call.
  table.add({"GET", "/log/checkpoint", "/log/checkpoint", 0, [&ctx](const RouteCall&) {
               if (!ctx.be.log) return serve_log_file(*ctx.be.env, join_path(ctx.opt.data_dir, "log"), "checkpoint");
               auto cp = ctx.be.log->checkpoint();
               if (!cp) return from_error(cp.error());
               Response r;
               r.body = std::move(*cp);
               r.headers = public_text_headers();
               return r;
             }});
  table.add({"GET", "/log/*", "/log/tile", 0, [&ctx](const RouteCall& c) {
               return serve_log_file(*ctx.be.env, join_path(ctx.opt.data_dir, "log"), c.rest);
             }});
  table.add({"GET", "/blobs/*", "/blobs", 0, [&ctx](const RouteCall& c) {
               const std::string dir = join_path(ctx.opt.data_dir, "blobs");
               Response r = serve_blob(*ctx.be.env, dir, c.rest);
               if (r.status != 404 || !ctx.be.fetch_blob) return r;
               auto hex = checked_blob_digest(c.rest);
               if (!hex) return r;
               if (auto f = ctx.be.fetch_blob(*hex); !f) {
                 if (f.error().code == ErrorCode::kNotFound) return r;
                 Response u = from_error(f.error());
                 if (u.status == 503) u.headers.emplace_back("Retry-After", "1");
                 return u;
               }
               return serve_blob(*ctx.be.env, dir, c.rest);
             }});
  table.add({"GET", "/api/v1/log/vkey", "", 0, [&ctx](const RouteCall&) {
               auto v = read_log_vkey(ctx);
               if (!v) return error_response(404, "no verifier key (log.vkey) in the data directory");
               Response r = Response::text(200, *v + "\n");
               r.headers = public_text_headers();
               return r;
             }});
}

}  // namespace tallylog::http
