// The log's cosigning hook (log::OpenOptions::cosign) over a Collector: each new checkpoint is
// sent to the witnesses with consistency proofs computed from the tiles of its own size, which
// the log's publisher makes durable in the log's storage before it calls the hook.
//
// Thread-safety: the hook is called by the log's publisher, one checkpoint at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "tallylog/base/env.h"
#include "tallylog/base/error.h"
#include "tallylog/witness/client.h"

namespace tallylog::witness {

using CosignHook = std::function<Result<std::string>(const std::string& signed_checkpoint)>;

// `log_dir`: <data>/log (read through `env`, which must outlive the hook).
CosignHook make_cosign_hook(std::shared_ptr<Collector> collector, std::string log_dir, Env& env = Env::posix());

}  // namespace tallylog::witness
