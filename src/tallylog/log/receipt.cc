#include "tallylog/log/receipt.h"

#include <nlohmann/json.hpp>

#include "tallylog/base/bytes.h"
#include "tallylog/base/json.h"
#include "tallylog/log/tiles.h"
#include "tallylog/merkle/tree.h"
#include "tallylog/note/checkpoint.h"

namespace tallylog::log {
namespace {

using nlohmann::json;

std::unexpected<Error> bad(std::string m) { return err(ErrorCode::kInvalidArgument, "receipt: " + std::move(m)); }
std::unexpected<Error> failed(std::string m) {
  return err(ErrorCode::kVerificationFailed, "receipt: " + std::move(m));
}

}  // namespace

Result<Receipt> make_receipt(const LogReader& log, uint64_t index, std::chrono::milliseconds timeout) {
  TL_ASSIGN_OR_RETURN(std::string cp_text, log.await_checkpoint(index + 1, timeout));
  TL_ASSIGN_OR_RETURN(note::Note n, note::parse_note(cp_text));
  TL_ASSIGN_OR_RETURN(note::Checkpoint cp, note::Checkpoint::parse_body(n.text));
  Receipt r;
  r.log_index = index;
  r.checkpoint = std::move(cp_text);
  r.tree_size = cp.size;
  TL_ASSIGN_OR_RETURN(r.entry, log.entry(index));
  TL_ASSIGN_OR_RETURN(r.proof, log.inclusion_proof(index, cp.size));
  return r;
}

std::string receipt_to_json(const Receipt& r) {
  json hashes = json::array();
  for (const auto& h : r.proof) hashes.push_back(merkle::hash_base64(h));
  json j = {{"receipt", std::string(kReceiptVersion)},
            {"log_index", r.log_index},
            {"entry", base64_encode(r.entry)},
            {"checkpoint", r.checkpoint},
            {"proof", {{"leaf_index", r.log_index}, {"tree_size", r.tree_size}, {"hashes", hashes}}}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Receipt> receipt_from_json(std::string_view text) {
  auto parsed = parse_json_object(text);
  if (!parsed) return bad(parsed.error().message);
  json j = std::move(*parsed);
  if (!j.contains("receipt") || !j["receipt"].is_string() || j["receipt"].get<std::string>() != kReceiptVersion)
    return bad("member \"receipt\" must be \"" + std::string(kReceiptVersion) + "\"");
  Receipt r;
  if (!j.contains("log_index") || !j["log_index"].is_number_unsigned()) return bad("log_index: missing or not an index");
  r.log_index = j["log_index"].get<uint64_t>();
  if (!j.contains("entry") || !j["entry"].is_string()) return bad("entry: missing or not a string");
  auto entry = base64_decode(j["entry"].get<std::string>());
  if (!entry) return bad("entry: not base64");
  r.entry = std::move(*entry);
  if (!j.contains("checkpoint") || !j["checkpoint"].is_string()) return bad("checkpoint: missing or not a string");
  r.checkpoint = j["checkpoint"].get<std::string>();
  if (!j.contains("proof") || !j["proof"].is_object()) return bad("proof: missing or not an object");
  const json& p = j["proof"];
  if (!p.contains("tree_size") || !p["tree_size"].is_number_unsigned()) return bad("proof.tree_size: missing");
  r.tree_size = p["tree_size"].get<uint64_t>();
  if (!p.contains("leaf_index") || !p["leaf_index"].is_number_unsigned() || p["leaf_index"].get<uint64_t>() != r.log_index) return bad("proof.leaf_index: not log_index");
  if (!p.contains("hashes") || !p["hashes"].is_array() || p["hashes"].size() > 64) return bad("proof.hashes: missing");
  for (size_t i = 0; i < p["hashes"].size(); ++i) {
    if (!p["hashes"][i].is_string()) return bad("proof.hashes[" + std::to_string(i) + "]: not a string");
    auto h = merkle::hash_from_base64(p["hashes"][i].get<std::string>());
    if (!h) return bad("proof.hashes[" + std::to_string(i) + "]: not a base64 SHA-256 hash");
    r.proof.push_back(*h);
  }
  return r;
}

Status check_receipt(const Receipt& r, const note::Verifier& log_key) {
  auto cp = note::open_checkpoint(r.checkpoint, log_key);
  if (!cp) return failed("its checkpoint is not signed by the log key " + log_key.name() + ": " + cp.error().message);
  if (cp->size != r.tree_size)
    return failed("proof.tree_size " + std::to_string(r.tree_size) + " is not the checkpoint's size " +
                  std::to_string(cp->size));
  if (r.log_index >= cp->size)
    return failed("log index " + std::to_string(r.log_index) + " is beyond its checkpoint (size " +
                  std::to_string(cp->size) + ")");
  if (auto st = merkle::verify_inclusion(r.log_index, cp->size, merkle::leaf_hash(r.entry), r.proof, cp->root); !st)
    return failed("the entry is not included at index " + std::to_string(r.log_index) + " under its checkpoint: " +
                  st.error().message);
  return ok();
}

Result<ReceiptCheck> verify_receipt(const Receipt& r, const note::Verifier& log_key, LogFiles& copy,
                                    const std::function<void(uint64_t, uint64_t)>& progress) {
  TL_TRY(check_receipt(r, log_key));
  VerifyOptions options;
  options.progress = progress;
  options.previous_checkpoint = r.checkpoint;
  auto report = verify_log(copy, log_key, options);
  if (!report)
    return failed("the log copy does not hold the receipt's tree (rewritten, truncated or tampered with): " +
                  report.error().to_string());
  // The copy's tree at the receipt's size has the receipt's root, so its entry at the index hashes
  // to the receipt's leaf; read it anyway to say so in plain bytes.
  const uint64_t n = r.log_index / kTileWidth;
  const uint64_t full_end = (n + 1) * kTileWidth;
  const uint64_t width = report->size >= full_end ? kTileWidth : report->size - n * kTileWidth;
  TL_ASSIGN_OR_RETURN(std::string bundle, copy.read(bundle_path(n, width)));
  TL_ASSIGN_OR_RETURN(auto entries, parse_bundle(bundle, width, bundle_path(n, width)));
  if (entries[r.log_index % kTileWidth] != r.entry)
    return failed("the copy's entry at index " + std::to_string(r.log_index) + " differs from the receipt's");
  ReceiptCheck out;
  out.receipt_size = r.tree_size;
  out.current_size = report->size;
  out.report = std::move(*report);
  return out;
}

}  // namespace tallylog::log
