// Device records: canonical JSON through nlohmann-json (every member is an ASCII key with a string
// or an array of strings, which nlohmann writes exactly as RFC 8785 does: keys sorted, no
// whitespace, minimal escapes), and the pure enrolment rule.
#include "tallylog/election/device.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tallylog/base/bytes.h"
#include "tallylog/base/json.h"
#include "tallylog/base/sha256.h"
#include "tallylog/election/entry.h"
#include "tallylog/election/source_name.h"
#include "tallylog/election/validate.h"
#include "tallylog/note/note.h"

namespace tallylog::election {
namespace {

using nlohmann::json;

constexpr size_t kMaxDeviceString = 1024;
constexpr size_t kMaxDeviceSources = 64;

std::unexpected<Error> bad(std::string message) {
  return err(ErrorCode::kInvalidArgument, "entry: device: " + std::move(message));
}

void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

std::string dump(const json& j) {
  // Strings were checked for UTF-8 by the validator or the decoder; replace keeps dump() from
  // throwing on a caller's bad input (the bytes then fail the round trip instead).
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json record_json(const DeviceRecord& r, bool with_signatures) {
  json j = json::object();
  put(j, "action", r.action);
  put(j, "code", r.code);
  put(j, "device_key", r.device_key);
  put(j, "org", r.org);
  put(j, "reason", r.reason);
  if (!r.sources.empty()) j["sources"] = r.sources;
  if (with_signatures) {
    put(j, "at", r.at);
    put(j, "device_signature", r.device_signature);
    put(j, "invite_signature", r.invite_signature);
    put(j, "org_signature", r.org_signature);
  }
  j["type"] = "device";
  j["v"] = kEntryFormatVersion;
  return j;
}

std::string code_hash(std::string_view code) { return sha256_hex(code); }

bool verify_b64(const note::Verifier& key, std::string_view message, std::string_view sig_b64) {
  auto sig = base64_decode(sig_b64);
  return sig && sig->size() == 64 && key.verify(message, *sig);
}

std::optional<DeviceRejection> reject(std::string field, std::string reason) {
  return DeviceRejection{std::move(field), std::move(reason)};
}

bool pattern_ok(std::string_view p) {
  std::string_view body = p.ends_with('*') ? p.substr(0, p.size() - 1) : p;
  if (body.empty() || body.size() > kMaxSourceNameBytes) return false;
  for (char c : body) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':'))
      return false;
  }
  return true;
}

// A device source (a name or a pattern) lies within an organisation pattern.
bool within(std::string_view org_pattern, std::string_view device_source) {
  if (org_pattern == device_source) return true;
  if (device_source.ends_with('*')) {
    // witness:mud-* lies within witness:* ; a pattern is never within a plain name.
    return org_pattern.ends_with('*') &&
           device_source.substr(0, device_source.size() - 1).starts_with(org_pattern.substr(0, org_pattern.size() - 1));
  }
  return source_matches(org_pattern, device_source);
}

const Organisation* find_org(const Election& e, std::string_view id) {
  for (const Organisation& o : e.organisations)
    if (o.id == id) return &o;
  return nullptr;
}

}  // namespace

std::string encode_device_record(const DeviceRecord& r) { return dump(record_json(r, true)); }

std::string device_record_message(const DeviceRecord& r) {
  return std::string(kDeviceRecordContext) + dump(record_json(r, false));
}

std::string device_invite_message(std::string_view org, const std::vector<std::string>& sources,
                                  std::string_view code_sha256_hex) {
  json j = json::object();
  j["code_sha256"] = std::string(code_sha256_hex);
  j["org"] = std::string(org);
  j["sources"] = sources;
  return std::string(kDeviceInviteContext) + dump(j);
}

Result<DeviceRecord> decode_device_record(std::string_view bytes) {
  auto parsed = parse_json_object(bytes);
  if (!parsed) return bad(parsed.error().message);
  json j = std::move(*parsed);
  DeviceRecord r;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "type" || k == "v") continue;
    if (k == "sources") {
      if (!v.is_array()) return bad("sources must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) return bad(fmt::format("sources[{}] must be a string", i));
        r.sources.push_back(v[i].get<std::string>());
      }
      continue;
    }
    std::string* member = k == "action"             ? &r.action
                          : k == "at"               ? &r.at
                          : k == "code"             ? &r.code
                          : k == "device_key"       ? &r.device_key
                          : k == "device_signature" ? &r.device_signature
                          : k == "invite_signature" ? &r.invite_signature
                          : k == "org"              ? &r.org
                          : k == "org_signature"    ? &r.org_signature
                          : k == "reason"           ? &r.reason
                                                    : nullptr;
    if (!member) return bad(fmt::format("unknown member \"{}\"", k.substr(0, 64)));
    if (!v.is_string()) return bad(fmt::format("{} must be a string", k));
    *member = v.get<std::string>();
  }
  for (auto [name, missing] : {std::pair{"action", r.action.empty()}, {"device_key", r.device_key.empty()},
                               {"org", r.org.empty()}}) {
    if (missing) return bad(fmt::format("member \"{}\" is missing", name));
  }
  if (r.action != "enrol" && r.action != "revoke")
    return bad("action must be \"enrol\" or \"revoke\"");
  return r;
}

Status validate_device_settings(const Election& e) {
  auto invalid = [](std::string m) { return err(ErrorCode::kInvalidArgument, std::move(m)); };
  std::set<std::string> ids;
  for (size_t i = 0; i < e.organisations.size(); ++i) {
    const Organisation& o = e.organisations[i];
    const std::string at = fmt::format("organisations[{}]", i);
    bool id_ok = !o.id.empty() && o.id.size() <= 64;
    for (char c : o.id) id_ok &= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!id_ok) return invalid(at + ".id: must be 1 to 64 of a-z 0-9 _ -");
    if (!ids.insert(o.id).second) return invalid(at + ".id: duplicate organisation \"" + o.id + "\"");
    if (o.name.size() > kMaxDeviceString || !is_valid_utf8(o.name)) return invalid(at + ".name: not valid UTF-8 or too long");
    if (auto v = note::Verifier::parse(o.key); !v)
      return invalid(at + ".key: not an Ed25519 verifier key (" + v.error().message + ")");
    if (o.sources.empty()) return invalid(at + ".sources: at least one source pattern is required");
    for (size_t k = 0; k < o.sources.size(); ++k) {
      if (!pattern_ok(o.sources[k]))
        return invalid(fmt::format("{}.sources[{}]: \"{}\" must be a source name optionally ending in *", at, k,
                                   o.sources[k].substr(0, 80)));
    }
  }
  for (size_t i = 0; i < e.require_device_signature.size(); ++i) {
    if (!pattern_ok(e.require_device_signature[i]))
      return invalid(fmt::format("submissions.require_device_signature[{}]: \"{}\" must be a source name optionally "
                                 "ending in *",
                                 i, e.require_device_signature[i].substr(0, 80)));
  }
  if (!e.require_device_signature.empty() && e.organisations.empty())
    return invalid("submissions.require_device_signature: no organisation is declared to enrol devices");
  return ok();
}

bool requires_device_signature(const Election& e, std::string_view source) {
  for (const std::string& p : e.require_device_signature)
    if (source_matches(p, source)) return true;
  return false;
}

Status sign_sheet(Sheet& sheet, const note::Signer& device) {
  sheet.device_key = device.verifier_key();
  sheet.device_signature.clear();
  TL_ASSIGN_OR_RETURN(std::string sig, device.sign(sheet_signed_message(sheet)));
  sheet.device_signature = base64_encode(sig);
  return ok();
}

std::optional<DeviceRejection> DeviceRegistry::check(const Election& e, const DeviceRecord& r) const {
  for (const std::string* s : {&r.device_key, &r.org, &r.reason, &r.at, &r.code, &r.action}) {
    if (s->size() > kMaxDeviceString || !is_valid_utf8(*s)) return reject("device", "a member is too long or not UTF-8");
  }
  const Organisation* org = find_org(e, r.org);
  if (!org) return reject("org", "\"" + r.org.substr(0, 64) + "\" is not an organisation of this election");
  auto org_key = note::Verifier::parse(org->key);
  if (!org_key) return reject("org", "the organisation's key in the election does not parse");
  auto device = note::Verifier::parse(r.device_key);
  if (!device) return reject("device_key", "not an Ed25519 verifier key: " + device.error().message);
  const std::string message = device_record_message(r);
  const Device* known = find(r.device_key);
  if (r.action == "revoke") {
    if (!known) return reject("device_key", "this key was never enrolled");
    if (known->org != r.org) return reject("org", "the key was enrolled by organisation \"" + known->org + "\"");
    if (known->revoked_at)
      return reject("device_key", fmt::format("already revoked at log index {}", *known->revoked_at));
    if (!r.sources.empty() || !r.code.empty() || !r.invite_signature.empty() || !r.device_signature.empty())
      return reject("action", "a revocation carries only device_key, org, reason and org_signature");
    if (!verify_b64(*org_key, message, r.org_signature))
      return reject("org_signature", "missing or not a valid signature by organisation \"" + r.org + "\"'s key");
    return std::nullopt;
  }
  if (r.action != "enrol") return reject("action", "must be \"enrol\" or \"revoke\"");
  if (known) {
    return reject("device_key", known->revoked_at ? "this key was revoked; enrol a new key"
                                                  : "this key is already enrolled (by \"" + known->org + "\")");
  }
  if (!r.reason.empty()) return reject("reason", "an enrolment carries no reason");
  if (r.sources.empty()) return reject("sources", "an enrolment names at least one source");
  if (r.sources.size() > kMaxDeviceSources) return reject("sources", "too many sources");
  for (size_t i = 0; i < r.sources.size(); ++i) {
    const std::string& s = r.sources[i];
    const bool pattern = s.ends_with('*');
    if (pattern ? !pattern_ok(s) : !check_source_name(s))
      return reject(fmt::format("sources[{}]", i), "not a source name (or pattern ending in *)");
    bool allowed = false;
    for (const std::string& p : org->sources) allowed |= within(p, s);
    if (!allowed)
      return reject(fmt::format("sources[{}]", i), "\"" + s + "\" is not among organisation \"" + r.org +
                                                       "\"'s sources in the election");
  }
  if (r.code.empty()) {
    if (!r.invite_signature.empty() || !r.device_signature.empty())
      return reject("code", "invite_signature and device_signature come with a code");
    if (!verify_b64(*org_key, message, r.org_signature))
      return reject("org_signature", "missing or not a valid signature by organisation \"" + r.org + "\"'s key");
    return std::nullopt;
  }
  if (!r.org_signature.empty()) return reject("org_signature", "an enrolment by code carries invite_signature instead");
  const std::string hash = code_hash(r.code);
  if (used_codes_.contains(hash)) return reject("code", "this enrolment code was already used");
  if (!verify_b64(*org_key, device_invite_message(r.org, r.sources, hash), r.invite_signature))
    return reject("code", "no invite of organisation \"" + r.org + "\" for this code and these sources");
  if (!verify_b64(*device, message, r.device_signature))
    return reject("device_signature", "not a valid signature by the device key over the enrolment");
  return std::nullopt;
}

std::optional<DeviceRejection> DeviceRegistry::apply(const Election& e, const DeviceRecord& r, uint64_t log_index) {
  if (auto no = check(e, r)) return no;
  if (r.action == "revoke") {
    devices_.find(r.device_key)->second.revoked_at = log_index;
  } else {
    devices_.emplace(r.device_key, Device{r.org, r.sources, log_index, std::nullopt});
    if (!r.code.empty()) used_codes_.insert(code_hash(r.code));
  }
  return std::nullopt;
}

const DeviceRegistry::Device* DeviceRegistry::find(std::string_view device_key) const {
  auto it = devices_.find(device_key);
  return it == devices_.end() ? nullptr : &it->second;
}

void DeviceRegistry::replay(const Election& election, std::string_view entry, uint64_t log_index) {
  if (!may_be_device_record(entry)) return;
  auto d = decode_entry(entry);
  if (d && d->type == EntryType::kDevice) (void)apply(election, std::get<DeviceRecord>(d->record), log_index);
}

std::optional<DeviceRejection> DeviceRegistry::check_sheet(const Election& e, const Sheet& sheet) const {
  if (sheet.device_key.empty() && sheet.device_signature.empty()) {
    if (requires_device_signature(e, sheet.source))
      return reject("device_signature", "source \"" + sheet.source +
                                            "\" requires a device signature (the election's [submissions] "
                                            "require_device_signature); sign the sheet with an enrolled device key");
    return std::nullopt;
  }
  if (sheet.device_key.empty()) return reject("device_key", "a device_signature needs its device_key");
  if (sheet.device_signature.empty()) return reject("device_signature", "missing (device_key is given)");
  const Device* d = find(sheet.device_key);
  if (!d) return reject("device_key", "this key is not enrolled in the log");
  if (d->revoked_at)
    return reject("device_key", fmt::format("this key was revoked (log index {})", *d->revoked_at));
  bool allowed = false;
  for (const std::string& p : d->sources) allowed |= p == sheet.source || source_matches(p, sheet.source);
  if (!allowed) return reject("source", "the device is not enrolled for source \"" + sheet.source + "\"");
  auto key = note::Verifier::parse(sheet.device_key);
  if (!key) return reject("device_key", "not an Ed25519 verifier key");
  if (!verify_b64(*key, sheet_signed_message(sheet), sheet.device_signature))
    return reject("device_signature", "does not verify: the sheet is not the one the device signed");
  return std::nullopt;
}

void DeviceLogCheck::problem(uint64_t log_index, const std::string& what) {
  if (report_.problems.size() < 100) report_.problems.push_back("entry " + std::to_string(log_index) + ": " + what);
}

void DeviceLogCheck::add(uint64_t i, std::string_view e) {
  if (ignore_rest_) return;
  if (i == 0) {
    auto d = decode_entry(e);
    if (d && d->type == EntryType::kElection) {
      election_ = std::get<Election>(d->record);
      report_.election_has_organisations = !election_->organisations.empty();
    }
    ignore_rest_ = !report_.election_has_organisations;
    return;
  }
  // Only entries that can matter are decoded: device records, signed sheets, and (when the
  // election requires signatures) every sheet.
  const bool device_record = may_be_device_record(e);
  const bool maybe_signed = e.find("\"device_key\":") != std::string_view::npos;
  const bool must_check = !election_->require_device_signature.empty() && e.ends_with("\"type\":\"sheet\",\"v\":1}");
  if (!device_record && !maybe_signed && !must_check) return;
  auto d = decode_entry(e);
  if (!d) return;  // not a record: verify's other passes and the index say so
  if (d->type == EntryType::kDevice) {
    ++report_.device_records;
    if (auto no = registry_.apply(*election_, std::get<DeviceRecord>(d->record), i))
      problem(i, "device record does not hold: " + no->field + ": " + no->reason);
  } else if (d->type == EntryType::kSheet) {
    const auto& sheet = std::get<Sheet>(d->record);
    if (auto no = registry_.check_sheet(*election_, sheet)) {
      problem(i, "sheet of " + sheet.station + " (" + sheet.source + "): " + no->field + ": " + no->reason);
    } else if (!sheet.device_key.empty()) {
      ++report_.signed_sheets;
      signed_.emplace_back(i, sheet.device_key);
    }
  }
}

DeviceLogReport DeviceLogCheck::report() const {
  DeviceLogReport r = report_;
  for (const auto& [index, key] : signed_) {
    const auto* d = registry_.find(key);
    if (d && d->revoked_at && *d->revoked_at > index) ++r.signed_by_later_revoked;
  }
  return r;
}

}  // namespace tallylog::election
