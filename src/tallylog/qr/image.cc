// JPEG through libjpeg(-turbo) and PNG through libpng's simplified API. libjpeg reports fatal
// errors by calling error_exit, which must not return: we longjmp back to the decode function.
// Only trivially destructible state lives between setjmp and the longjmp target.
#include "tallylog/qr/image.h"

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

namespace tallylog::qr {
namespace {

struct JpegErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
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

Result<GrayImage> decode_jpeg(std::string_view bytes, const ImageLimits& limits, int reduce) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager jerr;
  std::memset(&jerr, 0, sizeof jerr);
  GrayImage out;
  cinfo.err = jpeg_std_error(&jerr.pub);
  jerr.pub.error_exit = jpeg_error_exit;
  jerr.pub.emit_message = jpeg_emit_message;
  // A Result built after the jump would be fine, but building the error message needs a
  // std::string, so remember what failed in plain variables and construct it afterwards.
  enum class Fail { kNone, kLibjpeg, kTooLarge, kColour } volatile fail = Fail::kNone;
  volatile uint64_t claimed_w = 0, claimed_h = 0;
  if (setjmp(jerr.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return err(ErrorCode::kCorrupt, std::string("JPEG: ") + jerr.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  claimed_w = cinfo.image_width;
  claimed_h = cinfo.image_height;
  if (claimed_w == 0 || claimed_h == 0 || claimed_w > limits.max_dimension ||
      claimed_h > limits.max_dimension || claimed_w * claimed_h > limits.max_pixels) {
    fail = Fail::kTooLarge;
  } else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    fail = Fail::kColour;
  }
  if (fail == Fail::kNone) {
    cinfo.out_color_space = JCS_GRAYSCALE;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.scale_num = 1;
    cinfo.scale_denom =
        static_cast<unsigned>(reduce == 2 || reduce == 4 || reduce == 8 ? reduce : 1);
    jpeg_start_decompress(&cinfo);
    out.width = static_cast<int>(cinfo.output_width);
    out.height = static_cast<int>(cinfo.output_height);
    out.pixels.resize(static_cast<size_t>(out.width) * out.height);
    while (cinfo.output_scanline < cinfo.output_height) {
      JSAMPROW row = out.pixels.data() + static_cast<size_t>(cinfo.output_scanline) * out.width;
      jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
  }
  jpeg_destroy_decompress(&cinfo);
  switch (fail) {
    case Fail::kTooLarge:
      return err(ErrorCode::kResourceExhausted, "JPEG: " + std::to_string(claimed_w) + "x" +
                                                    std::to_string(claimed_h) +
                                                    " pixels exceeds the limit of " +
                                                    std::to_string(limits.max_pixels) + " pixels");
    case Fail::kColour:
      return err(ErrorCode::kInvalidArgument, "JPEG: CMYK images are not supported");
    default:
      break;
  }
  if (jerr.truncated)
    return err(ErrorCode::kCorrupt, "JPEG: file is truncated (premature end of data)");
  return out;
}

Result<GrayImage> decode_png(std::string_view bytes, const ImageLimits& limits) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return err(ErrorCode::kCorrupt, std::string("PNG: ") + image.message);
  }
  const uint64_t w = image.width, h = image.height;
  if (w == 0 || h == 0 || w > limits.max_dimension || h > limits.max_dimension ||
      w * h > limits.max_pixels) {
    png_image_free(&image);
    return err(ErrorCode::kResourceExhausted,
               "PNG: " + std::to_string(w) + "x" + std::to_string(h) +
                   " pixels exceeds the limit of " + std::to_string(limits.max_pixels) + " pixels");
  }
  image.format = PNG_FORMAT_GRAY;
  GrayImage out;
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  out.pixels.resize(static_cast<size_t>(w * h));
  // Transparent pixels composite onto white, as on paper.
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&image, &white, out.pixels.data(), static_cast<png_int_32>(w),
                             nullptr)) {
    std::string message = image.message;
    png_image_free(&image);
    return err(ErrorCode::kCorrupt, "PNG: " + message);
  }
  return out;
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

Result<GrayImage> decode_image(std::string_view bytes, const ImageLimits& limits, int jpeg_reduce) {
  switch (sniff_image_format(bytes)) {
    case ImageFormat::kJpeg:
      return decode_jpeg(bytes, limits, jpeg_reduce);
    case ImageFormat::kPng:
      return decode_png(bytes, limits);
    case ImageFormat::kUnknown:
      break;
  }
  if (bytes.empty()) return err(ErrorCode::kInvalidArgument, "empty file is not an image");
  return err(ErrorCode::kInvalidArgument, "not a JPEG or PNG image (unrecognised file signature)");
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

Result<std::string> encode_jpeg(const GrayImage& img, int quality) {
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
