#define ZX_USE_UTF8
#include "tallylog/qr/decoder.h"

#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <cmath>
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

// JPEGs whose half-size decode has fewer pixels than this (small or already downscaled images)
// skip the half-size first pass: their modules may be too small after halving.
constexpr uint64_t kHalfPassMinPixels = 500'000;

// Counts the work of one call against DecodeOptions::max_work_pixels and fills DecodeStats.
class Budget {
 public:
  explicit Budget(const DecodeOptions& o) : max_(o.max_work_pixels), stats_(o.stats) {
    if (stats_) *stats_ = DecodeStats{};
  }

  // False (and nothing spent) when `pixels` more would exceed the budget.
  bool spend(uint64_t pixels) {
    if (used_ + pixels > max_) {
      if (stats_) stats_->budget_exhausted = true;
      return false;
    }
    used_ += pixels;
    if (stats_) stats_->work_pixels = used_;
    return true;
  }
  bool spend_engine(const GrayImage& im) {
    if (!spend(pixels(im))) return false;
    if (stats_) ++stats_->engine_runs;
    return true;
  }
  void held(const GrayImage& im) {
    if (stats_) stats_->largest_image_pixels = std::max(stats_->largest_image_pixels, pixels(im));
  }
  uint64_t used() const { return used_; }
  uint64_t max() const { return max_; }

  static uint64_t pixels(const GrayImage& im) {
    return static_cast<uint64_t>(im.width) * static_cast<uint64_t>(im.height);
  }

 private:
  uint64_t max_;
  uint64_t used_ = 0;
  DecodeStats* stats_;
};

Error budget_error(const Budget& b, const std::string& what) {
  return Error{ErrorCode::kResourceExhausted,
               "no QR code found before the work budget of " + std::to_string(b.max() / 1'000'000) +
                   " Mpx per image ran out (" + what + " not tried)"};
}

// Shrinks `im` (when needed) to at most `max_pixels`, keeping the aspect ratio.
GrayImage fit(GrayImage im, uint64_t max_pixels) {
  const uint64_t px = Budget::pixels(im);
  if (px <= max_pixels) return im;
  return scale(im, std::sqrt(static_cast<double>(max_pixels) / static_cast<double>(px)) * 0.999);
}

// Scales `im` up by `factor`, or less so that the result has at most `max_pixels` (down when
// even the original is larger).
GrayImage upscale_within_limit(const GrayImage& im, double factor, uint64_t max_pixels) {
  const double px = static_cast<double>(Budget::pixels(im));
  const double f = std::min(factor, std::sqrt(static_cast<double>(max_pixels) / px) * 0.999);
  return f == 1.0 ? im : scale(im, f);
}

// A region of the image the variants work on: the bottom part of a tall strip, where actas
// print their QR code, or the whole image; at most kMaxVariantPixels. Built once, on first use.
enum class Region { kBottom, kWhole };

GrayImage cut_region(const GrayImage& im, Region r, uint64_t max_pixels) {
  if (r == Region::kWhole) return fit(im, max_pixels);
  int top = im.height - std::max(im.height * 35 / 100, im.width * 3 / 2);
  return fit(crop(im, 0, top, im.width, im.height - top), max_pixels);
}

struct Variant {
  std::string name;
  Region region;
  std::function<GrayImage(const GrayImage&)> make;  // from the region; at most the variant limit
  ZXing::Binarizer binarizer = ZXing::Binarizer::LocalAverage;
};

// Pre-processing variants, likeliest first. Actas are tall strips (height several times the
// width) with the QR code in the bottom part, so that region is tried before the whole image.
// `limit`: the most pixels a variant may have.
std::vector<Variant> variants_for(const GrayImage& image, uint64_t limit) {
  std::vector<std::pair<std::string, Region>> regions;
  if (image.height > 2 * image.width) regions.emplace_back("bottom", Region::kBottom);
  regions.emplace_back("whole", Region::kWhole);
  auto same = [](const GrayImage& im) { return im; };
  std::vector<Variant> v;
  for (const auto& [r, region] : regions) {
    v.push_back({r + "-globalhist", region, same, ZXing::Binarizer::GlobalHistogram});
    if (region == Region::kWhole && regions.size() > 1) {
      // The QR region of a tall strip was already worked hard; on the whole strip only try
      // the cheap global variants, in case the QR code sits elsewhere.
      v.push_back({r + "-otsu", region, [](const GrayImage& im) { return binarize_otsu(im); }});
      v.push_back({r + "-x0.5", region, [](const GrayImage& im) { return scale(im, 0.5); }});
      break;
    }
    if (region != Region::kWhole) v.push_back({r, region, same});
    v.push_back({r + "-x2-sharp", region, [limit](const GrayImage& im) {
                   return sharpen(upscale_within_limit(im, 2.0, limit), 3, 1.5);
                 }});
    v.push_back({r + "-otsu", region, [](const GrayImage& im) { return binarize_otsu(im); }});
    v.push_back({r + "-local", region, [](const GrayImage& im) {
                   return binarize_local(im, std::max(8, std::min(im.width, im.height) / 40), 8);
                 }});
    v.push_back({r + "-x0.5", region, [](const GrayImage& im) { return scale(im, 0.5); }});
    v.push_back({r + "-x3-sharp-otsu", region, [limit](const GrayImage& im) {
                   return binarize_otsu(sharpen(upscale_within_limit(im, 3.0, limit), 4, 2.0));
                 }});
    for (double angle : {-6.0, 6.0}) {
      // A rotated canvas is larger than its input: rotate a copy of at most half the limit.
      v.push_back({r + "-rot" + std::to_string(static_cast<int>(angle)), region,
                   [angle, limit](const GrayImage& im) {
                     return rotate(fit(im, limit / 2), angle);
                   }});
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

namespace {

// The full strategy on an image at most the working resolution. `skip_whole_zxing`: the caller
// already ran zxing on this very image.
Result<DecodedQr> decode_with_budget(const GrayImage& image, const DecodeOptions& options,
                                     Budget& budget, bool skip_whole_zxing) {
  auto attempt = [](const std::vector<std::string>& found,
                    std::string method) -> Result<std::optional<DecodedQr>> {
    TL_ASSIGN_OR_RETURN(auto one, single_payload(found));
    if (!one) return std::optional<DecodedQr>();
    return std::optional<DecodedQr>(DecodedQr{std::move(*one), std::move(method)});
  };

  if (!skip_whole_zxing) {
    if (!budget.spend_engine(image)) return std::unexpected(budget_error(budget, "zxing"));
    TL_ASSIGN_OR_RETURN(auto first, attempt(zxing_read(image), "zxing"));
    if (first) return std::move(*first);
  }
  if (!budget.spend_engine(image)) return std::unexpected(budget_error(budget, "zbar"));
  TL_ASSIGN_OR_RETURN(auto second, attempt(internal::zbar_read_qr(image), "zbar"));
  if (second) return std::move(*second);

  // Variants never exceed the working resolution either (nor kMaxVariantPixels).
  const uint64_t limit =
      std::min(kMaxVariantPixels, std::max<uint64_t>(options.limits.max_decoded_pixels, 1));
  const auto variants = variants_for(image, limit);
  std::optional<GrayImage> regions[2];
  for (size_t i = 0; i < variants.size(); ++i) {
    const Variant& variant = variants[i];
    const std::string left = std::to_string(variants.size() - i) + " of " +
                             std::to_string(variants.size()) + " pre-processed variants";
    auto& region = regions[static_cast<int>(variant.region)];
    if (!region) {
      region = cut_region(image, variant.region, limit);
      budget.held(*region);
      if (!budget.spend(Budget::pixels(*region))) return std::unexpected(budget_error(budget, left));
    }
    GrayImage pre = variant.make(*region);
    budget.held(pre);
    if (!budget.spend(Budget::pixels(pre)) || !budget.spend_engine(pre))
      return std::unexpected(budget_error(budget, left));
    TL_ASSIGN_OR_RETURN(auto z,
                        attempt(zxing_read(pre, variant.binarizer), "zxing:" + variant.name));
    if (z) return std::move(*z);
    if (!budget.spend_engine(pre)) return std::unexpected(budget_error(budget, left));
    TL_ASSIGN_OR_RETURN(auto b, attempt(internal::zbar_read_qr(pre), "zbar:" + variant.name));
    if (b) return std::move(*b);
  }
  return err(ErrorCode::kNotFound, "no readable QR code (tried zxing, zbar and " +
                                       std::to_string(variants.size()) +
                                       " pre-processed variants)");
}

}  // namespace

Result<DecodedQr> decode_qr(const GrayImage& image, const DecodeOptions& options) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height)) {
    return err(ErrorCode::kInvalidArgument, "image has no pixels");
  }
  Budget budget(options);  // the caller's image is not counted as held: it was not built here
  if (!options.fallbacks) {
    if (!budget.spend_engine(image)) return std::unexpected(budget_error(budget, "zxing"));
    return plain_zxing(image);
  }
  const uint64_t cap = std::max<uint64_t>(options.limits.max_decoded_pixels, 1);
  if (Budget::pixels(image) > cap) {
    GrayImage working = fit(image, cap);
    budget.held(working);
    return decode_with_budget(working, options, budget, false);
  }
  return decode_with_budget(image, options, budget, false);
}

Result<DecodedQr> decode_qr_file(std::string_view file_bytes, const DecodeOptions& options) {
  TL_ASSIGN_OR_RETURN(ImageHeader header, read_image_header(file_bytes));
  TL_TRY(check_image_limits(header, options.limits));
  Budget budget(options);
  if (!options.fallbacks) {
    TL_ASSIGN_OR_RETURN(GrayImage image, decode_image(file_bytes, options.limits));
    budget.held(image);
    if (!budget.spend_engine(image)) return std::unexpected(budget_error(budget, "zxing"));
    return plain_zxing(image);
  }
  if (header.format == ImageFormat::kJpeg) {
    // Fast path for scans: a JPEG decoded at half size (DCT scaling) is several times quicker
    // to decode and to search, and an acta's QR code (~10 px per module at 200 dpi) reads just
    // as well. Only a clean single result is taken; anything else goes the full way.
    const uint64_t half_pixels = ((header.width + 1) / 2) * ((header.height + 1) / 2);
    if (half_pixels >= kHalfPassMinPixels) {
      TL_ASSIGN_OR_RETURN(GrayImage half, decode_image(file_bytes, options.limits, half_pixels));
      budget.held(half);
      if (!budget.spend_engine(half)) return std::unexpected(budget_error(budget, "zxing"));
      TL_ASSIGN_OR_RETURN(auto one, single_payload(zxing_read(half)));
      if (one) return DecodedQr{std::move(*one), "zxing-half"};
      // Above twice the working resolution the full decode would give this same image back.
      if (half_pixels >= options.limits.max_decoded_pixels)
        return decode_with_budget(half, options, budget, true);
    }
  }
  TL_ASSIGN_OR_RETURN(GrayImage image, decode_image(file_bytes, options.limits));
  budget.held(image);
  return decode_with_budget(image, options, budget, false);
}

Result<DecodedQr> decode_qr_zbar_only(const GrayImage& image) {
  TL_ASSIGN_OR_RETURN(auto one, single_payload(internal::zbar_read_qr(image)));
  if (!one) return err(ErrorCode::kNotFound, "no QR code found (zbar)");
  return DecodedQr{std::move(*one), "zbar"};
}

}  // namespace tallylog::qr
