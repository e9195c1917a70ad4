#include "tallylog/qr/zbar_reader.h"

#include <zbar.h>

#include <memory>

namespace tallylog::qr::internal {

std::vector<std::string> zbar_read_qr(const GrayImage& image) {
  std::vector<std::string> out;
  if (image.width <= 0 || image.height <= 0) return out;
  std::unique_ptr<zbar::zbar_image_scanner_t, decltype(&zbar::zbar_image_scanner_destroy)> scanner(
      zbar::zbar_image_scanner_create(), &zbar::zbar_image_scanner_destroy);
  std::unique_ptr<zbar::zbar_image_t, decltype(&zbar::zbar_image_destroy)> img(
      zbar::zbar_image_create(), &zbar::zbar_image_destroy);
  if (!scanner || !img) return out;
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE, 1);
  // Keep the payload bytes as encoded: no guessing of character sets.
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_BINARY, 1);
  zbar::zbar_image_set_format(img.get(), zbar_fourcc('Y', '8', '0', '0'));
  zbar::zbar_image_set_size(img.get(), static_cast<unsigned>(image.width),
                            static_cast<unsigned>(image.height));
  // zbar never writes through the data pointer; no cleanup handler: `image` owns the pixels.
  zbar::zbar_image_set_data(img.get(), image.pixels.data(), image.pixels.size(), nullptr);
  if (zbar::zbar_scan_image(scanner.get(), img.get()) <= 0) return out;
  for (const zbar::zbar_symbol_t* sym = zbar::zbar_image_first_symbol(img.get()); sym;
       sym = zbar::zbar_symbol_next(sym)) {
    if (zbar::zbar_symbol_get_type(sym) != zbar::ZBAR_QRCODE) continue;
    out.emplace_back(zbar::zbar_symbol_get_data(sym), zbar::zbar_symbol_get_data_length(sym));
  }
  return out;
}

}  // namespace tallylog::qr::internal
