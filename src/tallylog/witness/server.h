// The witness's HTTP face on the project's server (http/server.h): POST /add-checkpoint answered
// by Witness, GET / describing the witness (its vkey and the logs it follows), GET
// /checkpoint/<origin, percent-encoded> the latest checkpoint it cosigned for a log. Everything
// else 404 (405 for a wrong method).
#pragma once

#include <cstdint>
#include <string_view>

#include "tallylog/http/server.h"
#include "tallylog/witness/witness.h"

namespace tallylog::witness {

inline constexpr uint64_t kMaxRequestBytes = 64 * 1024;

http::Handler witness_handler(Witness& witness, const WitnessState& state);
http::BodyLimit witness_body_limit();

}  // namespace tallylog::witness
