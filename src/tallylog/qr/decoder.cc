#define ZX_USE_UTF8
#include "tallylog/qr/decoder.h"

#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <exception>
#include <functional>
#include <optional>
#include <vector>

#include "tallylog/qr/preprocess.h"
#include "tallylog/qr/zbar_reader.h"

namespace tallylog::qr {
namespace {

std::string preview(const std::string& payload) {
  std::string p = payload.size() > 40 ? payload.substr(0, 40) + "..." : payload;
  for (char& c : p)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return p;
}

// Deduplicates payloads from one step; two different ones are an error.
Result<std::optional<std::string>> single_payload(const std::vector<std::string>& found) {
  std::optional<std::string> only;
  for (const auto& p : found) {
    if (!only) {
      only = p;
    } else if (*only != p) {
      return err(ErrorCode::kInvalidArgument, "image holds 2 different QR codes ('" +
                                                  preview(*only) + "' and '" + preview(p) +
                                                  "'); refusing to choose one");
    }
  }
  return only;
}

std::vector<std::string> zxing_read(const GrayImage& image,
                                    ZXing::Binarizer binarizer = ZXing::Binarizer::LocalAverage) {
  std::vector<std::string> out;
  if (image.width <= 0 || image.height <= 0) return out;
  try {
    ZXing::ImageView view(image.pixels.data(), image.width, image.height, ZXing::ImageFormat::Lum);
    ZXing::DecodeHints hints;
    hints.setFormats(ZXing::BarcodeFormat::QRCode)
        .setTryHarder(true)
        .setTryRotate(true)
        .setReturnErrors(false)
        .setBinarizer(binarizer);
    for (const auto& r : ZXing::ReadBarcodes(view, hints)) {
      if (!r.isValid() || r.format() != ZXing::BarcodeFormat::QRCode) continue;
      const auto& bytes = r.bytes();
      out.emplace_back(bytes.begin(), bytes.end());
    }
  } catch (const std::exception&) {
    // A library failure on one variant is "not found here"; the next step may still succeed.
  }
  return out;
}

struct Variant {
  std::string name;
  std::function<GrayImage(const GrayImage&)> make;
  ZXing::Binarizer binarizer = ZXing::Binarizer::LocalAverage;
};

// JPEGs whose half-size decode has fewer pixels than this (small or already downscaled images)
// skip the half-size first pass: their modules may be too small after halving.
constexpr uint64_t kHalfPassMinPixels = 500'000;

// Above this size a variant is built from a half-size copy: fallbacks must stay cheap on a
// large photo that holds no QR code at all.
constexpr uint64_t kMaxVariantPixels = 6'000'000;

GrayImage limit_size(GrayImage im) {
  while (static_cast<uint64_t>(im.width) * im.height > kMaxVariantPixels) im = scale(im, 0.5);
  return im;
}

// Pre-processing variants, likeliest first. Actas are tall strips (height several times the
// width) with the QR code in the bottom part, so that region is tried before the whole image.
std::vector<Variant> variants_for(const GrayImage& image) {
  using Cut = std::function<GrayImage(const GrayImage&)>;
  std::vector<std::pair<std::string, Cut>> regions;
  if (image.height > 2 * image.width) {
    regions.emplace_back("bottom", [](const GrayImage& im) {
      int top = im.height - std::max(im.height * 35 / 100, im.width * 3 / 2);
      return crop(im, 0, top, im.width, im.height - top);
    });
  }
  regions.emplace_back("whole", [](const GrayImage& im) { return im; });
  std::vector<Variant> v;
  for (const auto& [r, cut] : regions) {
    v.push_back({r + "-globalhist", cut, ZXing::Binarizer::GlobalHistogram});
    if (r == "whole" && regions.size() > 1) {
      // The QR region of a tall strip was already worked hard; on the whole strip only try
      // the cheap global variants, in case the QR code sits elsewhere.
      v.push_back({r + "-otsu", [cut](const GrayImage& im) { return binarize_otsu(cut(im)); }});
      v.push_back({r + "-x0.5", [cut](const GrayImage& im) { return scale(cut(im), 0.5); }});
      break;
    }
    if (r != "whole") v.push_back({r, cut});
    v.push_back({r + "-x2-sharp", [cut](const GrayImage& im) {
                   return limit_size(sharpen(scale(cut(im), 2.0), 3, 1.5));
                 }});
    v.push_back({r + "-otsu", [cut](const GrayImage& im) { return binarize_otsu(cut(im)); }});
    v.push_back({r + "-local", [cut](const GrayImage& im) {
                   GrayImage c = cut(im);
                   return binarize_local(c, std::max(8, std::min(c.width, c.height) / 40), 8);
                 }});
    v.push_back({r + "-x0.5", [cut](const GrayImage& im) { return scale(cut(im), 0.5); }});
    v.push_back({r + "-x3-sharp-otsu", [cut](const GrayImage& im) {
                   return limit_size(binarize_otsu(sharpen(scale(cut(im), 3.0), 4, 2.0)));
                 }});
    for (double angle : {-6.0, 6.0}) {
      v.push_back(
          {r + "-rot" + std::to_string(static_cast<int>(angle)),
           [cut, angle](const GrayImage& im) { return rotate(limit_size(cut(im)), angle); }});
    }
  }
  return v;
}

Result<DecodedQr> plain_zxing(const GrayImage& image) {
  try {
    ZXing::ImageView view(image.pixels.data(), image.width, image.height, ZXing::ImageFormat::Lum);
    auto r = ZXing::ReadBarcode(view);
    if (r.isValid() && r.format() == ZXing::BarcodeFormat::QRCode) {
      const auto& bytes = r.bytes();
      return DecodedQr{std::string(bytes.begin(), bytes.end()), "zxing-plain"};
    }
  } catch (const std::exception& e) {
    return err(ErrorCode::kInternal, std::string("zxing failed: ") + e.what());
  }
  return err(ErrorCode::kNotFound, "no QR code found (plain zxing)");
}

}  // namespace

Result<DecodedQr> decode_qr(const GrayImage& image, const DecodeOptions& options) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height)) {
    return err(ErrorCode::kInvalidArgument, "image has no pixels");
  }
  if (!options.fallbacks) return plain_zxing(image);

  auto attempt = [](const std::vector<std::string>& found,
                    std::string method) -> Result<std::optional<DecodedQr>> {
    TL_ASSIGN_OR_RETURN(auto one, single_payload(found));
    if (!one) return std::optional<DecodedQr>();
    return std::optional<DecodedQr>(DecodedQr{std::move(*one), std::move(method)});
  };

  TL_ASSIGN_OR_RETURN(auto first, attempt(zxing_read(image), "zxing"));
  if (first) return std::move(*first);
  TL_ASSIGN_OR_RETURN(auto second, attempt(internal::zbar_read_qr(image), "zbar"));
  if (second) return std::move(*second);

  const auto variants = variants_for(image);
  for (const auto& variant : variants) {
    GrayImage pre = variant.make(image);
    TL_ASSIGN_OR_RETURN(auto z,
                        attempt(zxing_read(pre, variant.binarizer), "zxing:" + variant.name));
    if (z) return std::move(*z);
    TL_ASSIGN_OR_RETURN(auto b, attempt(internal::zbar_read_qr(pre), "zbar:" + variant.name));
    if (b) return std::move(*b);
  }
  return err(ErrorCode::kNotFound, "no readable QR code (tried zxing, zbar and " +
                                       std::to_string(variants.size()) +
                                       " pre-processed variants)");
}

Result<DecodedQr> decode_qr_file(std::string_view file_bytes, const DecodeOptions& options) {
  if (options.fallbacks && sniff_image_format(file_bytes) == ImageFormat::kJpeg) {
    // Fast path for scans: a JPEG decoded at half size (DCT scaling) is several times quicker
    // to decode and to search, and an acta's QR code (~10 px per module at 200 dpi) reads just
    // as well. Only a clean single result is taken; anything else goes the full way.
    TL_ASSIGN_OR_RETURN(GrayImage half, decode_image(file_bytes, options.limits, 2));
    if (static_cast<uint64_t>(half.width) * half.height >= kHalfPassMinPixels) {
      TL_ASSIGN_OR_RETURN(auto one, single_payload(zxing_read(half)));
      if (one) return DecodedQr{std::move(*one), "zxing-half"};
    }
  }
  TL_ASSIGN_OR_RETURN(GrayImage image, decode_image(file_bytes, options.limits));
  return decode_qr(image, options);
}

Result<DecodedQr> decode_qr_zbar_only(const GrayImage& image) {
  TL_ASSIGN_OR_RETURN(auto one, single_payload(internal::zbar_read_qr(image)));
  if (!one) return err(ErrorCode::kNotFound, "no QR code found (zbar)");
  return DecodedQr{std::move(*one), "zbar"};
}

}  // namespace tallylog::qr
