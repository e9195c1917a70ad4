// Decoding JPEG and PNG files into 8-bit grayscale images, the only pixel format the QR
// decoder needs. The pixel limit is checked from the file header before any pixel buffer is
// allocated, so a small file that claims huge dimensions (a decompression bomb) costs nothing.
//
// GrayImage is a plain value (row-major, stride == width). Functions here are pure apart from
// memory allocation and are safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tallylog/base/error.h"

namespace tallylog::qr {

struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height bytes, row-major, 0 = black

  uint8_t at(int x, int y) const { return pixels[static_cast<size_t>(y) * width + x]; }
};

enum class ImageFormat { kUnknown, kJpeg, kPng };

struct ImageLimits {
  // Refuse images with more pixels than this (default 64 Mpx: a 600 dpi A3 scan is ~70 Mpx
  // in colour but actas are tall narrow strips of 5-10 Mpx).
  uint64_t max_pixels = 64ull * 1000 * 1000;
  uint32_t max_dimension = 65535;
};

// Recognises the format from the first bytes (magic numbers), never from a file name.
ImageFormat sniff_image_format(std::string_view bytes);

// Decodes a JPEG or PNG held in memory. Errors: kInvalidArgument for a non-image or an
// unsupported format, kCorrupt for a truncated or damaged file, kResourceExhausted when the
// header's dimensions exceed `limits` (always the full dimensions, whatever `jpeg_reduce`).
// `jpeg_reduce` (1, 2, 4 or 8) decodes a JPEG at 1/jpeg_reduce of its size through libjpeg's
// DCT scaling, several times faster than a full decode; PNG ignores it.
Result<GrayImage> decode_image(std::string_view bytes, const ImageLimits& limits = {},
                               int jpeg_reduce = 1);

// Encodes as PNG (8-bit grayscale). Used by tests and tools that write pre-processed images.
Result<std::string> encode_png(const GrayImage& image);

// Encodes as baseline JPEG at `quality` 1..100 (grayscale). Tests use low qualities to add
// compression artefacts.
Result<std::string> encode_jpeg(const GrayImage& image, int quality);

}  // namespace tallylog::qr
