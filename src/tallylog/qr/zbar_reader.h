// Internal to the qr module: zbar behind a plain interface. zbar's C++ headers clash with
// zxing's macros, so zbar lives in its own translation unit. Reentrant (one scanner per call).
#pragma once

#include <string>
#include <vector>

#include "tallylog/qr/image.h"

namespace tallylog::qr::internal {

// Payloads of every QR code zbar decoded (after its Reed-Solomon correction), in scan order.
std::vector<std::string> zbar_read_qr(const GrayImage& image);

}  // namespace tallylog::qr::internal
