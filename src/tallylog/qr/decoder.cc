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
      return err(ErrorCode::kInvalidArgument, "image holds 2 different QR codes ('" + preview(*only) + "' and '" +
                                                  preview(p) + "'); refusing to choose one");
    }
  }
  return only;
}

std::vector<std::string> zxing_read(const GrayImage& image, bool try_harder) {
  std::vector<std::string> out;
  if (image.width <= 0 || image.height <= 0) return out;
  try {
    ZXing::ImageView view(image.pixels.data(), image.width, image.height, ZXing::ImageFormat::Lum);
    ZXing::DecodeHints hints;
    hints.setFormats(ZXing::BarcodeFormat::QRCode).setTryHarder(try_harder).setTryRotate(true).setReturnErrors(false);
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
};

// Pre-processing variants, cheapest and likeliest first. Actas are tall strips (height several
// times the width) with the QR code in the bottom part.
std::vector<Variant> variants_for(const GrayImage& image) {
  std::vector<Variant> v;
  const bool tall = image.height > 2 * image.width;
  struct Region {
    std::string name;
    std::function<GrayImage(const GrayImage&)> cut;
  };
  std::vector<Region> regions;
  if (tall) {
    regions.push_back({"bottom", [](const GrayImage& im) {
                         int top = im.height - std::max(im.height * 35 / 100, im.width * 3 / 2);
                         return crop(im, 0, top, im.width, im.height - top);
                       }});
  }
  regions.push_back({"whole", [](const GrayImage& im) { return im; }});
  for (const auto& region : regions) {
    const auto cut = region.cut;
    const std::string r = region.name;
    if (r != "whole") v.push_back({r, cut});
    v.push_back({r + "-otsu", [cut](const GrayImage& im) { return binarize_otsu(cut(im)); }});
    v.push_back({r + "-local", [cut](const GrayImage& im) {
                   GrayImage c = cut(im);
                   return binarize_local(c, std::max(8, std::min(c.width, c.height) / 40), 8);
                 }});
    v.push_back({r + "-x0.5", [cut](const GrayImage& im) { return scale(cut(im), 0.5); }});
    v.push_back({r + "-x2-otsu", [cut](const GrayImage& im) {
                   GrayImage c = cut(im);
                   if (static_cast<uint64_t>(c.width) * c.height > 8'000'000) return binarize_otsu(c);
                   return binarize_otsu(scale(c, 2.0));
                 }});
    for (double angle : {-4.0, 4.0, -8.0, 8.0}) {
      v.push_back({r + "-rot" + std::to_string(static_cast<int>(angle)),
                   [cut, angle](const GrayImage& im) { return rotate(cut(im), angle); }});
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

  auto attempt = [](const std::vector<std::string>& found, std::string method) -> Result<std::optional<DecodedQr>> {
    TL_ASSIGN_OR_RETURN(auto one, single_payload(found));
    if (!one) return std::optional<DecodedQr>();
    return std::optional<DecodedQr>(DecodedQr{std::move(*one), std::move(method)});
  };

  TL_ASSIGN_OR_RETURN(auto first, attempt(zxing_read(image, true), "zxing"));
  if (first) return std::move(*first);
  TL_ASSIGN_OR_RETURN(auto second, attempt(internal::zbar_read_qr(image), "zbar"));
  if (second) return std::move(*second);

  const auto variants = variants_for(image);
  for (const auto& variant : variants) {
    GrayImage pre = variant.make(image);
    TL_ASSIGN_OR_RETURN(auto z, attempt(zxing_read(pre, true), "zxing:" + variant.name));
    if (z) return std::move(*z);
    TL_ASSIGN_OR_RETURN(auto b, attempt(internal::zbar_read_qr(pre), "zbar:" + variant.name));
    if (b) return std::move(*b);
  }
  return err(ErrorCode::kNotFound, "no readable QR code (tried zxing, zbar and " + std::to_string(variants.size()) +
                                       " pre-processed variants)");
}

Result<DecodedQr> decode_qr_file(std::string_view file_bytes, const DecodeOptions& options) {
  TL_ASSIGN_OR_RETURN(GrayImage image, decode_image(file_bytes, options.limits));
  return decode_qr(image, options);
}

Result<DecodedQr> decode_qr_zbar_only(const GrayImage& image) {
  TL_ASSIGN_OR_RETURN(auto one, single_payload(internal::zbar_read_qr(image)));
  if (!one) return err(ErrorCode::kNotFound, "no QR code found (zbar)");
  return DecodedQr{std::move(*one), "zbar"};
}

}  // namespace tallylog::qr
