// Reading CSV files published inside a ZIP archive (e.g. the Russian results as 2018.csv.zip),
// so they can be imported exactly as published. Only what that needs: an archive holding one
// regular file (directories ignored), stored or deflated; the file is returned whole. libzip
// stays in zip.cc.
//
// Thread-safety: a free function without shared state.
#pragma once

#include <string>
#include <string_view>

#include "tallylog/base/error.h"

namespace tallylog {

// Largest file unzip_single() returns (a bound against decompression bombs).
inline constexpr uint64_t kMaxUnzippedBytes = uint64_t(4) << 30;

// True when `bytes` start like a ZIP archive ("PK\3\4").
bool looks_like_zip(std::string_view bytes);

// The contents of the only file in the ZIP archive `bytes`. Errors (kInvalidArgument) name
// `what` (a file name for messages) and say why: not a ZIP archive, no file or more than one
// (their names), encrypted, corrupt, or larger than kMaxUnzippedBytes.
Result<std::string> unzip_single(std::string_view bytes, std::string_view what);

}  // namespace tallylog
