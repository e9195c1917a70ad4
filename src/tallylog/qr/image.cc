// JPEG through libjpeg(-turbo) and PNG through libpng's row-by-row API, both streaming rows
// into a RowDownscaler so that an image above the working resolution is never held whole.
// Both libraries report fatal errors with longjmp: between setjmp and the jump target only
// trivially destructible locals live, and everything the reading code changes is on the heap
// (owned through a pointer fixed before setjmp), so no value is lost or leaked by the jump.
#include "tallylog/qr/image.h"

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

namespace tallylog::qr {
namespace {

// The smallest integer factor k with ceil(w/k) * ceil(h/k) <= max_pixels.
uint64_t downscale_factor(uint64_t w, uint64_t h, uint64_t max_pixels) {
  max_pixels = std::max<uint64_t>(max_pixels, 1);
  if (w * h <= max_pixels) return 1;
  uint64_t k = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::sqrt(static_cast<double>(w) * static_cast<double>(h) /
                                         static_cast<double>(max_pixels))));
  while (((w + k - 1) / k) * ((h + k - 1) / k) > max_pixels) ++k;
  return k;
}

// Area-averages rows as they arrive into an image of ceil(in_width / kx) x out_height: each
// output pixel is the mean of the block of input it covers (kx columns, smaller at the right
// edge; input row y falls in output row y * out_height / in_height). Holds the output and one
// row of sums.
class RowDownscaler {
 public:
  RowDownscaler(int in_width, int in_height, int kx, int out_height)
      : in_w_(in_width), in_h_(in_height), kx_(std::max(kx, 1)) {
    out_.width = (in_w_ + kx_ - 1) / kx_;
    out_.height = std::clamp(out_height, 1, std::max(in_h_, 1));
    out_.pixels.assign(static_cast<size_t>(out_.width) * out_.height, 255);
    copy_ = kx_ == 1 && out_.height == in_h_;
    if (!copy_) sums_.assign(static_cast<size_t>(out_.width), 0);
  }

  bool complete() const { return rows_in_ == in_h_; }

  // `row` holds in_width gray pixels. Rows beyond the input height are ignored.
  void add_row(const uint8_t* row) {
    if (rows_in_ >= in_h_) return;
    const int target = out_row(rows_in_);
    if (copy_) {
      std::memcpy(out_.pixels.data() + static_cast<size_t>(target) * out_.width, row,
                  static_cast<size_t>(in_w_));
      ++rows_in_;
      return;
    }
    for (int ox = 0, x = 0; ox < out_.width; ++ox) {
      uint32_t s = 0;
      for (const int end = std::min(x + kx_, in_w_); x < end; ++x) s += row[x];
      sums_[static_cast<size_t>(ox)] += s;
    }
    ++block_rows_;
    ++rows_in_;
    if (rows_in_ == in_h_ || out_row(rows_in_) != target) {
      uint8_t* dst = out_.pixels.data() + static_cast<size_t>(target) * out_.width;
      for (int ox = 0; ox < out_.width; ++ox) {
        const uint64_t n = static_cast<uint64_t>(block_rows_) * std::min(kx_, in_w_ - ox * kx_);
        dst[ox] = static_cast<uint8_t>((sums_[static_cast<size_t>(ox)] + n / 2) / n);
        sums_[static_cast<size_t>(ox)] = 0;
      }
      block_rows_ = 0;
    }
  }

  GrayImage take() { return std::move(out_); }

 private:
  int out_row(int y) const {
    return static_cast<int>(static_cast<uint64_t>(y) * static_cast<uint64_t>(out_.height) /
                            static_cast<uint64_t>(in_h_));
  }

  int in_w_, in_h_, kx_;
  bool copy_ = false;
  int rows_in_ = 0;
  int block_rows_ = 0;
  std::vector<uint64_t> sums_;  // one per output column of the current block
  GrayImage out_;
};

std::string dims(uint64_t w, uint64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

const char* format_name(ImageFormat f) {
  return f == ImageFormat::kJpeg ? "JPEG" : f == ImageFormat::kPng ? "PNG" : "image";
}

// ---------------------------------------------------------------- JPEG

struct JpegErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
  bool too_many_scans;
};

extern "C" void jpeg_error_exit(j_common_ptr cinfo) {
  auto* mgr = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, mgr->message);
  std::longjmp(mgr->jump, 1);
}

extern "C" void jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
  auto* mgr = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  // Level -1 is a warning. "Premature end of JPEG file" means the data stopped early: libjpeg
  // would fill the rest with grey, which for us is a truncated file, not an image.
  if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) mgr->truncated = true;
}

struct JpegProgress {
  jpeg_progress_mgr pub;
  int max_scans;
};

// Called by libjpeg while it reads: stops a progressive file with too many scans.
extern "C" void jpeg_check_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  auto* p = reinterpret_cast<JpegProgress*>(cinfo->progress);
  if (d->input_scan_number > p->max_scans) {
    auto* mgr = reinterpret_cast<JpegErrorManager*>(cinfo->err);
    mgr->too_many_scans = true;
    std::longjmp(mgr->jump, 1);
  }
}

void start_jpeg_source(jpeg_decompress_struct& cinfo, std::string_view bytes) {
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
}

Result<ImageHeader> read_jpeg_header(std::string_view bytes) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager jerr;
  std::memset(&jerr, 0, sizeof jerr);
  cinfo.err = jpeg_std_error(&jerr.pub);
  jerr.pub.error_exit = jpeg_error_exit;
  jerr.pub.emit_message = jpeg_emit_message;
  if (setjmp(jerr.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return err(ErrorCode::kCorrupt, std::string("JPEG: ") + jerr.message);
  }
  jpeg_create_decompress(&cinfo);
  start_jpeg_source(cinfo, bytes);
  jpeg_read_header(&cinfo, TRUE);
  ImageHeader h{ImageFormat::kJpeg, cinfo.image_width, cinfo.image_height};
  jpeg_destroy_decompress(&cinfo);
  return h;
}

// What decode_jpeg's reading part produces; on the heap so a longjmp loses nothing.
struct JpegWork {
  std::unique_ptr<RowDownscaler> scaler;
  std::vector<uint8_t> row;
};

Result<GrayImage> decode_jpeg(std::string_view bytes, const ImageHeader& header,
                              const ImageLimits& limits, uint64_t max_output) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager jerr;
  std::memset(&jerr, 0, sizeof jerr);
  JpegProgress progress;
  std::memset(&progress, 0, sizeof progress);
  progress.pub.progress_monitor = jpeg_check_progress;
  progress.max_scans = static_cast<int>(std::max<uint32_t>(limits.max_jpeg_scans, 1));
  const auto work = std::make_unique<JpegWork>();
  cinfo.err = jpeg_std_error(&jerr.pub);
  jerr.pub.error_exit = jpeg_error_exit;
  jerr.pub.emit_message = jpeg_emit_message;
  enum class Fail { kNone, kColour } volatile fail = Fail::kNone;
  if (setjmp(jerr.jump)) {
    jpeg_destroy_decompress(&cinfo);
    if (jerr.too_many_scans) {
      return err(ErrorCode::kResourceExhausted,
                 "JPEG: more than " + std::to_string(limits.max_jpeg_scans) +
                     " progressive scans; refusing to decode (a scan bomb)");
    }
    if (jerr.pub.msg_code == JERR_NO_BACKING_STORE || jerr.pub.msg_code == JERR_OUT_OF_MEMORY) {
      return err(ErrorCode::kResourceExhausted,
                 "JPEG: decoding this " + dims(header.width, header.height) +
                     " image needs more than the " +
                     std::to_string(limits.max_jpeg_memory >> 20) +
                     " MiB allowed (a progressive JPEG buffers every coefficient)");
    }
    return err(ErrorCode::kCorrupt, std::string("JPEG: ") + jerr.message);
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = static_cast<long>(limits.max_jpeg_memory);
  cinfo.progress = &progress.pub;
  start_jpeg_source(cinfo, bytes);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    fail = Fail::kColour;
  } else {
    cinfo.out_color_space = JCS_GRAYSCALE;
    cinfo.dct_method = JDCT_ISLOW;
    // DCT scaling does the coarse part of the downscale, exactly and cheaply; the rest is
    // area-averaged below.
    const uint64_t k = downscale_factor(header.width, header.height, max_output);
    cinfo.scale_num = 1;
    cinfo.scale_denom = k >= 8 ? 8 : k >= 4 ? 4 : k >= 2 ? 2 : 1;
    jpeg_start_decompress(&cinfo);
    const uint64_t k2 = downscale_factor(cinfo.output_width, cinfo.output_height, max_output);
    const int out_h = static_cast<int>((cinfo.output_height + k2 - 1) / k2);
    work->scaler = std::make_unique<RowDownscaler>(static_cast<int>(cinfo.output_width),
                                                   static_cast<int>(cinfo.output_height),
                                                   static_cast<int>(k2), out_h);
    work->row.resize(cinfo.output_width);
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = work->row.data();
      if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) break;
      work->scaler->add_row(work->row.data());
    }
    jpeg_finish_decompress(&cinfo);
  }
  jpeg_destroy_decompress(&cinfo);
  if (fail == Fail::kColour) return err(ErrorCode::kInvalidArgument, "JPEG: CMYK images are not supported");
  if (jerr.truncated || !work->scaler || !work->scaler->complete())
    return err(ErrorCode::kCorrupt, "JPEG: file is truncated (premature end of data)");
  return work->scaler->take();
}

// ---------------------------------------------------------------- PNG

Result<ImageHeader> read_png_header(std::string_view bytes) {
  // Signature (8), then the IHDR chunk: length (4) = 13, "IHDR", width (4), height (4), ...
  auto be32 = [&](size_t at) {
    return (static_cast<uint64_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<uint64_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<uint64_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<uint64_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  if (bytes.size() < 8 + 8 + 13 + 4) return err(ErrorCode::kCorrupt, "PNG: file is truncated (no header)");
  if (be32(8) != 13 || bytes.substr(12, 4) != "IHDR")
    return err(ErrorCode::kCorrupt, "PNG: the first chunk is not a valid IHDR");
  return ImageHeader{ImageFormat::kPng, be32(16), be32(20)};
}

struct PngSource {
  std::string_view bytes;
  size_t pos = 0;
  char message[200] = {};
};

extern "C" void png_read_from_memory(png_structp png, png_bytep out, size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->bytes.size() - src->pos) png_error(png, "file is truncated (premature end of data)");
  std::memcpy(out, src->bytes.data() + src->pos, n);
  src->pos += n;
}

extern "C" void png_on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof src->message, "%s", message ? message : "error");
  png_longjmp(png, 1);
}

extern "C" void png_on_warning(png_structp, png_const_charp) {}

// What decode_png's reading part produces; on the heap so a longjmp loses nothing.
struct PngWork {
  std::unique_ptr<RowDownscaler> scaler;
  std::vector<uint8_t> rows;  // one transformed row, or the whole (small) interlaced image
  std::vector<uint8_t> gray;  // one row composited onto white
};

// Gray or gray+alpha (composited onto white, as on paper) into one gray row.
void to_gray(const uint8_t* in, int channels, int width, uint8_t* out) {
  if (channels == 1) {
    std::memcpy(out, in, static_cast<size_t>(width));
    return;
  }
  for (int x = 0; x < width; ++x) {
    const unsigned g = in[2 * x], a = in[2 * x + 1];
    out[x] = static_cast<uint8_t>((g * a + 255u * (255u - a) + 127u) / 255u);
  }
}

// Reads every row into work.scaler. Interlaced images within the output size are
// de-interlaced whole; larger ones keep only Adam7's last pass (every odd row, full width), a
// vertical half-size image, so they too are never held at full resolution.
void read_png_rows(png_structp png, png_infop info, PngWork& work, uint64_t max_output) {
  const int w = static_cast<int>(png_get_image_width(png, info));
  const int h = static_cast<int>(png_get_image_height(png, info));
  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  const bool interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
  if (depth == 16) png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (color & PNG_COLOR_MASK_COLOR) png_set_rgb_to_gray_fixed(png, 1, -1, -1);
  const uint64_t k = downscale_factor(static_cast<uint64_t>(w), static_cast<uint64_t>(h), max_output);
  const bool whole_interlaced = interlaced && k == 1;
  if (whole_interlaced) png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  if (channels != 1 && channels != 2) png_error(png, "unexpected channel count after transforms");
  const size_t row_bytes = static_cast<size_t>(w) * static_cast<size_t>(channels);
  work.gray.resize(static_cast<size_t>(w));
  if (!interlaced) {
    work.scaler = std::make_unique<RowDownscaler>(w, h, static_cast<int>(k),
                                                  static_cast<int>((h + k - 1) / k));
    work.rows.resize(row_bytes);
    for (int y = 0; y < h; ++y) {
      png_read_row(png, work.rows.data(), nullptr);
      to_gray(work.rows.data(), channels, w, work.gray.data());
      work.scaler->add_row(work.gray.data());
    }
  } else if (whole_interlaced) {
    work.scaler = std::make_unique<RowDownscaler>(w, h, 1, h);
    work.rows.resize(row_bytes * static_cast<size_t>(h));
    const int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; ++pass)
      for (int y = 0; y < h; ++y) png_read_row(png, work.rows.data() + row_bytes * y, nullptr);
    for (int y = 0; y < h; ++y) {
      to_gray(work.rows.data() + row_bytes * y, channels, w, work.gray.data());
      work.scaler->add_row(work.gray.data());
    }
  } else {
    // Without interlace handling libpng hands out each pass's sub-image rows in turn, skipping
    // empty passes. Pass 6 (0-based) is rows 1, 3, 5, ... at full width; spread over the
    // output height of the whole image, it keeps the aspect ratio.
    const int last_rows = static_cast<int>(PNG_PASS_ROWS(static_cast<unsigned>(h), 6));
    work.scaler = std::make_unique<RowDownscaler>(w, last_rows, static_cast<int>(k),
                                                  static_cast<int>((h + k - 1) / k));
    work.rows.resize(row_bytes);
    for (int pass = 0; pass < 7; ++pass) {
      const auto rows = PNG_PASS_ROWS(static_cast<unsigned>(h), pass);
      const auto cols = PNG_PASS_COLS(static_cast<unsigned>(w), pass);
      if (rows == 0 || cols == 0) continue;
      for (png_uint_32 y = 0; y < rows; ++y) {
        png_read_row(png, work.rows.data(), nullptr);
        if (pass != 6) continue;
        to_gray(work.rows.data(), channels, w, work.gray.data());
        work.scaler->add_row(work.gray.data());
      }
    }
  }
  png_read_end(png, nullptr);
}

Result<GrayImage> decode_png(std::string_view bytes, const ImageLimits& limits, uint64_t max_output) {
  const auto src = std::make_unique<PngSource>();
  src->bytes = bytes;
  const auto work = std::make_unique<PngWork>();
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, src.get(), png_on_error, png_on_warning);
  if (!png) return err(ErrorCode::kInternal, "PNG: libpng could not be initialised");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return err(ErrorCode::kInternal, "PNG: libpng could not be initialised");
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return err(ErrorCode::kCorrupt, std::string("PNG: ") + src->message);
  }
  png_set_read_fn(png, src.get(), png_read_from_memory);
  png_set_user_limits(png, limits.max_dimension, limits.max_dimension);
  png_set_chunk_malloc_max(png, 8u << 20);
  // Text, colour profiles and other ancillary chunks are skipped unread (no zTXt/iCCP
  // decompression); the QR reader needs only the pixels.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, 0);
  static const png_byte kIgnored[] = "iCCP\0iTXt\0tEXt\0zTXt\0sPLT\0eXIf\0tIME\0pHYs\0";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kIgnored, 8);
  png_read_info(png, info);
  read_png_rows(png, info, *work, max_output);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!work->scaler || !work->scaler->complete())
    return err(ErrorCode::kCorrupt, "PNG: file is truncated (premature end of data)");
  return work->scaler->take();
}

}  // namespace

ImageFormat sniff_image_format(std::string_view bytes) {
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8 &&
      static_cast<unsigned char>(bytes[2]) == 0xFF) {
    return ImageFormat::kJpeg;
  }
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8))
    return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

Result<ImageHeader> read_image_header(std::string_view bytes) {
  switch (sniff_image_format(bytes)) {
    case ImageFormat::kJpeg:
      return read_jpeg_header(bytes);
    case ImageFormat::kPng:
      return read_png_header(bytes);
    case ImageFormat::kUnknown:
      break;
  }
  if (bytes.empty()) return err(ErrorCode::kInvalidArgument, "empty file is not an image");
  return err(ErrorCode::kInvalidArgument, "not a JPEG or PNG image (unrecognised file signature)");
}

Status check_image_limits(const ImageHeader& h, const ImageLimits& limits) {
  const std::string what = std::string(format_name(h.format)) + ": " + dims(h.width, h.height);
  if (h.width == 0 || h.height == 0) return err(ErrorCode::kCorrupt, what + " image has no pixels");
  if (h.width > limits.max_dimension || h.height > limits.max_dimension) {
    return err(ErrorCode::kResourceExhausted,
               what + ": a side of " + std::to_string(std::max(h.width, h.height)) +
                   " pixels exceeds the limit of " + std::to_string(limits.max_dimension) +
                   " pixels per side");
  }
  if (h.width * h.height > limits.max_pixels) {
    return err(ErrorCode::kResourceExhausted,
               what + " = " + std::to_string(h.width * h.height) +
                   " pixels exceeds the limit of " + std::to_string(limits.max_pixels) +
                   " pixels (--max-pixels)");
  }
  return ok();
}

Result<GrayImage> decode_image(std::string_view bytes, const ImageLimits& limits,
                               uint64_t max_output_pixels) {
  TL_ASSIGN_OR_RETURN(ImageHeader header, read_image_header(bytes));
  TL_TRY(check_image_limits(header, limits));
  uint64_t max_output = std::max<uint64_t>(limits.max_decoded_pixels, 1);
  if (max_output_pixels != 0) max_output = std::min(max_output, max_output_pixels);
  if (header.format == ImageFormat::kJpeg) return decode_jpeg(bytes, header, limits, max_output);
  return decode_png(bytes, limits, max_output);
}

Result<std::string> encode_png(const GrayImage& img) {
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height) {
    return err(ErrorCode::kInvalidArgument,
               "encode_png: image has no pixels or a wrong buffer size");
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(img.width);
  image.height = static_cast<png_uint_32>(img.height);
  image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, img.pixels.data(), img.width,
                                 nullptr)) {
    return err(ErrorCode::kInternal, std::string("PNG encode: ") + image.message);
  }
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, img.pixels.data(), img.width,
                                 nullptr)) {
    return err(ErrorCode::kInternal, std::string("PNG encode: ") + image.message);
  }
  out.resize(size);
  return out;
}

extern "C" void png_write_to_string(png_structp png, png_bytep data, size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}

extern "C" void png_flush_nothing(png_structp) {}

Result<std::string> encode_png_interlaced(const GrayImage& img) {
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height) {
    return err(ErrorCode::kInvalidArgument,
               "encode_png_interlaced: image has no pixels or a wrong buffer size");
  }
  const auto out = std::make_unique<std::string>();
  const auto src = std::make_unique<PngSource>();  // only its message buffer is used
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, src.get(), png_on_error, png_on_warning);
  if (!png) return err(ErrorCode::kInternal, "PNG encode: libpng could not be initialised");
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return err(ErrorCode::kInternal, std::string("PNG encode: ") + src->message);
  }
  png_set_write_fn(png, out.get(), png_write_to_string, png_flush_nothing);
  png_set_IHDR(png, info, static_cast<png_uint_32>(img.width), static_cast<png_uint_32>(img.height),
               8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_ADAM7, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const int passes = png_set_interlace_handling(png);
  for (int pass = 0; pass < passes; ++pass)
    for (int y = 0; y < img.height; ++y)
      png_write_row(png, img.pixels.data() + static_cast<size_t>(y) * img.width);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::move(*out);
}

Result<std::string> encode_jpeg(const GrayImage& img, int quality, bool progressive) {
  if (img.width <= 0 || img.height <= 0 ||
      img.pixels.size() != static_cast<size_t>(img.width) * img.height) {
    return err(ErrorCode::kInvalidArgument,
               "encode_jpeg: image has no pixels or a wrong buffer size");
  }
  jpeg_compress_struct cinfo;
  JpegErrorManager jerr;
  std::memset(&jerr, 0, sizeof jerr);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  cinfo.err = jpeg_std_error(&jerr.pub);
  jerr.pub.error_exit = jpeg_error_exit;
  if (setjmp(jerr.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    return err(ErrorCode::kInternal, std::string("JPEG encode: ") + jerr.message);
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(img.width);
  cinfo.image_height = static_cast<JDIMENSION>(img.height);
  cinfo.input_components = 1;
  cinfo.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(img.pixels.data() +
                                        static_cast<size_t>(cinfo.next_scanline) * img.width);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return out;
}

}  // namespace tallylog::qr
