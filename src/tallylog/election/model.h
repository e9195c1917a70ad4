// The records tallylog logs, as plain values: the election definition, a polling station (a
// "table" in Venezuela) and a tally sheet as one source saw it. Each accepted record is one log
// entry in canonical JSON (RFC 8785); the encoding and its grammar live in election/entry.h and
// docs/formats/entries.md. These types carry no behaviour beyond small lookups.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tallylog/election/count_map.h"

namespace tallylog::election {

// One level of the election's geography, outermost first. The last level is the station itself.
struct Level {
  std::string code;  // "state", "municipality", "parish", "centre", "table"
  std::string name;  // label for people, e.g. "Estado"
};

struct Candidate {
  std::string code;  // "EG", "NM", ...
  std::string name;
  // The area where the candidate stands, a code at the contest's `decided_at` level (a mayor's
  // race: the municipality); empty: everywhere (docs/formats/election-toml.md, "Local races").
  std::string area;
  bool operator==(const Candidate&) const = default;
};

// A party card (party line) on the ballot; votes for a card count for its candidate.
struct Card {
  int position = 0;       // 1-based ballot order
  std::string party;      // "PSUV"
  std::string candidate;  // Candidate::code
  bool operator==(const Card&) const = default;
};

// Tables known to exist but absent from the station registry, whose registered voters are not
// known (for Venezuela 2024: the tables missing from the published table of actas). The outcome
// bound assumes each may hold up to `max_voters_per_table` voters; when that is not given, the
// largest registered-voters figure of any table in the registry.
struct UnregisteredTables {
  uint64_t count = 0;  // tables whose area is not given (bounded with national figures)
  // Further tables by area code of any level (bounded with that area's figures).
  std::map<std::string, uint64_t> areas;
  std::optional<uint64_t> max_voters_per_table;

  // Every table: count + the sum of areas.
  uint64_t total() const;
  bool empty() const { return count == 0 && areas.empty() && !max_voters_per_table; }
  bool operator==(const UnregisteredTables&) const = default;
};

// The official registry: how many voters may vote in this contest, nationally and/or per area
// (code of any level), with the citation. Used by the outcome bound and check-declared to cap the
// voters of tables absent from the station registry: the registry total minus the voters of the
// registered tables.
struct RegistryTotals {
  std::optional<uint64_t> total;          // national
  std::map<std::string, uint64_t> areas;  // by area code of any level
  std::string source;                     // where the figures were published

  bool empty() const { return !total && areas.empty() && source.empty(); }
  bool operator==(const RegistryTotals&) const = default;
};

// What a report's figures mean, declared by the election (docs/formats/election-toml.md,
// "Figures"): no meaning hangs on a field's name. Each figure is a sum in the rule language over
// fields and candidates ("valid", "null + blank", "candidates"); an empty string means "not
// declared", and a report then says the figure is unknown and why, instead of printing 0.
struct Figures {
  std::string valid;    // valid votes
  std::string invalid;  // votes that are not valid: null, blank, spoilt
  std::string cast;     // ballots cast; when empty: valid + invalid, if both are declared
  std::string turnout;  // what turnout counts (over registered voters); when empty: cast
  std::string shares;   // base of candidate shares: "valid", "cast" or "candidates"; empty: "valid"

  bool empty() const { return valid.empty() && invalid.empty() && cast.empty() && turnout.empty() && shares.empty(); }
  bool operator==(const Figures&) const = default;
};

// A rule that warns instead of refusing: a sheet that breaks it is accepted, counted, and listed
// with the note by `tallylog flags` (real data break arithmetic for legitimate reasons, e.g.
// polling stations without a roll).
struct FlagRule {
  std::string rule;  // same language as Election::rules
  std::string note;  // why it may legitimately fail; may be empty
  bool operator==(const FlagRule&) const = default;
};

// One contest of an election day with several (president and mayor; list and constituency):
// what its ballot holds and how its sheets are checked and reported. The members mean what the
// Election members of the same name mean for a single-contest election. Stations, sources and
// the registry are the election's, shared by every contest (docs/formats/election-toml.md,
// "Several contests").
struct Contest {
  std::string id;    // [a-z0-9_-]+, unique in the election; sheets name it ("contest")
  std::string name;  // "Alcaldía"
  std::vector<Candidate> candidates;
  std::vector<Card> cards;
  std::vector<std::string> fields;
  std::vector<std::string> optional;
  std::vector<std::string> rules;
  std::vector<FlagRule> flags;
  Figures figures;
  std::string qr_profile;
  std::string decided_at;  // the level (Level::code) at which the contest is decided; empty: national

  bool operator==(const Contest&) const = default;
};

// An organisation whose devices (witness phones, scanners) may submit signed sheets
// (election/device.h, docs/formats/devices.md). Its key is declared here, in entry 0, so that
// nobody — the server operator included — can add one later: enrolments and revocations of its
// devices are log records signed by this key.
struct Organisation {
  std::string id;    // [a-z0-9_-]+, unique in the election ("mud")
  std::string name;  // label for people
  std::string key;   // Ed25519 verifier key, note form "<name>+<hex8>+<base64>" (note/note.h)
  std::vector<std::string> sources;  // source patterns its devices may be enrolled for ("witness:mud")
  bool operator==(const Organisation&) const = default;
};

struct Election {
  std::string id;       // short stable identifier, e.g. "ve2024"
  std::string name;     // "Elección Presidencial 2024"
  std::string date;     // YYYY-MM-DD
  // The contest of a single-contest election ("president"). Empty when `contests` is not: then
  // the ballot members below (candidates ... qr_profile) are empty too and each contest holds its
  // own; election/contest.h turns one contest into the single-contest Election every report uses.
  std::string contest;
  std::vector<Contest> contests;
  std::vector<Level> levels;
  std::vector<Candidate> candidates;
  std::vector<Card> cards;          // empty when sheets carry per-candidate votes only
  std::vector<std::string> fields;  // other sheet counts, e.g. {"valid", "null"}
  // Fields a sheet may leave out: its source does not report them. They are then unknown, not
  // zero: rules that use them are not checked on that sheet, and compare never finds a difference
  // in them (docs/formats/election-toml.md, "Optional counts").
  std::vector<std::string> optional;
  // Arithmetic rules a sheet must satisfy (election/rules.h), e.g.
  // "valid == candidates", "valid + null <= registered" (grammar: docs/formats/election-toml.md).
  std::vector<std::string> rules;
  std::vector<FlagRule> flags;  // rules that flag a sheet instead of rejecting it
  Figures figures;
  // Accepted source names; a trailing '*' matches a prefix ("witness:*").
  std::vector<std::string> sources;
  std::string qr_profile;  // e.g. "ve2024-acta"; empty when sheets carry no QR code
  // The level (Level::code) at which the contest is decided: one race per area of that level
  // (a mayor per municipality), each candidate standing in one area (Candidate::area). Empty:
  // one national race. Tallies above that level are refused (a sum of separate races), and the
  // outcome bound decides per area of that level.
  std::string decided_at;
  // Registered voters of tables absent from the registry, by area code of any level
  // (used by the outcome bound).
  std::map<std::string, uint64_t> unregistered_voters;
  // Tables absent from the registry whose voters are unknown (used by the outcome bound).
  UnregisteredTables unregistered_tables;
  RegistryTotals registry_totals;
  // Organisations that enrol devices, and the source patterns whose sheets must carry a valid
  // device signature (`[submissions] require_device_signature`). Both empty in elections logged
  // before issue 14, whose entries keep their bytes.
  std::vector<Organisation> organisations;
  std::vector<std::string> require_device_signature;

  const Candidate* find_candidate(std::string_view code) const;
};

// A station's place in one level of the geography.
struct AreaRef {
  std::string code;  // unique within its level (the CSV mapping composes it)
  std::string name;
};

struct Station {
  std::string code;            // unique table code, e.g. "010113042.01"
  std::vector<AreaRef> areas;  // one per Election::levels entry; areas.back().code == code
  // Registered voters; absent when the registry does not know them (the station still counts as
  // a table; turnout leaves it out and says how many, rules using `registered` are not checked).
  std::optional<uint64_t> registered;
};

struct Sheet {
  std::string station;  // Station::code
  std::string source;   // "official", "witness:<party>", "observer:<org>", "qr"
  // Contest::id of an election with several contests; empty for a single-contest election (so
  // its entries keep their bytes).
  std::string contest;
  // Votes per card in ballot order (size == Election::cards.size()), or empty.
  std::vector<int64_t> cards;
  // Votes per candidate code. When cards are given, these equal the sums of their cards.
  CountMap candidates;
  // Other counts named by Election::fields ("valid", "null", ...).
  CountMap fields;
  std::string image_sha256;            // lowercase hex of the sheet image, or empty
  std::string qr_payload;              // raw QR text, or empty
  std::string submitted_by;            // who submitted (token name, importer), may be empty
  std::string submitted_at;            // RFC 3339 UTC
  std::optional<uint64_t> supersedes;  // log index of the sheet this one corrects
  // A device's signature (election/device.h): its verifier key (note form) and the base64
  // Ed25519 signature over sheet_signed_message(). Both empty for an unsigned sheet.
  std::string device_key;
  std::string device_signature;

  bool operator==(const Sheet&) const = default;
};

}  // namespace tallylog::election
