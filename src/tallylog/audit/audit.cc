#include "tallylog/audit/audit.h"

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tallylog/audit/derive.h"
#include "tallylog/audit/stream_compare.h"
#include "tallylog/election/contest.h"
#include "tallylog/ingest/contest.h"
#include "tallylog/log/log.h"
#include "tallylog/net/http_client.h"
#include "tallylog/publish/publish.h"

namespace tallylog::audit {
namespace {

using Json = nlohmann::json;

struct Route {
  std::string path;
  std::map<std::string, std::string> query;
  std::string target;  // path?query, the API route: as reported
  std::string fetch;   // what is requested: the target, or its file on a static copy of the site
  // A few kilobytes whatever the size of the election (/api/v1/bound): fetched outside the
  // window of large answers (AnswerStream), so the server can work on it while the audit replays.
  bool small = false;
};

std::string encode_component(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '*') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Route make_route(std::string path, std::map<std::string, std::string> query) {
  Route r{std::move(path), std::move(query), "", ""};
  r.target = r.path;
  char sep = '?';
  for (const auto& [k, v] : r.query) {
    r.target += sep + k + "=" + encode_component(v);
    sep = '&';
  }
  r.fetch = r.target;
  return r;
}

// The log size an answer states: the X-Tallylog-Log-Size header, else a top-level "log_size".
std::optional<uint64_t> stated_size(const net::HttpResponse& r) {
  std::string_view text = r.header("x-tallylog-log-size");
  std::string from_body;
  if (text.empty()) {
    size_t at = r.body.find("\"log_size\":");
    if (at == std::string::npos) return std::nullopt;
    size_t start = at + 11, end = start;
    while (end < r.body.size() && r.body[end] >= '0' && r.body[end] <= '9') ++end;
    from_body = r.body.substr(start, end - start);
    text = from_body;
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

// GETs the routes over a few connections at once, ahead of their use, each answer's body streamed
// in pieces as it arrives: the consumer takes the routes in order, head first, then the body
// piece by piece, then release(). At most `window` routes not marked small are in flight (small
// ones go ahead of them without counting) and each holds at most
// kMaxBufferedBytes of body not yet consumed (a table-level answer is hundreds of megabytes at
// national scale: it is never held whole) — for at most kMaxBackPressure after its head arrived:
// past that the body is buffered whatever its size, so the server's write timeout (30 s by
// default) never cuts an answer the consumer is slow to reach (memory then grows instead).
class AnswerStream {
 public:
  static constexpr size_t kMaxBufferedBytes = size_t{16} << 20;
  static constexpr std::chrono::seconds kMaxBackPressure{15};

  AnswerStream(net::Url base, const std::vector<Route>& routes, net::HttpClientOptions options, size_t threads,
               size_t window)
      : base_(std::move(base)), routes_(routes), options_(std::move(options)), window_(window), answers_(routes.size()) {
    for (size_t t = 0; t < std::min(threads, routes.size()); ++t) pool_.emplace_back([this] { work(); });
  }
  ~AnswerStream() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : pool_) t.join();
  }
  // Route i's status and headers (body empty), or the failure to get them.
  Result<net::HttpResponse> head(size_t i) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return answers_[i].head.has_value(); });
    return *answers_[i].head;
  }
  // Route i's next body piece; nullopt at the end of the body.
  Result<std::optional<std::string>> piece(size_t i) {
    std::unique_lock lock(mu_);
    Answer& a = answers_[i];
    cv_.wait(lock, [&] { return !a.pieces.empty() || a.done; });
    if (!a.pieces.empty()) {
      std::string p = std::move(a.pieces.front());
      a.pieces.pop_front();
      a.buffered -= p.size();
      cv_.notify_all();
      return std::optional<std::string>(std::move(p));
    }
    if (a.failed) return std::unexpected(*a.failed);
    return std::optional<std::string>();
  }
  // Route i's whole body (answers that must be held: compared later, or diffed).
  Result<std::string> rest(size_t i) {
    std::string body;
    while (true) {
      TL_ASSIGN_OR_RETURN(auto p, piece(i));
      if (!p) return body;
      body += *p;
    }
  }
  // Done with route i (its body read to the end): the next route may start.
  void release(size_t i) {
    std::lock_guard lock(mu_);
    answers_[i] = Answer();
    if (!routes_[i].small) --large_;
    cv_.notify_all();
  }

 private:
  struct Answer {
    std::optional<Result<net::HttpResponse>> head;
    std::deque<std::string> pieces;
    size_t buffered = 0;
    bool done = false;
    std::optional<Error> failed;
  };

  void work() {
    auto client = net::HttpClient::create(base_, options_);
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stopping_ || (next_ < routes_.size() && (routes_[next_].small || large_ < window_)); });
      if (stopping_) return;
      size_t i = next_++;
      if (!routes_[i].small) ++large_;
      lock.unlock();
      auto until = std::chrono::steady_clock::now();
      auto on_head = [&](const net::HttpResponse& h) -> Status {
        until = std::chrono::steady_clock::now() + kMaxBackPressure;
        std::lock_guard l(mu_);
        answers_[i].head = h;
        cv_.notify_all();
        return ok();
      };
      auto on_piece = [&](std::string& p) -> Status {
        std::unique_lock l(mu_);
        Answer& a = answers_[i];
        cv_.wait_until(l, until, [&] { return stopping_ || a.buffered < kMaxBufferedBytes; });
        if (stopping_) return err(ErrorCode::kUnavailable, "the audit stopped before this answer was read");
        a.buffered += p.size();
        a.pieces.push_back(std::move(p));  // its storage: the client reads the next piece into new
        cv_.notify_all();
        return ok();
      };
      Result<net::HttpResponse> r =
          client ? (*client)->get_streamed(base_.path + routes_[i].fetch, on_head, on_piece)
                 : Result<net::HttpResponse>(std::unexpected(client.error()));
      lock.lock();
      Answer& a = answers_[i];
      if (!r) {
        if (!a.head) a.head = std::unexpected(r.error());
        else a.failed = r.error();
      }
      a.done = true;
      cv_.notify_all();
    }
  }

  net::Url base_;
  const std::vector<Route>& routes_;
  net::HttpClientOptions options_;
  size_t window_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Answer> answers_;
  size_t next_ = 0, large_ = 0;  // the next route to fetch; large routes fetched, not released
  bool stopping_ = false;
  std::vector<std::thread> pool_;
};

class TempDir {
 public:
  static Result<TempDir> make() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/tallylog-audit-XXXXXX";
    if (!::mkdtemp(templ.data())) return err(ErrorCode::kIo, "cannot create a temporary mirror directory under " + templ);
    return TempDir(templ);
  }
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

// The answers of one contest ("" for an election of one) compared, into `report`.
Status audit_contest(const AuditOptions& o, const net::Url& base, const mirror::MirrorOptions& mo,
                     const election::Election& full, bool static_site, const std::string& contest,
                     AuditReport& report);

// The HTTP client options of every request of an audit.
net::HttpClientOptions answer_options(const AuditOptions& o) {
  net::HttpClientOptions ho;
  ho.ca_file = o.ca_file;
  ho.user_agent = "tallylog-audit";
  ho.max_body = 1ull << 30;
  return ho;
}

}  // namespace

Result<AuditReport> run_audit(const AuditOptions& o) {
  AuditReport report;
  auto step = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };
  TL_ASSIGN_OR_RETURN(net::Url base, net::parse_url(o.url));
  std::optional<TempDir> temp;
  std::string dir = o.mirror_dir;
  if (dir.empty()) {
    TL_ASSIGN_OR_RETURN(TempDir t, TempDir::make());
    dir = t.path();
    temp.emplace(std::move(t));
  }
  mirror::MirrorOptions mo;
  mo.source = o.url;
  mo.dir = dir;
  mo.vkey = o.vkey;
  mo.witnesses = o.witnesses;
  mo.ca_file = o.ca_file;
  mo.progress = o.progress;
  TL_ASSIGN_OR_RETURN(report.mirror, mirror::run_mirror(mo));
  if (report.mirror.outcome == mirror::MirrorReport::Outcome::kFork) return report;

  // The contests: the one named (resolved against the mirrored log's election), or, when none
  // is, every contest the election has (the server publishes them all), one after the other.
  election::Election full;
  {
    TL_ASSIGN_OR_RETURN(auto mirrored, log::open_reader(dir));
    TL_ASSIGN_OR_RETURN(full, ingest::logged_election(*mirrored));
  }
  std::vector<std::string> contests;
  if (o.contest.empty() && !full.contests.empty()) {
    for (const auto& c : full.contests) contests.push_back(c.id);
  } else {
    TL_ASSIGN_OR_RETURN(std::string c, election::resolve_contest(full, o.contest));
    contests.push_back(std::move(c));
  }
  // A static copy of the site (`tallylog publish`, behind any web server or CDN) says so in
  // site.json; each answer is then the file publish::static_api_path names for its route.
  bool static_site = false;
  {
    TL_ASSIGN_OR_RETURN(auto client, net::HttpClient::create(base, answer_options(o)));
    if (auto sj = client->get(base.path + "/site.json"); sj && sj->status == 200) {
      Json j = Json::parse(sj->body, nullptr, false);
      static_site = j.is_object() && j.value("static", false);
    }
  }
  if (static_site) step("a static copy of the site (site.json): each answer is read from its file");
  for (const std::string& contest : contests) {
    if (!contest.empty() && contests.size() > 1) step("contest " + contest);
    const uint64_t answers = report.answers, figures = report.figures,
                   differences = report.differences;
    TL_TRY(audit_contest(o, base, mo, full, static_site, contest, report));
    if (report.mirror.outcome == mirror::MirrorReport::Outcome::kFork) return report;
    if (contests.size() > 1) {
      report.contests.push_back({contest, report.answers - answers, report.figures - figures,
                                 report.differences - differences});
    }
  }
  return report;
}

namespace {

Status audit_contest(const AuditOptions& o, const net::Url& base, const mirror::MirrorOptions& mo,
                     const election::Election& full, bool static_site, const std::string& contest,
                     AuditReport& report) {
  auto step = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };
  const std::string& dir = mo.dir;
  // What the server publishes: every level, every rule the election implies, every pair.
  net::HttpClientOptions ho = answer_options(o);
  TL_ASSIGN_OR_RETURN(auto client, net::HttpClient::create(base, ho));
  auto with_contest = [&](std::map<std::string, std::string> q) {
    if (!contest.empty()) q["contest"] = contest;
    return q;
  };
  auto fetch_path = [&](const Route& r) -> Result<std::string> {
    if (!static_site) return r.target;
    const size_t q = r.target.find('?');
    std::string file =
        publish::static_api_path(r.path, q == std::string::npos ? "" : r.target.substr(q + 1));
    if (file.empty())
      return err(ErrorCode::kNotFound,
                 base.to_string() + ": a static site has no file for " + r.target);
    return "/" + file;
  };
  // One small answer of the server (or its file), with the path it came from; not 200 is an error.
  auto get_answer =
      [&](const std::string& route) -> Result<std::pair<std::string, net::HttpResponse>> {
    TL_ASSIGN_OR_RETURN(std::string path, fetch_path(make_route(route, with_contest({}))));
    TL_ASSIGN_OR_RETURN(net::HttpResponse r, client->get(base.path + path));
    if (r.status != 200)
      return err(ErrorCode::kUnavailable,
                 "GET " + base.to_string() + path + ": HTTP " + std::to_string(r.status));
    return std::pair{path, std::move(r)};
  };
  TL_ASSIGN_OR_RETURN(auto election_answer, get_answer("/api/v1/election"));
  const auto& [election_path, er] = election_answer;
  // The levels and source rules audited come from the election in the mirrored log, not from the
  // server's word: a server that left a rule out of /api/v1/election would otherwise keep that
  // rule's totals out of the audit. What the server says is compared with the log.
  std::vector<std::string> levels = {"national"};
  std::vector<std::string> rules = {"*"};
  {
    TL_ASSIGN_OR_RETURN(election::Election e, election::contest_election(full, contest));
    for (const auto& l : e.levels) levels.push_back(l.code);
    for (const auto& src : e.sources)
      if (std::find(rules.begin(), rules.end(), src) == rules.end()) rules.push_back(src);
  }
  try {
    Json e = Json::parse(er.body);
    std::vector<std::string> said_levels = {"national"}, said_rules = {"*"};
    for (const auto& l : e.at("levels")) said_levels.push_back(l.at("code").get<std::string>());
    for (const auto& src : e.at("sources")) {
      std::string r = src.get<std::string>();
      if (std::find(said_rules.begin(), said_rules.end(), r) == said_rules.end())
        said_rules.push_back(r);
    }
    auto joined = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& x : v) out += (out.empty() ? "" : ",") + x;
      return out;
    };
    const std::string route = make_route("/api/v1/election", with_contest({})).target;
    for (auto [field, said, logged] : {std::tuple{"levels", &said_levels, &levels},
                                       std::tuple{"sources", &said_rules, &rules}}) {
      if (*said == *logged) continue;
      ++report.differences;
      if (report.listed.size() < o.max_listed)
        report.listed.push_back({route, "", field, joined(*said), joined(*logged)});
    }
  } catch (const std::exception& ex) {
    return err(ErrorCode::kCorrupt, base.to_string() + election_path + ": " + ex.what());
  }
  if (static_site) {
    // A static copy publishes the rules `publish` writes: "*" and each source with sheets
    // (/api/v1/sources), not the election's source patterns.
    TL_ASSIGN_OR_RETURN(auto sources_answer, get_answer("/api/v1/sources"));
    const auto& [sources_path, sr] = sources_answer;
    Json sj = Json::parse(sr.body, nullptr, false);
    if (!sj.is_object() || !sj.contains("sources") || !sj["sources"].is_array())
      return err(ErrorCode::kCorrupt, base.to_string() + sources_path + ": no \"sources\" list");
    rules = {"*"};
    for (const auto& v : sj["sources"])
      if (v.is_string() &&
          std::find(rules.begin(), rules.end(), v.get<std::string>()) == rules.end())
        rules.push_back(v.get<std::string>());
  }
  std::vector<Route> routes;
  // The bounds first: each is a few kilobytes, but answering it makes the server tabulate its rule
  // (every current sheet read from its index), which it keeps for the tally and compare answers
  // after. So the server tabulates every rule while the audit replays the log, instead of after.
  for (const auto& r : rules) {
    routes.push_back(make_route("/api/v1/bound", with_contest({{"source", r}})));
    routes.back().small = true;
  }
  // Only the two finest levels (tables and the level that groups them) answer with a line per
  // table or nearly: the coarser levels' answers are small whatever the size of the election, and
  // go ahead of the window of large ones. So while the audit reads one large answer the server is
  // already formatting the next large one, instead of waiting for the small ones between them.
  auto small_level = [&](size_t li) { return li + 2 < levels.size(); };
  for (const auto& r : rules) {
    for (size_t li = 0; li < levels.size(); ++li) {
      routes.push_back(make_route("/api/v1/tally", with_contest({{"level", levels[li]}, {"source", r}})));
      routes.back().small = small_level(li);
    }
  }
  // Every pair of rules once; a static copy publishes every ordered pair of sources ("*" aside).
  for (size_t i = 0; i < rules.size(); ++i) {
    for (size_t j = static_site ? 0 : i + 1; j < rules.size(); ++j) {
      if (static_site && (i == j || rules[i] == "*" || rules[j] == "*")) continue;
      for (size_t li = 0; li < levels.size(); ++li) {
        routes.push_back(make_route("/api/v1/compare", with_contest({{"a", rules[i]}, {"b", rules[j]}, {"level", levels[li]}})));
        routes.back().small = small_level(li);
      }
    }
  }
  for (Route& r : routes) {
    TL_ASSIGN_OR_RETURN(r.fetch, fetch_path(r));
  }
  step("asking " + base.to_string() + " for " + std::to_string(routes.size()) + " answers (" + std::to_string(rules.size()) +
       " source rules, " + std::to_string(levels.size()) + " levels)");
  // Answers are fetched while the log is replayed (the server computes while we do).
  ho.timeout = std::chrono::minutes(10);  // some answers are large; a busy server takes its time
  // Four connections, three large answers ahead: while one answer is compared the server is
  // already formatting the next table-level ones (between two table-level answers there is the
  // next rule's or pair's level above the tables), and it has work while the audit replays the
  // log. A tallylog server keeps these answers as shared cached bodies, which its limit on bodies
  // waiting for readers (256 MB, for bodies of its own) does not count. The audit holds at most
  // AnswerStream::kMaxBufferedBytes of each (docs/benchmarks.md: windows of 2, 3, 4 and 6 measured).
  AnswerStream stream(base, routes, ho, 4, 4);
  TL_ASSIGN_OR_RETURN(auto reader, log::open_reader(dir));
  std::map<uint64_t, std::unique_ptr<Derivation>> derivations;  // by log size
  struct KeepUntilExit {  // o.keep_state_until_exit
    std::map<uint64_t, std::unique_ptr<Derivation>>& derivations;
    bool keep;
    ~KeepUntilExit() {
      if (!keep) return;
      // Never freed, and reachable from a static pointer until the process exits.
      static auto* kept = new std::vector<std::unique_ptr<Derivation>>();
      for (auto& [size, d] : derivations) kept->push_back(std::move(d));
      derivations.clear();
    }
  } keep_until_exit{derivations, o.keep_state_until_exit};
  auto derivation = [&](uint64_t size) -> Result<Derivation*> {
    auto it = derivations.find(size);
    if (it == derivations.end()) {
      if (derivations.size() >= 2) derivations.erase(derivations.begin());  // bounded memory
      step("re-deriving the published figures from the first " + std::to_string(size) + " log entries");
      TL_ASSIGN_OR_RETURN(auto d, Derivation::build(*reader, size, contest));
      it = derivations.emplace(size, std::move(d)).first;
    }
    report.entries = std::max(report.entries, size);
    return it->second.get();
  };
  TL_ASSIGN_OR_RETURN(Derivation * first, derivation(reader->size()));
  // Every rule tabulated at once, before the answers need them. A rule that fails here fails
  // again in each answer that needs it, where it is reported as that answer's difference.
  (void)first->prepare(rules);
  auto differ = [&](const Route& r, std::string field, std::string published, std::string derived) {
    ++report.differences;
    if (report.listed.size() < o.max_listed) report.listed.push_back({r.target, "", std::move(field), std::move(published), std::move(derived)});
  };
  bool assumed = false;
  std::vector<std::pair<size_t, net::HttpResponse>> later;  // answers for sizes beyond the mirror
  // A published answer held whole (the rare paths: not 200, no stated size, a later size).
  auto compare_one = [&](size_t i, const net::HttpResponse& got, uint64_t size) -> Status {
    ++report.answers;
    report.figures += count_figures(got.body);
    TL_ASSIGN_OR_RETURN(Derivation * d, derivation(size));
    // An answer that states its log size gets a derived body that states it too.
    auto derived = d->answer(routes[i].path, routes[i].query, stated_size(got) ? std::optional<uint64_t>(size) : std::nullopt);
    // A route the election's rules refuse (a local race above its decided level): the server's
    // client error and the derivation's refusal agree.
    if (got.status >= 400 && got.status < 500 && !derived) return ok();
    if (got.status != 200 || !derived) {
      differ(routes[i], "(status)", "HTTP " + std::to_string(got.status), derived ? "200" : "error: " + derived.error().message);
      return ok();
    }
    report.differences += diff_json(routes[i].target, got.body, *derived, report.listed, o.max_listed);
    return ok();
  };
  // A 200 answer stating its size: compared piece by piece as it arrives and as the derived body
  // is formatted, neither held whole; only when they differ are both rebuilt whole to name each
  // difference.
  auto compare_streamed = [&](size_t i, net::HttpResponse head, uint64_t size) -> Status {
    ++report.answers;
    TL_ASSIGN_OR_RETURN(Derivation * d, derivation(size));
    StreamComparer cmp([&] { return stream.piece(i); });
    Status fed = ok();
    Result<uint64_t> made = d->answer_streamed(routes[i].path, routes[i].query, size, [&](std::string_view piece) {
      if (fed) fed = cmp.derived(piece);
    });
    TL_TRY(fed);
    TL_ASSIGN_OR_RETURN(bool same, cmp.finish());
    if (made && same) {
      // The published body is the derived one byte for byte: so are its figures, counted as the
      // derived body was formatted (scanning the published one again cost a tenth of the audit).
      report.figures += *made;
      return ok();
    }
    // The published body rebuilt whole: the derived bytes it matched (formatted again: formatting
    // is deterministic, and a derivation that failed fails again after the same bytes), then the
    // published rest.
    std::string derived;
    (void)d->answer_streamed(routes[i].path, routes[i].query, size, [&](std::string_view piece) { derived += piece; });
    head.body = derived.substr(0, std::min<uint64_t>(cmp.matched(), derived.size())) + cmp.take_rest();
    report.figures += count_figures(head.body);
    if (!made) {
      differ(routes[i], "(status)", "HTTP 200", "error: " + made.error().message);
      return ok();
    }
    report.differences += diff_json(routes[i].target, head.body, derived, report.listed, o.max_listed);
    return ok();
  };
  // The oldest log size an answer reflects: a server whose answers lag its own checkpoint shows
  // totals that leave out the last entries. A few entries are the index catching up during
  // submissions; more is worth a reader's attention either way, so the report says how many.
  uint64_t oldest = UINT64_MAX;
  std::string oldest_route;
  auto note_size = [&](uint64_t size, const Route& r) {
    if (size < oldest) {
      oldest = size;
      oldest_route = r.target;
    }
  };
  for (size_t i = 0; i < routes.size(); ++i) {
    TL_ASSIGN_OR_RETURN(net::HttpResponse got, stream.head(i));
    std::optional<uint64_t> stated = stated_size(got);  // from the header; the body is not here yet
    if (stated) note_size(*stated, routes[i]);
    if (got.status == 200 && stated && *stated <= reader->size()) {
      TL_TRY(compare_streamed(i, std::move(got), *stated));
      stream.release(i);
      continue;
    }
    TL_ASSIGN_OR_RETURN(got.body, stream.rest(i));
    stream.release(i);
    uint64_t size = reader->size();
    if (auto s = stated_size(got)) {  // now also from the body
      size = *s;
      note_size(size, routes[i]);
    } else if (got.status == 200) {
      assumed = true;  // a refusal states no size and needs none
    }
    if (size > reader->size()) {
      later.emplace_back(i, std::move(got));
      continue;
    }
    TL_TRY(compare_one(i, got, size));
  }
  if (oldest < reader->size()) {
    report.notes.push_back("some answers reflect an older log than the checkpoint mirrored (" +
                           std::to_string(reader->size()) + " entries): the oldest, " +
                           oldest_route + ", reflects " + std::to_string(oldest) +
                           ", leaving out the last " + std::to_string(reader->size() - oldest) +
                           " entries (compared at the size each states)");
  }
  if (assumed) {
    report.notes.push_back("some answers do not state the log size they reflect; they were compared at the size of the "
                           "checkpoint mirrored just before asking (" + std::to_string(report.mirror.new_size) + ")");
  }
  if (!later.empty()) {
    step(std::to_string(later.size()) + " answers reflect a log larger than the mirrored " + std::to_string(reader->size()) +
         ": mirroring again");
    TL_ASSIGN_OR_RETURN(report.mirror, mirror::run_mirror(mo));
    if (report.mirror.outcome == mirror::MirrorReport::Outcome::kFork) return ok();
    derivations.clear();
    TL_ASSIGN_OR_RETURN(reader, log::open_reader(dir));
    for (auto& [i, got] : later) {
      uint64_t size = *stated_size(got);
      if (size > reader->size()) {
        differ(routes[i], "(log size)", std::to_string(size),
               "no checkpoint that large is published (" + std::to_string(reader->size()) + ")");
        continue;
      }
      TL_TRY(compare_one(i, got, size));
    }
  }
  return ok();
}

}  // namespace
}  // namespace tallylog::audit
