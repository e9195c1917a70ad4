// Log entries for the election records: canonical JSON (RFC 8785, JCS) with a "type" member
// ("election", "station", "sheet") and a format version "v" (kEntryFormatVersion). The grammar
// of each record is in docs/formats/entries.md. Canonical means: members sorted by key (UTF-16
// code units), no whitespace, strings escaped minimally as JCS says, integers only (no floats,
// |n| <= 2^53-1), optional members omitted when empty. Every record therefore has exactly one
// encoding, and decode_entry() rejects any other byte sequence (it re-encodes and compares).
//
// Encoders take records that passed Validator (election/validate.h); they do not validate, and
// their strings must be valid UTF-8. The sheet encoder is hand-rolled for the import hot path.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "tallylog/base/error.h"
#include "tallylog/election/declaration.h"
#include "tallylog/election/device.h"
#include "tallylog/election/model.h"

namespace tallylog::election {

inline constexpr int64_t kEntryFormatVersion = 1;
// Largest integer a count, index or registered-voter figure may hold: 2^53-1, the largest
// integer every JSON implementation reads exactly (RFC 8785 §3.2.2.3, I-JSON).
inline constexpr int64_t kMaxJsonInteger = 9007199254740991;
// Entries larger than this are refused by decode_entry() before parsing.
inline constexpr size_t kMaxEntryBytes = 16 * 1024 * 1024;

enum class EntryType { kElection, kStation, kSheet, kDeclaration, kDevice };
// "election", "station", "sheet", "declaration", "device"
std::string_view entry_type_name(EntryType type);

struct Entry {
  EntryType type = EntryType::kSheet;
  std::variant<Election, Station, Sheet, Declaration, DeviceRecord> record;
};

std::string encode_entry(const Election& election);
std::string encode_entry(const Station& station);
std::string encode_entry(const Sheet& sheet);
std::string encode_entry(const Declaration& declaration);  // election/declaration.h
std::string encode_entry(const DeviceRecord& record);      // election/device.h
// Appends the sheet's encoding to `out` (reuse one buffer across a batch to avoid allocations).
void append_sheet_entry(const Sheet& sheet, std::string& out);

// True when `bytes` could be one of our records (starts with '{'). Raw lines appended with
// `tallylog log append` are not: the index skips them without calling decode_entry().
bool is_record_entry(std::string_view bytes);

// Decodes one entry strictly. Errors (kInvalidArgument) say what was wrong: not JSON, unknown
// type or version, a missing/unknown/ill-typed member (named), or a non-canonical encoding.
Result<Entry> decode_entry(std::string_view bytes);

// Bytes that are equal iff two sheets say the same thing: station, source, cards, candidates,
// fields, image hash, QR payload and supersedes; submitted_by and submitted_at are ignored.
// (The canonical encoding of the sheet without those two members.) Used by ingest to recognise
// identical resubmissions; sheet_identity_digest() is its SHA-256 (32 raw bytes) for storage.
// device_key and device_signature are ignored too: a sheet resubmitted (or signed by another
// enrolled device) says the same thing, so it is a duplicate, never a conflict with itself.
std::string sheet_identity_key(const Sheet& sheet);
std::string sheet_identity_digest(const Sheet& sheet);

// The bytes a device signs for a sheet (docs/formats/devices.md): kSheetSignatureContext, then
// the sheet's canonical encoding without submitted_at, submitted_by and device_signature (the
// server sets the first two; device_key stays in, so a signature names its key).
inline constexpr std::string_view kSheetSignatureContext = "tallylog sheet signature v1\n";
std::string sheet_signed_message(const Sheet& sheet);

namespace internal {
// decode_entry() without its fast path for sheets (for the differential test only).
Result<Entry> decode_entry_general(std::string_view bytes);
}  // namespace internal

}  // namespace tallylog::election
