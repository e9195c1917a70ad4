// Pending enrolment invites (election/device.h): one-time codes an organisation issued, kept by
// the server in <data>/devices/invites.jsonl until a device uses one. Each line holds what the
// organisation signed — the SHA-256 of the code (never the code), the organisation, the sources —
// and its signature, so the file grants nothing to whoever reads it: the code itself is shown
// only to the organisation when it is created (`tallylog devices invite`). An invite is used once
// its enrolment is in the log (DeviceRegistry::code_used); the file is never rewritten.
//
// Free functions doing file I/O through Env; callers serialise appends (the CLI is one process).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"

namespace tallylog::ingest {

struct Invite {
  std::string code_sha256;  // lowercase hex of SHA-256(code as printed)
  std::string org;
  std::vector<std::string> sources;
  std::string invite_signature;  // base64 Ed25519 by the org key over election::device_invite_message

  bool operator==(const Invite&) const = default;
};

std::string invites_path(const std::string& data_dir);  // <data>/devices/invites.jsonl
std::string invite_to_json(const Invite& invite);       // one line, no newline
Result<Invite> invite_from_json(std::string_view line);
// Invites as JSON Lines (what append_invites and `devices invite --out` write), and back: blank
// lines are skipped; a malformed line is kCorrupt "<name>:<line number>: <reason>".
std::string invites_to_jsonl(std::span<const Invite> invites);
Result<std::vector<Invite>> invites_from_jsonl(std::string_view text, std::string_view name);

// Appends (creating <data>/devices/) and syncs.
Status append_invites(Env& env, const std::string& data_dir, std::span<const Invite> invites);
// The invite for a code's hash, or nullopt (no file, or not in it). A malformed line is kCorrupt.
Result<std::optional<Invite>> find_invite(Env& env, const std::string& data_dir, std::string_view code_sha256);

}  // namespace tallylog::ingest
