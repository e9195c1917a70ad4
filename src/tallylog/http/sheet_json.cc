#include "tallylog/http/sheet_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "tallylog/base/bytes.h"

namespace tallylog::http {
namespace {

using Json = nlohmann::ordered_json;

std::string_view verdict_name(ingest::Verdict v) {
  switch (v) {
    case ingest::Verdict::kAccepted: return "accepted";
    case ingest::Verdict::kDuplicate: return "duplicate";
    case ingest::Verdict::kConflict: return "conflict";
    case ingest::Verdict::kRejected: return "rejected";
  }
  return "rejected";
}

}  // namespace

// Parses JSON, refusing a key repeated within one object (RFC 8259 leaves that to the reader;
// "last one wins" would let two readers of the same body see different sheets). Errors never quote
// the body's bytes.
Result<Json> parse_strict(std::string_view text) {
  if (!is_valid_utf8(text)) return err_field(ErrorCode::kInvalidArgument, "body", "not valid UTF-8");
  struct Level {
    std::string prefix;              // "candidates." for the object under "candidates"
    std::vector<std::string> seen;  // its keys so far
  };
  std::vector<Level> levels;
  std::string duplicate;
  auto cb = [&](int, nlohmann::detail::parse_event_t event, Json& parsed) {
    using E = nlohmann::detail::parse_event_t;
    if (event == E::object_start) {
      std::string prefix = levels.empty() || levels.back().seen.empty()
                               ? std::string()
                               : levels.back().prefix + levels.back().seen.back() + ".";
      levels.push_back({std::move(prefix), {}});
    } else if (event == E::object_end) {
      if (!levels.empty()) levels.pop_back();
    } else if (event == E::key && !levels.empty()) {
      const auto& k = parsed.get_ref<const std::string&>();
      auto& seen = levels.back().seen;
      if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
        if (duplicate.empty()) duplicate = levels.back().prefix + k;
        seen.push_back(k);  // keeps seen.back() the key whose value comes next
      } else {
        seen.push_back(k);
      }
    }
    return true;
  };
  Json j;
  try {
    j = Json::parse(text, cb);
  } catch (const nlohmann::json::parse_error& e) {
    return err_field(ErrorCode::kInvalidArgument, "body", "not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const std::exception&) {
    return err_field(ErrorCode::kInvalidArgument, "body", "not valid JSON");
  }
  if (!duplicate.empty()) return err_field(ErrorCode::kInvalidArgument, duplicate, "duplicate key");
  return j;
}

Result<election::Sheet> sheet_from_json(std::string_view text) {
  TL_ASSIGN_OR_RETURN(Json j, parse_strict(text));
  if (!j.is_object()) return err_field(ErrorCode::kInvalidArgument, "body", "must be a JSON object");
  election::Sheet s;
  auto need_string = [&](const char* key, std::string& out, bool required) -> Status {
    if (!j.contains(key)) {
      if (required) return err_field(ErrorCode::kInvalidArgument, key, "missing");
      return ok();
    }
    if (!j[key].is_string()) return err_field(ErrorCode::kInvalidArgument, key, "must be a string");
    out = j[key].get<std::string>();
    if (!is_valid_utf8(out)) return err_field(ErrorCode::kInvalidArgument, key, "must be UTF-8");
    return ok();
  };
  auto int_of = [](const Json& v, const std::string& where) -> Result<int64_t> {
    if (!v.is_number_integer()) return err_field(ErrorCode::kInvalidArgument, where, "must be an integer");
    return v.get<int64_t>();
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::vector<std::string> kKnown = {"station", "source", "contest", "cards", "candidates", "fields",
                                                    "image_sha256", "qr_payload", "supersedes",
                                                    "device_key", "device_signature"};
    if (std::find(kKnown.begin(), kKnown.end(), it.key()) == kKnown.end())
      return err_field(ErrorCode::kInvalidArgument, it.key(), "unknown key");
  }
  TL_TRY(need_string("station", s.station, true));
  TL_TRY(need_string("source", s.source, true));
  // Optional: the server's contest when absent; another contest is rejected (field "contest").
  TL_TRY(need_string("contest", s.contest, false));
  TL_TRY(need_string("image_sha256", s.image_sha256, false));
  TL_TRY(need_string("qr_payload", s.qr_payload, false));
  // A device's signature (election/device.h); checked by the ingestor against the enrolments.
  TL_TRY(need_string("device_key", s.device_key, false));
  TL_TRY(need_string("device_signature", s.device_signature, false));
  if (j.contains("cards")) {
    if (!j["cards"].is_array() || j["cards"].size() > 1000)
      return err_field(ErrorCode::kInvalidArgument, "cards", "must be an array of integers");
    for (size_t i = 0; i < j["cards"].size(); ++i) {
      TL_ASSIGN_OR_RETURN(int64_t v, int_of(j["cards"][i], "cards[" + std::to_string(i) + "]"));
      s.cards.push_back(v);
    }
  }
  for (const char* key : {"candidates", "fields"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_object() || j[key].size() > 1000)
      return err_field(ErrorCode::kInvalidArgument, key, "must be an object of integers");
    auto& target = std::string_view(key) == "candidates" ? s.candidates : s.fields;
    for (auto it = j[key].begin(); it != j[key].end(); ++it) {
      TL_ASSIGN_OR_RETURN(int64_t v, int_of(it.value(), std::string(key) + "." + it.key()));
      target[it.key()] = v;
    }
  }
  if (j.contains("supersedes") && !j["supersedes"].is_null()) {
    if (!j["supersedes"].is_number_unsigned())
      return err_field(ErrorCode::kInvalidArgument, "supersedes", "must be a log index (non-negative integer)");
    s.supersedes = j["supersedes"].get<uint64_t>();
  }
  return s;
}

std::string outcome_to_json(const ingest::Outcome& o) {
  // Written by hand (a bulk batch answers thousands of these): the bytes Json::dump gives for the
  // same object, members in the same order.
  std::string out = "{\"verdict\":";
  out += Json(verdict_name(o.verdict)).dump();
  if (o.log_index) out += ",\"log_index\":" + std::to_string(*o.log_index);
  if (o.conflicts_with) out += ",\"conflicts_with\":" + std::to_string(*o.conflicts_with);
  if (o.verdict == ingest::Verdict::kRejected) {
    out += ",\"field\":" + Json(o.field).dump();
    out += ",\"reason\":" + Json(o.reason).dump();
  }
  out.push_back('}');
  return out;
}

std::string sheet_to_json(const election::Sheet& s) {
  Json j;
  j["station"] = s.station;
  j["source"] = s.source;
  if (!s.contest.empty()) j["contest"] = s.contest;
  if (!s.cards.empty()) j["cards"] = s.cards;
  Json c = Json::object();
  for (auto& [k, v] : s.candidates) c[k] = v;
  j["candidates"] = c;
  Json f = Json::object();
  for (auto& [k, v] : s.fields) f[k] = v;
  j["fields"] = f;
  if (!s.image_sha256.empty()) j["image_sha256"] = s.image_sha256;
  if (!s.qr_payload.empty()) j["qr_payload"] = s.qr_payload;
  if (!s.device_key.empty()) j["device_key"] = s.device_key;
  if (!s.device_signature.empty()) j["device_signature"] = s.device_signature;
  if (!s.submitted_by.empty()) j["submitted_by"] = s.submitted_by;
  if (!s.submitted_at.empty()) j["submitted_at"] = s.submitted_at;
  if (s.supersedes) j["supersedes"] = *s.supersedes;
  return j.dump();
}

}  // namespace tallylog::http
