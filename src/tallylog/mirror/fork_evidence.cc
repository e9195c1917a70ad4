#include "tallylog/mirror/fork_evidence.h"

#include <charconv>

#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::mirror {
namespace {

constexpr std::string_view kHeader = "tallylog fork evidence v1\n";
constexpr size_t kMaxNote = 1 << 20;
constexpr size_t kMaxProof = 64;

std::unexpected<Error> bad(const std::string& what) { return err(ErrorCode::kInvalidArgument, "fork evidence: " + what); }

Result<uint64_t> parse_decimal(std::string_view s, const std::string& what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || (s.size() > 1 && s[0] == '0')) {
    return bad(what + ": \"" + std::string(s) + "\" is not a decimal number");
  }
  return v;
}

// Reads one LF-terminated line starting with `prefix`; returns what follows the prefix.
Result<std::string_view> take_line(std::string_view& in, std::string_view prefix) {
  size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return bad("expected a \"" + std::string(prefix) + "\" line, found the end");
  std::string_view line = in.substr(0, nl);
  if (!line.starts_with(prefix)) return bad("expected a \"" + std::string(prefix) + "\" line, found \"" + std::string(line.substr(0, 60)) + "\"");
  in.remove_prefix(nl + 1);
  return line.substr(prefix.size());
}

Result<std::string> take_note(std::string_view& in, const std::string& which) {
  TL_ASSIGN_OR_RETURN(std::string_view len_text, take_line(in, "checkpoint "));
  TL_ASSIGN_OR_RETURN(uint64_t len, parse_decimal(len_text, which + " checkpoint length"));
  if (len > kMaxNote || len > in.size()) return bad(which + " checkpoint: " + std::to_string(len) + " bytes announced, " + std::to_string(in.size()) + " left");
  std::string note(in.substr(0, len));
  in.remove_prefix(len);
  return note;
}

std::string key_label(const note::Verifier& v) { return v.name() + "+" + note::hex8(v.key_id()); }

}  // namespace

std::string format_fork_evidence(const ForkEvidence& e) {
  std::string out(kHeader);
  for (const auto& c : e.comments) out += "# " + c + "\n";
  out += "log-key " + e.log_key + "\n";
  out += "checkpoint " + std::to_string(e.first.size()) + "\n" + e.first;
  out += "checkpoint " + std::to_string(e.second.size()) + "\n" + e.second;
  out += "second-root-at-first-size " + merkle::hash_base64(e.second_root_at_first) + "\n";
  out += "proof " + std::to_string(e.proof.size()) + "\n";
  for (const auto& h : e.proof) out += merkle::hash_base64(h) + "\n";
  return out;
}

Result<ForkEvidence> parse_fork_evidence(std::string_view in) {
  if (!in.starts_with(kHeader)) return bad("the first line must be \"tallylog fork evidence v1\"");
  in.remove_prefix(kHeader.size());
  ForkEvidence e;
  while (in.starts_with("# ")) {
    TL_ASSIGN_OR_RETURN(std::string_view c, take_line(in, "# "));
    e.comments.emplace_back(c);
  }
  TL_ASSIGN_OR_RETURN(std::string_view key, take_line(in, "log-key "));
  e.log_key = std::string(key);
  TL_ASSIGN_OR_RETURN(e.first, take_note(in, "first"));
  TL_ASSIGN_OR_RETURN(e.second, take_note(in, "second"));
  TL_ASSIGN_OR_RETURN(std::string_view root, take_line(in, "second-root-at-first-size "));
  auto r = merkle::hash_from_base64(root);
  if (!r) return bad("second-root-at-first-size: " + r.error().message);
  e.second_root_at_first = *r;
  TL_ASSIGN_OR_RETURN(std::string_view count_text, take_line(in, "proof "));
  TL_ASSIGN_OR_RETURN(uint64_t count, parse_decimal(count_text, "proof length"));
  if (count > kMaxProof) return bad("a consistency proof has at most " + std::to_string(kMaxProof) + " hashes");
  for (uint64_t i = 0; i < count; ++i) {
    TL_ASSIGN_OR_RETURN(std::string_view line, take_line(in, ""));
    auto h = merkle::hash_from_base64(line);
    if (!h) return bad("proof hash " + std::to_string(i) + ": " + h.error().message);
    e.proof.push_back(*h);
  }
  if (!in.empty()) return bad(std::to_string(in.size()) + " bytes after the proof");
  return e;
}

Result<ForkVerdict> verify_fork(const ForkEvidence& e, const note::Verifier& trusted) {
  auto fail = [](const std::string& why) { return err(ErrorCode::kVerificationFailed, "not evidence of a fork: " + why); };
  if (e.log_key != trusted.text()) {
    auto embedded = note::Verifier::parse(e.log_key);
    return fail("the evidence is about key " + (embedded ? key_label(*embedded) : "\"" + e.log_key + "\"") + ", not " + key_label(trusted));
  }
  auto c1 = note::open_checkpoint(e.first, trusted);
  if (!c1) return fail("first checkpoint: " + c1.error().message);
  auto c2 = note::open_checkpoint(e.second, trusted);
  if (!c2) return fail("second checkpoint: " + c2.error().message);
  ForkVerdict v;
  v.origin = c1->origin;
  v.key = key_label(trusted);
  v.size1 = c1->size;
  v.size2 = c2->size;
  v.root1 = c1->root;
  v.root2 = c2->root;
  v.root2_at_size1 = e.second_root_at_first;
  if (v.size1 > v.size2) return fail("the first checkpoint must not be larger than the second");
  if (v.size1 == v.size2) {
    if (!e.proof.empty()) return fail("a proof between equal sizes must be empty");
    if (e.second_root_at_first != v.root2) return fail("second-root-at-first-size must be the second root when the sizes are equal");
    if (v.root1 == v.root2) return fail("both checkpoints state the same tree");
  } else if (v.size1 == 0) {
    if (!e.proof.empty() || e.second_root_at_first != merkle::empty_root()) {
      return fail("from size 0 the proof is empty and the root is the empty tree's");
    }
    if (v.root1 == merkle::empty_root()) return fail("the empty tree is a prefix of every tree");
  } else {
    if (auto s = merkle::verify_consistency(v.size1, v.size2, e.proof, e.second_root_at_first, v.root2); !s) {
      return fail("the proof does not show what the second tree held at size " + std::to_string(v.size1) + ": " +
                  s.error().message);
    }
    if (e.second_root_at_first == v.root1) return fail("the second tree extends the first (the log is consistent)");
  }
  v.explanation = "The key " + v.key + " of log \"" + v.origin + "\" signed two different histories: checkpoint 1 says " +
                  "the first " + std::to_string(v.size1) + " entries have root " + merkle::hash_base64(v.root1) +
                  "; checkpoint 2 (size " + std::to_string(v.size2) + ", root " + merkle::hash_base64(v.root2) + ")" +
                  (v.size1 == v.size2 ? " states another root for the same entries"
                                      : " commits, through the consistency proof, to root " +
                                            merkle::hash_base64(v.root2_at_size1) + " for those same entries") +
                  ". No honest append-only log signs both.";
  return v;
}

}  // namespace tallylog::mirror
