#include "tallylog/remote/bulk_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <thread>
#include <cstring>
#include <nlohmann/json.hpp>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "tallylog/base/bytes.h"
#include "tallylog/base/clock.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/validate.h"

namespace tallylog::remote {
namespace {

using Json = nlohmann::json;

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The server's own words for a refusal ({"error": ...}), else the status line.
std::string server_says(const net::HttpResponse& r) {
  try {
    auto j = Json::parse(r.body);
    if (j.is_object() && j.contains("error") && j["error"].is_string())
      return j["error"].get<std::string>() + " (HTTP " + std::to_string(r.status) + ")";
  } catch (const std::exception&) {
  }
  return "HTTP " + std::to_string(r.status);
}

ErrorCode code_for(int status) {
  if (status == 401 || status == 403 || status == 400) return ErrorCode::kInvalidArgument;
  if (status == 429 || status == 413) return ErrorCode::kResourceExhausted;
  return ErrorCode::kUnavailable;
}

ingest::Verdict verdict_of(std::string_view name) {
  if (name == "accepted") return ingest::Verdict::kAccepted;
  if (name == "duplicate") return ingest::Verdict::kDuplicate;
  if (name == "conflict") return ingest::Verdict::kConflict;
  return ingest::Verdict::kRejected;
}

struct DigestHash {
  size_t operator()(const std::string& d) const {
    size_t h = 0;
    std::memcpy(&h, d.data(), std::min(sizeof h, d.size()));
    return h;
  }
};

}  // namespace

struct BulkClient::State {
  std::string url;   // for messages
  std::string base;  // the URL's path: a server behind a path prefix
  BulkOptions opt;
  std::unique_ptr<net::HttpClient> http;
  net::Url parsed;
  net::HttpClientOptions http_options;
  std::mutex blob_mu;
  std::unique_ptr<net::HttpClient> blob_http;  // images, from scan's decoding threads
  std::string submitter;
  std::string query;        // "?source=S[&contest=C]", on every request
  std::string contest_tag;  // what each sheet sent carries in "contest" ("" for a single-contest election)
  std::optional<election::Validator> validator;
  // station code -> registered voters (nullopt: unknown)
  std::unordered_map<std::string, std::optional<uint64_t>> registered;
  std::unordered_set<std::string, DigestHash> held;      // raw identity digests held by the server
  BulkStats stats;

  // GET/POST with the server's refusal turned into an error naming it. Over the token's rate
  // (429) it waits as Retry-After says and tries again: a batch is never refused for being fast.
  // So for a 503 with Retry-After (a server still loading its state after start, an index
  // database briefly away: nothing was recorded, and a repeat can only be a duplicate), for up to
  // 30 tries; not for a follower's (it names the sequencer to write to instead).
  Result<net::HttpResponse> call(const std::string& target, std::string_view body = {}, bool post = false,
                                 net::HttpClient* client = nullptr, std::string_view content_type = "application/x-ndjson") {
    if (!client) client = http.get();
    Result<net::HttpResponse> r = std::unexpected(Error{});
    for (int attempt = 0;; ++attempt) {
      r = post ? client->post(target, body, content_type) : client->get(target);
      const bool over_rate = r && r->status == 429;
      const bool passing = r && r->status == 503 && !r->header("retry-after").empty() &&
                           r->header("tallylog-sequencer").empty();
      if (!(over_rate || passing) || attempt >= (over_rate ? 120 : 30)) break;
      int wait_s = 1;
      auto ra = r->header("retry-after");
      (void)std::from_chars(ra.data(), ra.data() + ra.size(), wait_s);  // unparsable: 1 s
      std::this_thread::sleep_for(std::chrono::seconds(std::clamp(wait_s, 1, 10)));
    }
    if (!r) return std::unexpected(r.error());
    if (r->status != 200)
      return err(code_for(r->status), url + target.substr(0, target.find('?')) + ": " + server_says(*r));
    return r;
  }
};

BulkClient::BulkClient(std::unique_ptr<State> s) : s_(std::move(s)) {}
BulkClient::~BulkClient() = default;

Result<std::unique_ptr<BulkClient>> BulkClient::connect(const std::string& url, const BulkOptions& options) {
  auto nothing_sent = [&](const Error& e) {
    return Error{e.code, e.message + "; nothing was sent to " + url};
  };
  // A token pasted or read from a file keeps its line end ("tl_...\r\n" from a Windows file):
  // trimmed. Anything else that is not one printable word would break the request header (the
  // server then answered a bare "HTTP 400").
  const std::string_view token = trim_ascii_space(options.token);
  if (token.empty())
    return err(ErrorCode::kInvalidArgument, "--token is required to submit to a server (tallylog tokens add)");
  for (char c : token) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return err(ErrorCode::kInvalidArgument,
                 "the token (--token or TALLYLOG_TOKEN) is not one word of printable characters: "
                 "it holds a space, "
                 "a line break or a control character (a token is the single tl_... line `tallylog "
                 "tokens add` "
                 "printed); nothing was sent to " +
                     url);
  }
  auto parsed = net::parse_url(url);
  if (!parsed) return std::unexpected(parsed.error());
  auto s = std::make_unique<State>();
  s->url = parsed->to_string();
  s->opt = options;
  net::HttpClientOptions ho = options.http;
  ho.headers.emplace_back("Authorization", "Bearer " + std::string(token));
  s->parsed = *parsed;
  s->http_options = ho;
  auto http = net::HttpClient::create(*parsed, ho);
  if (!http) return std::unexpected(nothing_sent(http.error()));
  s->http = std::move(*http);
  const std::string base = parsed->path;
  s->base = base;
  const std::string q = "?source=" + percent_encode(options.source) +
                        (options.contest.empty() ? "" : "&contest=" + percent_encode(options.contest));
  s->query = q;

  auto session = s->call(base + "/api/v1/bulk/session" + q);
  if (!session) return std::unexpected(nothing_sent(session.error()));
  election::Election e;
  try {
    auto j = Json::parse(session->body);
    s->submitter = j.at("submitter").get<std::string>();
    if (j.contains("contest")) s->contest_tag = j.at("contest").get<std::string>();
    auto entry = election::decode_entry(j.at("election_entry").get<std::string>());
    if (!entry || entry->type != election::EntryType::kElection)
      return err(ErrorCode::kCorrupt, s->url + ": the election the server sent does not decode" +
                                          (entry ? std::string() : ": " + entry.error().message));
    e = std::get<election::Election>(entry->record);
  } catch (const std::exception& ex) {
    return err(ErrorCode::kCorrupt, s->url + "/api/v1/bulk/session: unexpected answer: " + ex.what());
  }
  TL_ASSIGN_OR_RETURN(auto validator, election::Validator::create(std::move(e)));
  s->validator.emplace(std::move(validator));

  auto stations = s->call(base + "/api/v1/bulk/stations" + q);
  if (!stations) return std::unexpected(nothing_sent(stations.error()));
  std::string_view text = stations->body;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) return err(ErrorCode::kCorrupt, s->url + "/api/v1/bulk/stations: malformed line");
    std::optional<uint64_t> registered;  // an empty figure: registered voters unknown
    if (auto digits = line.substr(tab + 1); !digits.empty()) {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec != std::errc() || end != digits.data() + digits.size())
        return err(ErrorCode::kCorrupt, s->url + "/api/v1/bulk/stations: malformed line");
      registered = n;
    }
    s->registered.emplace(std::string(line.substr(0, tab)), registered);
  }

  auto held = s->call(base + "/api/v1/bulk/held" + q);
  if (!held) return std::unexpected(nothing_sent(held.error()));
  text = held->body;
  s->held.reserve(text.size() / 65);
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    auto raw = hex_decode(line);
    if (!raw || raw->size() != 32) return err(ErrorCode::kCorrupt, s->url + "/api/v1/bulk/held: malformed digest");
    s->held.insert(std::move(*raw));
  }
  s->stats.held_at_start = s->held.size();
  return std::unique_ptr<BulkClient>(new BulkClient(std::move(s)));
}

const std::string& BulkClient::submitter() const { return s_->submitter; }
BulkStats BulkClient::stats() const { return s_->stats; }
const election::Election& BulkClient::election() const { return s_->validator->election(); }

Result<std::vector<ingest::Outcome>> BulkClient::submit_batch(std::span<election::Sheet> sheets,
                                                              std::span<const std::string>) {
  State& s = *s_;
  std::vector<ingest::Outcome> out(sheets.size());
  std::vector<size_t> sent;  // indexes into sheets, in order
  std::vector<std::string> digests;  // their identity digests
  std::string body;
  body.reserve(sheets.size() * 400);
  const std::string now = format_rfc3339(Clock::real().now());
  election::Station probe;
  for (size_t i = 0; i < sheets.size(); ++i) {
    election::Sheet& sh = sheets[i];
    if (sh.submitted_at.empty()) sh.submitted_at = now;  // as the ingestor does; the server sets its own
    if (sh.contest.empty()) sh.contest = s.contest_tag;  // before its identity digest: it is part of it
    // The ingestor's checks, in its order: the validator against the registry, then identity.
    const election::Station* station = nullptr;
    if (auto it = s.registered.find(sh.station); it != s.registered.end()) {
      probe.code = sh.station;
      probe.registered = it->second;
      station = &probe;
    }
    ingest::Outcome& o = out[i];
    std::vector<election::RuleFailure> flags;
    if (auto r = s.validator->validate_sheet(sh, station, &flags)) {
      o.verdict = ingest::Verdict::kRejected;
      o.field = r->field;
      o.reason = r->reason;
      continue;
    }
    for (auto& f : flags) o.flags.push_back(std::move(f.message));
    // Only a resumed run needs the digests: a first run (the server held none of the source at
    // connect) sends every sheet, and a row repeated in the file is answered as a duplicate by
    // the server, which checks every sheet anyway.
    if (s.stats.held_at_start > 0) {
      std::string digest = election::sheet_identity_digest(sh);
      if (s.held.contains(digest)) {
        o.verdict = ingest::Verdict::kDuplicate;  // the server holds it: not sent again
        continue;
      }
      digests.push_back(std::move(digest));
    }
    election::append_sheet_entry(sh, body);
    body.push_back('\n');
    sent.push_back(i);
  }
  if (sent.empty()) return out;
  const std::string target = s.base + "/api/v1/bulk/sheets" + s.query;
  TL_ASSIGN_OR_RETURN(auto r, s.call(target, body, true));
  ++s.stats.batches;
  s.stats.sent += sent.size();
  try {
    auto j = Json::parse(r.body);
    const auto& verdicts = j.at("verdicts");
    if (!verdicts.is_array() || verdicts.size() != sent.size())
      return err(ErrorCode::kCorrupt, s.url + "/api/v1/bulk/sheets: " + std::to_string(verdicts.size()) +
                                          " verdicts for " + std::to_string(sent.size()) + " sheets");
    for (size_t k = 0; k < sent.size(); ++k) {
      const auto& v = verdicts[k];
      ingest::Outcome& o = out[sent[k]];
      o.verdict = verdict_of(v.at("verdict").get<std::string>());
      if (v.contains("log_index")) o.log_index = v["log_index"].get<uint64_t>();
      if (v.contains("conflicts_with")) o.conflicts_with = v["conflicts_with"].get<uint64_t>();
      if (o.verdict == ingest::Verdict::kRejected) {
        o.field = v.value("field", "");
        o.reason = v.value("reason", "");
        o.flags.clear();
      } else if (o.verdict == ingest::Verdict::kDuplicate) {
        o.flags.clear();
      }
      if (o.verdict != ingest::Verdict::kRejected && !digests.empty()) s.held.insert(std::move(digests[k]));
    }
  } catch (const std::exception& ex) {
    return err(ErrorCode::kCorrupt, s.url + "/api/v1/bulk/sheets: unexpected answer: " + ex.what());
  }
  return out;
}

Status BulkClient::sync() {
  State& s = *s_;
  if (s.stats.batches == 0) return ok();
  const std::string target = s.base + "/api/v1/bulk/sheets" + s.query;
  TL_ASSIGN_OR_RETURN(auto r, s.call(target, std::string_view(), true));
  (void)r;
  return ok();
}

Result<std::string> BulkClient::put_blob(std::string_view bytes) {
  State& s = *s_;
  std::lock_guard lock(s.blob_mu);
  if (!s.blob_http) {
    TL_ASSIGN_OR_RETURN(s.blob_http, net::HttpClient::create(s.parsed, s.http_options));
  }
  const std::string target = s.base + "/api/v1/bulk/blobs" + s.query;
  TL_ASSIGN_OR_RETURN(auto r, s.call(target, bytes, true, s.blob_http.get(), "application/octet-stream"));
  try {
    auto j = Json::parse(r.body);
    return j.at("sha256").get<std::string>();
  } catch (const std::exception& ex) {
    return err(ErrorCode::kCorrupt, s.url + "/api/v1/bulk/blobs: unexpected answer: " + ex.what());
  }
}

}  // namespace tallylog::remote
