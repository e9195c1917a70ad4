// Decoding JPEG and PNG files into 8-bit grayscale images, the only pixel format the QR
// decoder needs. Decoding costs are bounded whatever the file claims or holds:
//  - the limits are checked from the file header before any pixel buffer is allocated, so a
//    small file that claims huge dimensions costs nothing;
//  - an image with more pixels than the working resolution (ImageLimits::max_decoded_pixels)
//    is downscaled WHILE it is decoded and the full-resolution image is never held: a JPEG
//    through libjpeg's DCT scaling (1/2, 1/4, 1/8), then, like a PNG, by area-averaging rows
//    as they stream out of the decompressor (memory: the output plus one input row);
//  - libjpeg's own memory (a progressive JPEG buffers every coefficient) and its number of
//    scans are capped, and PNG text and colour-profile chunks are skipped unread.
// So an 8000x8000 one-colour PNG of 76 KB costs one pass of inflate and an 8 Mpx buffer, not
// 64 MB of pixels and every later copy of them.
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
  // Refuse images with a side longer than this.
  uint32_t max_dimension = 65535;
  // The working resolution: larger images are downscaled while decoding to at most this many
  // pixels. 8 Mpx holds a 200 dpi acta strip (4-5 Mpx) at full size; a 12-48 Mpx photo is
  // shrunk by 2 or 3, which leaves a QR code a tenth of its width wide 4+ pixels per module.
  uint64_t max_decoded_pixels = 8ull * 1000 * 1000;
  // libjpeg may allocate at most this much (a progressive JPEG buffers all its coefficients:
  // ~2 bytes per pixel per colour component, whatever the output scale) ...
  uint64_t max_jpeg_memory = 96ull << 20;
  // ... and read at most this many scans (a progressive JPEG of thousands of tiny scans costs
  // a full pass over the coefficients for each).
  uint32_t max_jpeg_scans = 64;
};

// What a file's header says, read without decoding any pixel.
struct ImageHeader {
  ImageFormat format = ImageFormat::kUnknown;
  uint64_t width = 0;
  uint64_t height = 0;
};

// Recognises the format from the first bytes (magic numbers), never from a file name.
ImageFormat sniff_image_format(std::string_view bytes);

// Format and dimensions from the header alone. Errors as decode_image, except the limits,
// which it does not check.
Result<ImageHeader> read_image_header(std::string_view bytes);

// Checks a header against the limits: kResourceExhausted naming the limit that is exceeded
// (the side length or the pixel count), kCorrupt for a zero dimension.
Status check_image_limits(const ImageHeader& header, const ImageLimits& limits);

// Decodes a JPEG or PNG held in memory into at most `max_output_pixels` pixels (0: the
// working resolution limits.max_decoded_pixels; never more than it), keeping the aspect ratio:
// an image that is larger is downscaled by the smallest integer factor that fits (a JPEG's
// DCT scaling 1/2, 1/4 or 1/8 does most of it, several times faster than a full decode).
// Errors: kInvalidArgument for a non-image or an unsupported format, kCorrupt for a truncated
// or damaged file, kResourceExhausted when the header's dimensions exceed `limits` or libjpeg
// would need more memory or scans than allowed.
Result<GrayImage> decode_image(std::string_view bytes, const ImageLimits& limits = {},
                               uint64_t max_output_pixels = 0);

// Encodes as PNG (8-bit grayscale). Used by tests and tools that write pre-processed images.
Result<std::string> encode_png(const GrayImage& image);

// Encodes as JPEG at `quality` 1..100 (grayscale), baseline or progressive. Tests use low
// qualities to add compression artefacts.
Result<std::string> encode_jpeg(const GrayImage& image, int quality, bool progressive = false);

// Encodes as interlaced (Adam7) 8-bit grayscale PNG. Tests use it; decode_image reads both.
Result<std::string> encode_png_interlaced(const GrayImage& image);

}  // namespace tallylog::qr
