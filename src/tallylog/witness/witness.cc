#include "tallylog/witness/witness.h"

#include <charconv>

#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::witness {
namespace {

Answer text(int status, std::string body) {
  Answer a;
  a.status = status;
  a.body = std::move(body);
  if (a.body.empty() || a.body.back() != '\n') a.body += "\n";
  return a;
}

Result<uint64_t> parse_size(std::string_view s, std::string_view what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || (s.size() > 1 && s[0] == '0')) {
    return err(ErrorCode::kInvalidArgument, std::string(what) + " \"" + std::string(s) + "\" is not a decimal size without leading zeros");
  }
  return v;
}

}  // namespace

Result<AddCheckpointRequest> parse_add_checkpoint(std::string_view body) {
  AddCheckpointRequest r;
  size_t nl = body.find('\n');
  if (nl == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "request: no \"old <size>\" line");
  std::string_view first = body.substr(0, nl);
  if (!first.starts_with("old ")) return err(ErrorCode::kInvalidArgument, "request: the first line must be \"old <size>\"");
  TL_ASSIGN_OR_RETURN(r.old_size, parse_size(first.substr(4), "old size"));
  body.remove_prefix(nl + 1);
  for (size_t line = 2;; ++line) {
    nl = body.find('\n');
    if (nl == std::string_view::npos) return err(ErrorCode::kInvalidArgument, "request: no empty line before the checkpoint");
    std::string_view l = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    if (l.empty()) break;
    if (r.proof.size() == kMaxProofLines) {
      return err(ErrorCode::kInvalidArgument, "request: more than " + std::to_string(kMaxProofLines) + " consistency proof lines");
    }
    auto h = merkle::hash_from_base64(l);
    if (!h) return err(ErrorCode::kInvalidArgument, "request line " + std::to_string(line) + ": " + h.error().message);
    r.proof.push_back(*h);
  }
  if (body.empty()) return err(ErrorCode::kInvalidArgument, "request: no checkpoint after the empty line");
  r.checkpoint = std::string(body);
  return r;
}

std::string format_add_checkpoint(uint64_t old_size, std::span<const merkle::Hash> proof, std::string_view checkpoint) {
  std::string out = "old " + std::to_string(old_size) + "\n";
  for (const auto& h : proof) out += merkle::hash_base64(h) + "\n";
  out += "\n";
  out += checkpoint;
  return out;
}

Witness::Witness(note::Cosigner key, std::vector<note::Verifier> log_keys, WitnessState& state, Clock& clock)
    : key_(std::move(key)), log_keys_(std::move(log_keys)), state_(state), clock_(clock) {}

Answer Witness::add_checkpoint(std::string_view request_body) {
  auto req = parse_add_checkpoint(request_body);
  if (!req) return text(400, req.error().message);
  auto parsed = note::parse_note(req->checkpoint);
  if (!parsed) return text(400, "checkpoint: " + parsed.error().message);
  auto cp = note::Checkpoint::parse_body(parsed->text);
  if (!cp) return text(400, "checkpoint: " + cp.error().message);
  std::vector<note::Verifier> keys;
  for (const auto& k : log_keys_) {
    if (k.name() == cp->origin) keys.push_back(k);
  }
  if (keys.empty()) return text(404, "unknown log \"" + cp->origin + "\"");
  if (auto opened = note::open_note(req->checkpoint, keys); !opened) {
    return text(403, "checkpoint signature: " + opened.error().message);
  }
  if (req->old_size > cp->size) {
    return text(400, "old size " + std::to_string(req->old_size) + " is above the checkpoint size " + std::to_string(cp->size));
  }
  if (req->old_size == 0 && !req->proof.empty()) return text(400, "a consistency proof from size 0 must be empty");

  // Decided under the state's lock: the size it last cosigned and the proof from there.
  std::optional<Answer> refusal;
  Status s = state_.update(cp->origin, LogState{cp->size, cp->root}, req->checkpoint,
                           [&](const std::optional<LogState>& cur) -> Status {
                             uint64_t last = cur ? cur->size : 0;
                             auto refuse = [&](Answer a) -> Status {
                               refusal = std::move(a);
                               return err(ErrorCode::kFailedPrecondition, "refused");
                             };
                             if (req->old_size != last) {
                               Answer a = text(409, std::to_string(last));
                               a.content_type = std::string(kSizeContentType);
                               return refuse(std::move(a));
                             }
                             if (cur && cur->size == cp->size) {
                               if (cur->root != cp->root) {
                                 return refuse(text(409, "checkpoint at size " + std::to_string(cp->size) +
                                                             " has another root than the one cosigned before"));
                               }
                               return ok();
                             }
                             // Nothing to be consistent with yet (never cosigned, or only the empty tree).
                             if (!cur || cur->size == 0) return ok();
                             if (auto v = merkle::verify_consistency(cur->size, cp->size, req->proof, cur->root, cp->root); !v) {
                               return refuse(text(422, "consistency proof from size " + std::to_string(cur->size) + " to " +
                                                           std::to_string(cp->size) + ": " + v.error().message));
                             }
                             return ok();
                           });
  if (refusal) return std::move(*refusal);
  if (!s) return text(500, "witness state: " + s.error().message);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  auto line = key_.cosign(parsed->text, static_cast<uint64_t>(now < 0 ? 0 : now));
  if (!line) return text(500, "cosigning: " + line.error().message);
  return text(200, *line);
}

}  // namespace tallylog::witness
