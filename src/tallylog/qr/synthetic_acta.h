// Test and benchmark helper (library tallylog_qr_synthetic, never linked into the binary):
// acta-like images generated with libqrencode so QR tests need no real, personal data.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tallylog/qr/image.h"

namespace tallylog::qr::testing {

// A QR symbol (error correction level M) with `quiet_modules` of white border,
// `module_px` pixels per module.
GrayImage make_qr(std::string_view payload, int module_px, int quiet_modules = 4);

// Copies `src` into `dst` with its top-left corner at (x, y), clipped.
void paste(GrayImage& dst, const GrayImage& src, int x, int y);

struct ActaLayout {
  int width = 640;
  int height = 3200;
  int module_px = 4;
  bool text_noise = true;  // rows of dark word-like blocks and table lines above the QR
  uint64_t seed = 1;
};

// A tall white strip with text-like marks and the QR near the bottom, like a scanned acta.
GrayImage make_acta(std::string_view payload, const ActaLayout& layout = {});

// A valid ve2024-acta payload for station `centre`.`table` whose counts derive from `seed`.
std::string ve2024_payload(std::string_view centre = "240111018", std::string_view table = "01",
                           uint64_t seed = 7);

// The rows of DIR/expected_qr.csv (file,"payload"; payloads contain commas, so they are quoted),
// read with ingest::CsvReader, header skipped, malformed rows left out. Empty when the file is
// missing.
std::vector<std::pair<std::string, std::string>> read_expected_qr(const std::string& dir);

}  // namespace tallylog::qr::testing
