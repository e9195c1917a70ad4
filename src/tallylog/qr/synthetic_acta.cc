#include "tallylog/qr/synthetic_acta.h"

#include <qrencode.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "tallylog/base/env.h"
#include "tallylog/ingest/csv.h"

namespace tallylog::qr::testing {

GrayImage make_qr(std::string_view payload, int module_px, int quiet_modules) {
  std::string text(payload);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), &QRcode_free);
  if (!code) throw std::runtime_error("qrencode failed for test payload");
  const int n = code->width, side = (n + 2 * quiet_modules) * module_px;
  GrayImage img;
  img.width = img.height = side;
  img.pixels.assign(static_cast<size_t>(side) * side, 255);
  for (int my = 0; my < n; ++my)
    for (int mx = 0; mx < n; ++mx) {
      if (!(code->data[my * n + mx] & 1)) continue;
      for (int dy = 0; dy < module_px; ++dy)
        for (int dx = 0; dx < module_px; ++dx) {
          int x = (mx + quiet_modules) * module_px + dx, y = (my + quiet_modules) * module_px + dy;
          img.pixels[static_cast<size_t>(y) * side + x] = 0;
        }
    }
  return img;
}

void paste(GrayImage& dst, const GrayImage& src, int x, int y) {
  for (int r = 0; r < src.height; ++r) {
    int dy = y + r;
    if (dy < 0 || dy >= dst.height) continue;
    for (int c = 0; c < src.width; ++c) {
      int dx = x + c;
      if (dx < 0 || dx >= dst.width) continue;
      dst.pixels[static_cast<size_t>(dy) * dst.width + dx] =
          src.pixels[static_cast<size_t>(r) * src.width + c];
    }
  }
}

GrayImage make_acta(std::string_view payload, const ActaLayout& layout) {
  GrayImage img;
  img.width = layout.width;
  img.height = layout.height;
  img.pixels.assign(static_cast<size_t>(img.width) * img.height, 250);  // off-white paper
  GrayImage qr = make_qr(payload, layout.module_px);
  const int qr_x = (img.width - qr.width) / 2;
  const int qr_y = img.height - qr.height - img.height / 40;
  if (layout.text_noise) {
    uint64_t s = layout.seed * 0x9E3779B97F4A7C15ull + 11;
    auto next = [&s](int mod) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      return static_cast<int>(s % static_cast<uint64_t>(mod));
    };
    const int margin = img.width / 16;
    for (int y = margin; y + 14 < qr_y - 10; y += 22) {
      if (y % 198 < 22) {  // a table rule every few lines
        for (int x = margin; x < img.width - margin; ++x)
          for (int t = 0; t < 2; ++t) img.pixels[static_cast<size_t>(y + t) * img.width + x] = 20;
        continue;
      }
      int x = margin;
      while (x < img.width - margin) {
        int word = 8 + next(50);
        for (int c = 0; c < word && x + c < img.width - margin; c += 6) {
          // a "letter": a few dark strokes
          int h = 8 + next(6);
          for (int yy = 0; yy < h; ++yy)
            for (int xx = 0; xx < 4; ++xx)
              if (next(3))
                img.pixels[static_cast<size_t>(y + 14 - h + yy) * img.width + x + c + xx] = 30;
        }
        x += word + 6 + next(10);
      }
    }
  }
  paste(img, qr, qr_x, qr_y);
  return img;
}

std::string ve2024_payload(std::string_view centre, std::string_view table, uint64_t seed) {
  std::string p = std::string(centre) + "." + std::string(table) + ".1.0001!";
  uint64_t s = seed * 2654435761u + 3;
  for (int i = 0; i < 38; ++i) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    int n = i == 0 ? 100 + static_cast<int>(s % 200)
                   : (i == 35 ? 200 + static_cast<int>(s % 150) : static_cast<int>(s % 15));
    p += (i ? "," : "") + std::to_string(n);
  }
  s ^= s << 13;
  return p + "!" + std::to_string(s % 4) + "!0";
}

std::vector<std::pair<std::string, std::string>> read_expected_qr(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  auto text = Env::posix().read_file(join_path(dir, "expected_qr.csv"));
  if (!text) return out;
  ingest::CsvReader reader(*text);
  ingest::CsvRecord record;
  reader.next(record);  // header
  while (reader.next(record)) {
    if (record.error.empty() && record.fields.size() >= 2)
      out.emplace_back(std::move(record.fields[0]), std::move(record.fields[1]));
  }
  return out;
}

}  // namespace tallylog::qr::testing
