// The device-signature pass of `tallylog verify` (issue 14), from the published log alone: replays
// every device record (enrolment, revocation) in log order and re-checks the signature of every
// signed sheet, and of every unsigned sheet whose source the election requires to be signed, at
// its place in the log. Sheets signed by a key revoked later stay valid and are counted apart.
// Implemented in devices_commands.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tallylog/log/verify.h"

namespace tallylog::cli {

struct DeviceLogCheck {
  bool election_has_organisations = false;
  uint64_t device_records = 0;
  uint64_t signed_sheets = 0;
  uint64_t signed_by_later_revoked = 0;  // valid when logged; the key was revoked afterwards
  std::vector<std::string> problems;     // "entry N: <field>: <reason>"; empty when all hold
};

// Reads the entry bundles of the first `size` entries from `files` (kTileWidth at a time); stops
// after entry 0 when the election declares no organisation (no device can have signed anything).
Result<DeviceLogCheck> check_device_signatures(log::LogFiles& files, uint64_t size);

}  // namespace tallylog::cli
