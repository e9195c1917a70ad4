#include "tallylog/witness/client.h"

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tallylog/note/checkpoint.h"
#include "tallylog/witness/witness.h"

namespace tallylog::witness {
namespace {

std::string key_label(const note::CosignatureVerifier& k) { return k.name() + "+" + note::hex8(k.key_id()); }

std::optional<uint64_t> parse_size_body(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (body.empty() || ec != std::errc() || p != body.data() + body.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<WitnessEndpoint> parse_witness_endpoint(std::string_view spec) {
  size_t at = spec.find('@');
  if (at == std::string_view::npos) {
    return err(ErrorCode::kInvalidArgument, "witness \"" + std::string(spec) + "\": expected <vkey>@<url>");
  }
  auto key = note::CosignatureVerifier::parse(spec.substr(0, at));
  if (!key) return std::unexpected(with_context(key.error(), "witness"));
  auto url = net::parse_url(spec.substr(at + 1));
  if (!url) return std::unexpected(with_context(url.error(), "witness " + key->name()));
  return WitnessEndpoint{*key, url->to_string()};
}

WitnessClient::WitnessClient(WitnessEndpoint endpoint, net::HttpClientOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {}
WitnessClient::~WitnessClient() = default;

Result<std::string> WitnessClient::add_checkpoint(std::string_view checkpoint_note, const ConsistencyProofFn& proof) {
  const std::string who = "witness " + key_label(endpoint_.key) + " (" + endpoint_.url + ")";
  if (!http_) {
    TL_ASSIGN_OR_RETURN(net::Url u, net::parse_url(endpoint_.url));
    target_ = u.path + "/add-checkpoint";
    options_.user_agent = "tallylog-witness-client";
    TL_ASSIGN_OR_RETURN(http_, net::HttpClient::create(u, options_));
  }
  TL_ASSIGN_OR_RETURN(note::Note n, note::parse_note(checkpoint_note));
  TL_ASSIGN_OR_RETURN(note::Checkpoint cp, note::Checkpoint::parse_body(n.text));
  // At most two rounds: the first may teach us the size the witness last cosigned.
  for (int round = 0; round < 2; ++round) {
    uint64_t old = known_size_.value_or(0);
    if (old > cp.size) {
      return err(ErrorCode::kFailedPrecondition, who + " has cosigned size " + std::to_string(old) +
                                                     ", larger than this checkpoint's " + std::to_string(cp.size));
    }
    std::vector<merkle::Hash> p;
    if (old > 0 && old < cp.size) {
      auto r = proof(old, cp.size);
      if (!r) return std::unexpected(with_context(r.error(), who + ": consistency proof from " + std::to_string(old)));
      p = std::move(*r);
    }
    auto res = http_->post(target_, format_add_checkpoint(old, p, checkpoint_note), "text/plain; charset=utf-8");
    if (!res) return std::unexpected(with_context(res.error(), who));
    std::string reason = res->body.substr(0, 300);
    while (!reason.empty() && reason.back() == '\n') reason.pop_back();
    switch (res->status) {
      case 200: {
        // Keep only lines that verify as this witness's cosignature on this checkpoint.
        std::vector<note::CosignatureVerifier> keys = {endpoint_.key};
        auto got = note::open_cosignatures(std::string(checkpoint_note) + res->body, keys);
        if (!got) return std::unexpected(with_context(got.error(), who + " answered"));
        if (got->empty()) return err(ErrorCode::kVerificationFailed, who + " answered 200 without its cosignature");
        std::string lines;
        for (std::string_view rest = res->body; !rest.empty();) {
          size_t nl = rest.find('\n');
          std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
          rest.remove_prefix(line.size());
          if (line.starts_with("\xE2\x80\x94 " + endpoint_.key.name() + " ")) lines += line;
        }
        known_size_ = cp.size;
        return lines;
      }
      case 409:
        if (res->content_type.starts_with(kSizeContentType)) {
          auto size = parse_size_body(res->body);
          if (!size) return err(ErrorCode::kUnavailable, who + " answered 409 with a malformed size \"" + reason + "\"");
          if (round == 0 && (!known_size_ || *known_size_ != *size)) {
            known_size_ = *size;
            continue;
          }
          return err(ErrorCode::kFailedPrecondition, who + " insists it last cosigned size " + std::to_string(*size));
        }
        return err(ErrorCode::kVerificationFailed, who + " refuses: conflict with what it cosigned before (" + reason + ")");
      case 422:
        known_size_.reset();
        return err(ErrorCode::kVerificationFailed, who + " refuses the consistency proof (" + reason + ")");
      case 403:
        return err(ErrorCode::kFailedPrecondition, who + " does not accept the log's signature (" + reason + ")");
      case 404:
        return err(ErrorCode::kFailedPrecondition, who + " does not follow this log (" + reason + ")");
      default:
        return err(ErrorCode::kUnavailable, who + ": HTTP " + std::to_string(res->status) + " " + reason);
    }
  }
  return err(ErrorCode::kInternal, who + ": no answer");
}

// ---- Collector ------------------------------------------------------------------------------

namespace {

// One checkpoint's request to the witnesses. Workers use the proof function only while the
// round is open (cosign() is waiting); afterwards they get an error instead.
struct Round {
  std::mutex mu;
  std::condition_variable cv;
  bool open = true;
  const ConsistencyProofFn* proof = nullptr;
  std::string note;
  size_t pending = 0;
  std::vector<std::string> lines;  // per witness, empty when none

  Result<std::vector<merkle::Hash>> get_proof(uint64_t from, uint64_t to) {
    std::lock_guard lock(mu);
    if (!open || !proof) return err(ErrorCode::kUnavailable, "the checkpoint was published before this witness answered");
    return (*proof)(from, to);
  }
};

}  // namespace

struct Collector::Impl {
  struct Worker {
    std::unique_ptr<WitnessClient> client;
    std::thread thread;
    // Guarded by Impl::mu:
    std::shared_ptr<Round> job;
    size_t slot = 0;
    bool busy = false;
    WitnessStatus status;
  };

  CollectorOptions opt;
  Clock* clock;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::vector<std::unique_ptr<Worker>> workers;
  CollectorStatus summary;

  void run(Worker* w) {
    std::unique_lock lock(mu);
    while (true) {
      cv.wait(lock, [&] { return stopping || w->job; });
      if (stopping) return;
      auto round = std::move(w->job);
      w->job.reset();
      size_t slot = w->slot;
      lock.unlock();
      ConsistencyProofFn proof = [&round](uint64_t a, uint64_t b) { return round->get_proof(a, b); };
      auto r = w->client->add_checkpoint(round->note, proof);
      lock.lock();
      // Idle again before the round learns the answer: the next checkpoint may come right after.
      w->busy = false;
      if (r) {
        w->status.last_error.clear();
        w->status.consecutive_failures = 0;
        w->status.cosigned_size = w->client->known_size().value_or(0);
        w->status.last_cosigned_at = format_rfc3339(clock->now());
      } else {
        w->status.last_error = r.error().message;
        ++w->status.consecutive_failures;
      }
      lock.unlock();
      {
        std::lock_guard rl(round->mu);
        if (r) round->lines[slot] = *r;
        --round->pending;
        round->cv.notify_all();
      }
      lock.lock();
    }
  }
};

Collector::Collector(std::vector<WitnessEndpoint> witnesses, CollectorOptions options, Clock& clock)
    : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  impl_->clock = &clock;
  impl_->summary.quorum = impl_->opt.quorum;
  impl_->summary.quorum_met = impl_->opt.quorum == 0;  // nothing cosigned yet
  net::HttpClientOptions http = impl_->opt.http;
  http.timeout = std::min(http.timeout, impl_->opt.deadline);
  for (auto& e : witnesses) {
    auto w = std::make_unique<Impl::Worker>();
    w->status.key = key_label(e.key);
    w->status.vkey = e.key.text();
    w->status.url = e.url;
    w->client = std::make_unique<WitnessClient>(std::move(e), http);
    impl_->workers.push_back(std::move(w));
  }
  for (auto& w : impl_->workers) w->thread = std::thread([this, p = w.get()] { impl_->run(p); });
}

Collector::~Collector() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& w : impl_->workers) w->thread.join();
}

std::string Collector::cosign(std::string_view signed_note, const ConsistencyProofFn& proof) {
  auto round = std::make_shared<Round>();
  round->proof = &proof;
  round->note = std::string(signed_note);
  round->lines.resize(impl_->workers.size());
  {
    std::lock_guard lock(impl_->mu);
    for (size_t i = 0; i < impl_->workers.size(); ++i) {
      auto& w = *impl_->workers[i];
      if (w.busy) {  // still on an older checkpoint: skip it this time
        w.status.last_error = "still answering an earlier checkpoint";
        ++w.status.consecutive_failures;
        continue;
      }
      w.busy = true;
      w.job = round;
      w.slot = i;
      ++round->pending;
    }
  }
  impl_->cv.notify_all();
  std::string out(signed_note);
  size_t got = 0;
  {
    std::unique_lock rl(round->mu);
    round->cv.wait_for(rl, impl_->opt.deadline, [&] { return round->pending == 0; });
    round->open = false;  // late workers may no longer ask for proofs
    round->proof = nullptr;
    for (const auto& l : round->lines) {
      if (l.empty()) continue;
      out += l;
      ++got;
    }
  }
  uint64_t size = 0;
  if (auto n = note::parse_note(signed_note)) {
    if (auto c = note::Checkpoint::parse_body(n->text)) size = c->size;
  }
  std::lock_guard lock(impl_->mu);
  auto& s = impl_->summary;
  s.checkpoint_size = size;
  s.checkpoint_cosignatures = got;
  s.quorum_met = got >= s.quorum;
  if (!s.quorum_met) ++s.checkpoints_short;
  return out;
}

CollectorStatus Collector::status() const {
  std::lock_guard lock(impl_->mu);
  CollectorStatus s = impl_->summary;
  for (const auto& w : impl_->workers) s.witnesses.push_back(w->status);
  return s;
}

std::string Collector::status_json() const {
  CollectorStatus s = status();
  nlohmann::ordered_json j;
  j["quorum"] = s.quorum;
  j["checkpoint"] = {{"size", s.checkpoint_size},
                     {"cosignatures", s.checkpoint_cosignatures},
                     {"quorum_met", s.quorum_met}};
  j["checkpoints_short"] = s.checkpoints_short;
  auto list = nlohmann::ordered_json::array();
  for (const auto& w : s.witnesses) {
    list.push_back({{"key", w.key},
                    {"vkey", w.vkey},
                    {"url", w.url},
                    {"cosigned_size", w.cosigned_size},
                    {"last_cosigned_at", w.last_cosigned_at.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(w.last_cosigned_at)},
                    {"last_error", w.last_error.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(w.last_error)},
                    {"consecutive_failures", w.consecutive_failures}});
  }
  j["witnesses"] = std::move(list);
  return j.dump();
}

}  // namespace tallylog::witness
