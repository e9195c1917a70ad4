// Device keys: who may sign sheets (issue 14). An organisation declared in the election (entry 0,
// Election::organisations, with its Ed25519 key) enrols devices — a witness's phone, a scanner,
// an import job's CLI key — by a log record ("type":"device", "action":"enrol") that names the
// device's key and the sources it may submit for, and revokes them the same way
// ("action":"revoke"). A sheet signed by a device carries the device's key and its signature over
// election::sheet_signed_message(); a source listed in the election's
// [submissions] require_device_signature takes only such sheets.
//
// An enrolment is authorised by the organisation's key, in one of two ways:
//   * directly: "org_signature" over device_record_message() (the organisation signs the
//     device's key on its own machine: `tallylog devices enrol --org-key`);
//   * by a one-time code: the organisation signed an invite (device_invite_message(): the
//     organisation, the sources and the SHA-256 of a random code) on its own machine; the device
//     presents the code and signs the record with its own key; the record carries the code, the
//     invite's signature ("invite_signature") and the device's ("device_signature"). A code
//     enrols at most one device, ever.
// Either way the server operator, who does not hold the organisation's key, cannot enrol a device.
// Grammar: docs/formats/devices.md.
//
// DeviceRegistry is the state these records build, replayed in log order: it decides whether a
// record may be logged and whether a sheet's signature is valid at its place in the log (a key
// revoked later leaves its earlier sheets valid: they are reported as signed by a key revoked
// since). Pure; values and free functions, no shared state. A DeviceRegistry is not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"
#include "tallylog/election/model.h"
#include "tallylog/note/note.h"

namespace tallylog::election {

struct DeviceRecord {
  std::string action;      // "enrol" or "revoke"
  std::string device_key;  // the device's Ed25519 verifier key, note form <name>+<hex8>+<base64>
  std::string org;         // Organisation::id
  std::vector<std::string> sources;  // enrol: sources (or patterns) the device may sign sheets for
  std::string reason;                // revoke: why (optional)
  std::string at;                    // RFC 3339 UTC, when it was logged (set by the server)
  std::string org_signature;         // base64 Ed25519 of the org key over device_record_message
  // Enrolment by one-time code (all three, or none):
  std::string code;              // the code the organisation handed out, revealed here
  std::string invite_signature;  // base64 Ed25519 of the org key over device_invite_message
  std::string device_signature;  // base64 Ed25519 of the device key over device_record_message

  bool operator==(const DeviceRecord&) const = default;
};

inline constexpr std::string_view kDeviceRecordContext = "tallylog device record v1\n";
inline constexpr std::string_view kDeviceInviteContext = "tallylog device invite v1\n";

// Canonical JSON (RFC 8785) of the record, "type":"device".
std::string encode_device_record(const DeviceRecord& r);
// Parses a device entry strictly (unknown or ill-typed members are errors naming them); the
// caller (decode_entry) checks that the bytes are the canonical encoding.
Result<DeviceRecord> decode_device_record(std::string_view bytes);
// What the organisation (and, with a code, the device) signs: kDeviceRecordContext then the
// record's encoding without "at" and the three signatures (so a phone can sign it knowing only
// its code, its key and what GET /api/v1/devices/invites/<sha256> says).
std::string device_record_message(const DeviceRecord& r);
// What an invite's signature covers: kDeviceInviteContext then
// {"code_sha256":<hex>,"org":<id>,"sources":[...]} canonically.
std::string device_invite_message(std::string_view org, const std::vector<std::string>& sources,
                                  std::string_view code_sha256_hex);

// Checks the election's organisations and require_device_signature (for validate_election):
// ids, keys that parse, source patterns. Errors name the member ("organisations[1].key: ...").
Status validate_device_settings(const Election& election);

// True when `source` must be signed (it matches a require_device_signature pattern).
bool requires_device_signature(const Election& election, std::string_view source);

struct DeviceRejection {
  std::string field;   // "device_key", "device_signature", "source", "code", ...
  std::string reason;  // a sentence a person can act on
};

// Whether a log entry may be a device record, told without decoding it: a device record's canonical
// JSON (sorted keys) starts with {"action":, and no other entry type does.
inline bool may_be_device_record(std::string_view entry) { return entry.starts_with("{\"action\":"); }

// Signs `sheet` as it stands (it must be in the form that will be logged: validated, so that
// candidates are filled from cards): sets device_key and device_signature.
Status sign_sheet(Sheet& sheet, const note::Signer& device);

class DeviceRegistry {
 public:
  struct Device {
    std::string org;
    std::vector<std::string> sources;
    uint64_t enrolled_at = 0;             // log index of its enrolment
    std::optional<uint64_t> revoked_at;   // log index of its revocation
  };

  // Whether `r` may be logged now (organisation declared, signature(s) valid by its key, the
  // device not enrolled yet / enrolled by that organisation for a revocation, the code unused).
  std::optional<DeviceRejection> check(const Election& election, const DeviceRecord& r) const;
  // check() and then records it as logged at `log_index`; returns the rejection otherwise.
  std::optional<DeviceRejection> apply(const Election& election, const DeviceRecord& r, uint64_t log_index);
  // Replaying a log: applies `entry` (logged at `log_index`) when it is a device record. Other
  // entries, and records that do not hold (they could only have been appended by hand; verify
  // reports them), change nothing.
  void replay(const Election& election, std::string_view entry, uint64_t log_index);

  // For a sheet about to be logged (or, when verifying, as logged): an unsigned sheet of a
  // source that requires a signature, an unknown or revoked key, a source the device is not
  // enrolled for, or a signature that does not verify is a rejection.
  std::optional<DeviceRejection> check_sheet(const Election& election, const Sheet& sheet) const;

  const Device* find(std::string_view device_key) const;
  const std::map<std::string, Device, std::less<>>& devices() const { return devices_; }
  bool code_used(std::string_view code_sha256_hex) const { return used_codes_.contains(std::string(code_sha256_hex)); }

 private:
  std::map<std::string, Device, std::less<>> devices_;  // by verifier key text
  std::set<std::string> used_codes_;                    // SHA-256 hex of codes already used
};

// The device pass of `tallylog verify`, from the published log alone: fed every entry in log
// order, it replays the device records (enrolment, revocation) and re-checks, at its place in the
// log, the signature of every signed sheet and of every unsigned sheet whose source the election
// requires to be signed. Sheets signed by a key revoked later stay valid and are counted apart.
// After entry 0, an election that declares no organisation makes every later entry a no-op (no
// device can have signed anything). Not thread-safe.
struct DeviceLogReport {
  bool election_has_organisations = false;
  uint64_t device_records = 0;
  uint64_t signed_sheets = 0;
  uint64_t signed_by_later_revoked = 0;  // valid when logged; the key was revoked afterwards
  std::vector<std::string> problems;     // "entry N: <what>" (the first 100); empty when all hold
};

class DeviceLogCheck {
 public:
  void add(uint64_t log_index, std::string_view entry);
  DeviceLogReport report() const;

 private:
  void problem(uint64_t log_index, const std::string& what);

  DeviceLogReport report_;
  DeviceRegistry registry_;
  std::optional<Election> election_;
  bool ignore_rest_ = false;
  std::vector<std::pair<uint64_t, std::string>> signed_;  // (log index, device key) of signed sheets
};

}  // namespace tallylog::election
