// Image -> QR payload. The only code in tallylog that touches zxing-cpp and zbar; their types
// never appear here.
//
// Strategy (stops at the first step that finds a QR code):
//   1. zxing-cpp on the whole image (its own rotations and downscaling);
//   2. zbar on the whole image;
//   3. pre-processed variants of the region where actas print their QR (the bottom part of a
//      tall strip) and of the whole image: rescaled, binarised (Otsu, local mean) and rotated by
//      small angles, each tried with zxing then zbar.
// Every image is worked on at no more than the working resolution (ImageLimits::
// max_decoded_pixels; larger ones are downscaled while decoding, see image.h), so is every
// pre-processed variant (and at most kMaxVariantPixels), and all steps together examine at most
// DecodeOptions::max_work_pixels: the time and memory one image can cost are bounded whatever
// it holds (an 8000x8000 one-colour PNG is refused in about a second, not 84 s and 2 GB).
// A payload is only ever returned when the library's Reed-Solomon error correction accepted the
// symbol (zxing's Result::isValid with returnErrors off, zbar's decoded symbols). Two different
// payloads in one image are an error, never a guess.
//
// Thread-safety: all functions are reentrant; decode many images on many threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tallylog/base/error.h"
#include "tallylog/qr/image.h"

namespace tallylog::qr {

// What one decode_qr / decode_qr_file call did (tests and benchmarks read it).
struct DecodeStats {
  uint64_t work_pixels = 0;           // counted against DecodeOptions::max_work_pixels
  uint64_t largest_image_pixels = 0;  // the largest image the call decoded or built
                                      // (at most the working resolution)
  int engine_runs = 0;                // zxing and zbar runs
  bool budget_exhausted = false;
};

// Variants are built with at most this many pixels (and at most the working resolution).
inline constexpr uint64_t kMaxVariantPixels = 6'000'000;

struct DecodeOptions {
  ImageLimits limits;
  // false: a single zxing ReadBarcode with default hints and nothing else (the benchmark's
  // "plain zxing" baseline). true: the full strategy above.
  bool fallbacks = true;
  // The work budget for one image: the pixels of every image handed to zxing or zbar plus
  // those of every pre-processed variant built. Decoding stops with kResourceExhausted
  // before a step that would exceed it. The default lets every step run on a 200 dpi acta
  // strip (4-5 Mpx; ~115 Mpx in all) and cuts a large image that holds no QR code short.
  uint64_t max_work_pixels = 128'000'000;
  DecodeStats* stats = nullptr;  // when set, filled in by the call
};

struct DecodedQr {
  std::string payload;  // the symbol's bytes exactly as encoded (no charset conversion)
  std::string
      method;  // which step found it: "zxing-half", "zxing", "zbar", "zxing:bottom-x2-sharp", ...
};

// Errors: kNotFound when no QR code could be read, kInvalidArgument when the image holds two
// different QR codes, kResourceExhausted when the work budget ran out first. An image above
// the working resolution is first downscaled to it.
Result<DecodedQr> decode_qr(const GrayImage& image, const DecodeOptions& options = {});

// Decodes the file bytes (JPEG or PNG) at no more than the working resolution and then the QR
// code; image errors pass through (see decode_image). A large JPEG is first decoded at half
// size and searched with zxing alone (method "zxing-half"); only when that finds nothing does
// the full strategy run. A second, different QR code too small to be seen at half size is then
// not noticed; codes of the size printed on tally sheets are.
Result<DecodedQr> decode_qr_file(std::string_view file_bytes, const DecodeOptions& options = {});

// zbar alone on the whole image (no zxing, no pre-processing); used by the benchmark and tests
// to compare engines. kNotFound / kInvalidArgument as for decode_qr.
Result<DecodedQr> decode_qr_zbar_only(const GrayImage& image);

}  // namespace tallylog::qr
