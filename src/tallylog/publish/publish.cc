// The static publisher (publish.h): immutable files copied once, generated files compared by
// digest, the checkpoint last.
#include "tallylog/publish/publish.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tallylog/base/sha256.h"
#include "tallylog/http/request_parsing.h"
#include "tallylog/log/tiles.h"

namespace tallylog::publish {
namespace {

using Json = nlohmann::json;
constexpr const char* kStateFile = ".publish-state.json";
// What the state records for a file copied once and never again (a tile, bundle or image).
constexpr const char* kImmutable = "immutable";

std::string rule_file(std::string_view rule) {
  if (rule.empty() || rule == "*") return "_all";
  return std::string(rule);
}

// A path segment taken from a query value: no separators or dot-segments, so a value can never
// name a file outside api/v1/.
bool safe_segment(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
         s.find('\\') == std::string_view::npos && s.find('\0') == std::string_view::npos;
}

std::string tree_size(std::string_view checkpoint) {
  auto a = checkpoint.find('\n');
  if (a == std::string_view::npos) return "";
  auto b = checkpoint.find('\n', a + 1);
  if (b == std::string_view::npos) return "";
  return std::string(checkpoint.substr(a + 1, b - a - 1));
}

class Publisher {
 public:
  Publisher(const PublishInput& in, std::string out)
      : in_(in), env_(*in.env), out_(std::move(out)) {}

  Result<PublishStats> run() {
    TL_TRY(env_.create_dirs(out_));
    load_state();
    const std::string size = tree_size(in_.checkpoint);
    if (size.empty())
      return err(ErrorCode::kCorrupt, "publish: the checkpoint has no tree size line");
    stats_.checkpoint_size = std::stoull(size);

    // 1. The log's tiles and entry bundles, and the images: immutable, copied once.
    TL_TRY(copy_log_tiles());
    TL_TRY(copy_tree(join_path(in_.data_dir, "blobs/sha256"), "blobs/sha256", true));
    if (auto vkey = env_.read_file(join_path(in_.data_dir, "log.vkey")))
      TL_TRY(put("log.vkey", *vkey));
    // 2. The page, and the site configuration it reads first.
    if (!in_.web_dir.empty()) TL_TRY(copy_tree(in_.web_dir, "", false));
    TL_TRY(put("site.json", "{\"static\":true,\"api\":\"api/v1/\"}\n"));
    // 3. The results, from the read API, and each station's sheets.
    TL_TRY(publish_api());
    TL_TRY(publish_stations());
    // 4. Everything above durable, then the checkpoint: a reader that sees it finds its tiles.
    TL_TRY(env_.sync_files(written_paths_));
    std::vector<std::string> dirs(written_dirs_.begin(), written_dirs_.end());
    TL_TRY(env_.sync_dirs(dirs));
    TL_TRY(put("log/checkpoint", in_.checkpoint, Durability::kSync));
    // 5. What is no longer published, then the state.
    for (const auto& [rel, digest] : state_) {
      if (now_.contains(rel)) continue;
      TL_TRY(env_.remove_file(join_path(out_, rel)));
      ++stats_.files_removed;
    }
    Json files = Json::object();
    for (const auto& [rel, digest] : now_) files[rel] = digest;
    Json st{{"checkpoint_size", stats_.checkpoint_size}, {"files", std::move(files)}};
    TL_TRY(
        env_.write_file_atomic(join_path(out_, kStateFile), st.dump(1) + "\n", Durability::kSync));
    return stats_;
  }

 private:
  void load_state() {
    auto text = env_.read_file(join_path(out_, kStateFile));
    if (!text) return;
    Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j["files"].is_object()) return;  // unreadable: republish everything
    for (auto& [rel, d] : j["files"].items())
      if (d.is_string()) state_[rel] = d.get<std::string>();
  }

  // Writes `data` at `rel` unless the last run published these very bytes there.
  Status put(const std::string& rel, std::string_view data, Durability d = Durability::kNoSync) {
    std::string digest = sha256_hex(data);
    auto it = state_.find(rel);
    now_[rel] = digest;
    if (it != state_.end() && it->second == digest && env_.exists(join_path(out_, rel))) {
      ++stats_.files_unchanged;
      return {};
    }
    return write(rel, data, d);
  }

  Status write(const std::string& rel, std::string_view data, Durability d) {
    const std::string path = join_path(out_, rel);
    const std::string dir = std::filesystem::path(path).parent_path().string();
    if (!created_dirs_.contains(dir)) {
      TL_TRY(env_.create_dirs(dir));
      created_dirs_.insert(dir);
    }
    TL_TRY(env_.write_file_atomic(path, data, d));
    if (d == Durability::kNoSync) {
      written_paths_.push_back(path);
      written_dirs_.insert(dir);
    }
    ++stats_.files_written;
    stats_.bytes_written += data.size();
    return {};
  }

  // Every tile and entry bundle the checkpoint commits to, at the width it gives each, read from
  // the log's store (a log in PostgreSQL has no files under <data>/log/).
  Status copy_log_tiles() {
    if (!in_.read_log_file) return err(ErrorCode::kInternal, "publish: PublishInput::read_log_file is not set");
    for (const std::string& p : log::tree_files(stats_.checkpoint_size))
      TL_TRY(copy_immutable("log/" + p, [&] {
        auto data = in_.read_log_file(p);
        if (!data) return Result<std::string>(std::unexpected(with_context(data.error(), "publish: the log's " + p)));
        return data;
      }));
    // tlog-tiles: "Logs MUST serve partial tiles corresponding to tree sizes for which a
    // checkpoint was produced, but MAY delete any partial tile once the corresponding full tile is
    // available". A partial published for an earlier checkpoint stays until its full tile is here.
    for (const auto& [rel, digest] : state_) {
      const auto p = rel.find(".p/");
      if (!rel.starts_with("log/tile/") || p == std::string::npos || now_.contains(rel)) continue;
      if (!now_.contains(rel.substr(0, p))) now_[rel] = kImmutable;
    }
    return {};
  }

  // An immutable file (tile, bundle, image) at `rel`: read and written only when no earlier run
  // published it.
  Status copy_immutable(const std::string& rel, const std::function<Result<std::string>()>& read) {
    now_[rel] = kImmutable;
    if (state_.contains(rel) && env_.exists(join_path(out_, rel))) {
      ++stats_.files_unchanged;
      return {};
    }
    TL_ASSIGN_OR_RETURN(std::string data, read());
    return write(rel, data, Durability::kNoSync);
  }

  // Every regular file under `src` to `dst_rel`/<same relative path>. Immutable files are copied
  // only when not published before; others when their bytes differ.
  Status copy_tree(const std::string& src, const std::string& dst_rel, bool immutable) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(src, ec)) return {};
    for (fs::recursive_directory_iterator it(src, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string rel = fs::relative(it->path(), src, ec).generic_string();
      if (ec) break;
      if (rel.starts_with(".")) continue;
      rel = dst_rel.empty() ? rel : dst_rel + "/" + rel;
      if (immutable) {
        TL_TRY(copy_immutable(rel, [&] { return env_.read_file(it->path().string()); }));
      } else {
        TL_ASSIGN_OR_RETURN(std::string data, env_.read_file(it->path().string()));
        TL_TRY(put(rel, data));
      }
    }
    if (ec) return err(ErrorCode::kIo, "publish: listing " + src + ": " + ec.message());
    return {};
  }

  Result<std::string> get(const std::string& target) {
    http::Request r;
    r.method = "GET";
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    http::Response resp = in_.get(r);
    if (resp.status != 200)
      // 4xx: the API refuses this question (kFailedPrecondition); 5xx: it failed (kUnavailable).
      return err(resp.status < 500 ? ErrorCode::kFailedPrecondition : ErrorCode::kUnavailable,
                 "publish: GET " + target + " answered " + std::to_string(resp.status) + ": " +
                     std::string(resp.body_view().substr(0, 200)));
    return std::string(resp.body_view());
  }

  // GET `target` and write the answer at its static path.
  Status api_file(const std::string& target) {
    auto q = target.find('?');
    std::string rel =
        static_api_path(target.substr(0, q), q == std::string::npos ? "" : target.substr(q + 1));
    if (rel.empty()) return err(ErrorCode::kInternal, "publish: no static path for " + target);
    TL_ASSIGN_OR_RETURN(std::string body, get(target));
    ++stats_.api_files;
    return put(rel, body);
  }

  static std::string enc(std::string_view v) {
    std::string o;
    for (unsigned char c : v) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        o += static_cast<char>(c);
      } else {
        static const char* hex = "0123456789ABCDEF";
        o += '%';
        o += hex[c >> 4];
        o += hex[c & 15];
      }
    }
    return o;
  }

  Status publish_api() {
    TL_ASSIGN_OR_RETURN(std::string whole, get("/api/v1/election"));
    TL_TRY(put(static_api_path("/api/v1/election", ""), whole));
    ++stats_.api_files;
    if (in_.env->exists(join_path(in_.data_dir, "log.vkey"))) TL_TRY(api_file("/api/v1/log/vkey"));
    TL_TRY(api_file("/api/v1/witnesses"));
    Json e = Json::parse(whole, nullptr, false);
    if (!e.is_object()) return err(ErrorCode::kInternal, "publish: /api/v1/election is not JSON");
    std::vector<std::string> contests;  // "" for a single-contest election
    if (e.contains("contests") && e["contests"].is_array() && !e["contests"].empty()) {
      for (auto& c : e["contests"]) contests.push_back(c["id"].get<std::string>());
    } else {
      contests.push_back("");
    }
    for (const std::string& c : contests) {
      const std::string cq = c.empty() ? "" : "contest=" + enc(c);
      auto target = [&](std::string path, std::string query) {
        if (!cq.empty()) query = query.empty() ? cq : query + "&" + cq;
        return query.empty() ? path : path + "?" + query;
      };
      if (!c.empty()) TL_TRY(api_file(target("/api/v1/election", "")));
      TL_ASSIGN_OR_RETURN(std::string ce, get(target("/api/v1/election", "")));
      Json ej = Json::parse(ce, nullptr, false);
      std::vector<std::string> levels = {"national"};
      if (ej.is_object() && ej.contains("levels"))
        for (auto& l : ej["levels"]) levels.push_back(l["code"].get<std::string>());
      TL_ASSIGN_OR_RETURN(std::string sj, get(target("/api/v1/sources", "")));
      std::vector<std::string> sources;
      const Json sources_json = Json::parse(sj, nullptr, false);
      if (sources_json.is_object() && sources_json.contains("sources"))
        for (auto& s : sources_json["sources"]) sources.push_back(s.get<std::string>());
      std::vector<std::string> rules = {"*"};
      rules.insert(rules.end(), sources.begin(), sources.end());
      TL_TRY(api_file(target("/api/v1/sources", "")));
      TL_TRY(api_file(target("/api/v1/conflicts", "")));
      // What the page searches in (static.js answers /api/v1/search from it): it changes only
      // when the station registry does, so re-runs leave it alone.
      TL_TRY(api_file(target("/api/v1/search-index", "")));
      for (const auto& l : levels) TL_TRY(api_file(target("/api/v1/areas", "level=" + enc(l))));
      // The areas under each area (the page's drill-down reads them with the level's tallies):
      // they change only when the station registry does, so re-runs write none of them.
      for (size_t d = 2; d < levels.size(); ++d) {
        TL_ASSIGN_OR_RETURN(std::string above,
                            get(target("/api/v1/areas", "level=" + enc(levels[d - 1]))));
        const Json aj = Json::parse(above, nullptr, false);
        if (!aj.is_object() || !aj.contains("areas")) continue;
        for (const auto& a : aj["areas"]) {
          const std::string code = a.value("code", "");
          if (!safe_segment(code)) continue;
          TL_TRY(api_file(
              target("/api/v1/areas", "level=" + enc(levels[d]) + "&parent=" + enc(code))));
        }
      }
      for (const auto& r : rules) {
        for (const auto& l : levels) {
          // A local race refuses levels above its decided one (400): those have no file.
          auto t = target("/api/v1/tally", "level=" + enc(l) + "&source=" + enc(r));
          if (auto s = api_file(t); !s && s.error().code != ErrorCode::kFailedPrecondition)
            return s;
        }
        TL_TRY(api_file(target("/api/v1/bound", "source=" + enc(r))));
        TL_TRY(api_file(target("/api/v1/flags", "source=" + enc(r))));
      }
      for (const auto& a : sources)
        for (const auto& b : sources)
          if (a != b)
            for (const auto& l : levels)
              TL_TRY(api_file(
                  target("/api/v1/compare", "a=" + enc(a) + "&b=" + enc(b) + "&level=" + enc(l))));
    }
    return {};
  }

  // A station's file is regenerated only when its current sheets changed: its state entry is a
  // digest of their log indexes, not of the file (whose checkpoint changes with every run).
  Status publish_stations() {
    if (!in_.for_each_sheet) return {};
    std::map<std::string, std::string, std::less<>> sheets;  // station -> its log indexes
    TL_TRY(in_.for_each_sheet([&](std::string_view station, uint64_t log_index) {
      auto it = sheets.find(station);
      if (it == sheets.end()) it = sheets.emplace(std::string(station), std::string()).first;
      it->second += std::to_string(log_index) + ",";
    }));
    for (const auto& [station, indexes] : sheets) {
      const std::string path = "/api/v1/stations/" + enc(station) + "/sheets";
      std::string rel = static_api_path(path, "");
      if (rel.empty()) continue;  // a code that cannot be a file name: served by the server only
      const std::string key = "sheets:" + sha256_hex(indexes);
      now_[rel] = key;
      auto it = state_.find(rel);
      if (it != state_.end() && it->second == key && env_.exists(join_path(out_, rel))) {
        ++stats_.files_unchanged;
        continue;
      }
      TL_ASSIGN_OR_RETURN(std::string body, get(path));
      TL_TRY(write(rel, body, Durability::kNoSync));
      ++stats_.station_files;
    }
    return {};
  }

  const PublishInput& in_;
  Env& env_;
  std::string out_;
  std::map<std::string, std::string> state_;  // rel -> digest (or kImmutable), as last published
  std::map<std::string, std::string> now_;    // what this run publishes
  std::vector<std::string> written_paths_;
  std::set<std::string> written_dirs_, created_dirs_;
  PublishStats stats_;
};

}  // namespace

std::string static_api_path(std::string_view path, std::string_view query) {
  if (path == "/api/v1/log/vkey") return "api/v1/log/vkey";
  if (path == "/api/v1/witnesses")
    return query.empty() ? "api/v1/witnesses.json" : "";  // one per log
  if (!path.starts_with("/api/v1/")) return "";
  if (path.starts_with("/api/v1/stations/") && path.ends_with("/sheets") && query.empty()) {
    std::string code = http::percent_decode(path.substr(17, path.size() - 17 - 7), false);
    return safe_segment(code) ? "api/v1/stations/" + code + "/sheets.json" : "";
  }
  std::string_view route = path.substr(8);
  http::Query q = http::parse_query(query);
  auto val = [&](const char* k) -> std::string {
    auto it = q.find(k);
    return it == q.end() ? "" : it->second;
  };
  std::string base = "api/v1/";
  if (std::string c = val("contest"); !c.empty()) {
    if (!safe_segment(c)) return "";
    base += "contest/" + c + "/";
  }
  // Parameters the static copy does not have (a tally's parent, CSV) need the server.
  for (const auto& [k, v] : q)
    if (k != "contest" && k != "level" && k != "source" && k != "a" && k != "b" &&
        !(k == "format" && v == "json") && !(k == "parent" && route == "areas"))
      return "";
  auto seg = [&](const std::string& s) { return safe_segment(s) ? s : std::string(); };
  if (route == "election" || route == "sources" || route == "conflicts" || route == "search-index") {
    if (q.size() != (val("contest").empty() ? 0u : 1u)) return "";
    return base + std::string(route) + ".json";
  }
  if (route == "tally" || route == "areas") {
    std::string l = seg(val("level"));
    if (l.empty())
      return "";  // the default level depends on the election: the page always names one
    if (route == "areas") {
      if (q.contains("source")) return "";
      if (!q.contains("parent")) return base + "areas/" + l + ".json";
      std::string p = seg(val("parent"));
      return p.empty() ? "" : base + "areas/" + l + "/" + p + ".json";
    }
    std::string r = rule_file(val("source"));
    return safe_segment(r) ? base + "tally/" + l + "/" + r + ".json" : "";
  }
  if (route == "bound" || route == "flags") {
    std::string r = rule_file(val("source"));
    return safe_segment(r) ? base + std::string(route) + "/" + r + ".json" : "";
  }
  if (route == "compare") {
    std::string a = rule_file(val("a")), b = rule_file(val("b")), l = seg(val("level"));
    if (l.empty() || !safe_segment(a) || !safe_segment(b)) return "";
    return base + "compare/" + a + "/" + b + "/" + l + ".json";
  }
  return "";
}

Result<PublishStats> publish_site(const PublishInput& in, const std::string& out_dir) {
  if (!in.get) return err(ErrorCode::kInvalidArgument, "publish: no read API");
  return Publisher(in, out_dir).run();
}

}  // namespace tallylog::publish
