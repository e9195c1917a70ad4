#include "tallylog/qr/preprocess.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

namespace tallylog::qr {
namespace {

GrayImage blank(int w, int h, uint8_t value) {
  GrayImage out;
  out.width = std::max(1, w);
  out.height = std::max(1, h);
  out.pixels.assign(static_cast<size_t>(out.width) * out.height, value);
  return out;
}

uint8_t clamp_u8(double v) { return static_cast<uint8_t>(std::clamp(v + 0.5, 0.0, 255.0)); }

// Bilinear sample; outside the image reads as white paper.
double sample(const GrayImage& in, double x, double y) {
  int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  double fx = x - x0, fy = y - y0;
  auto px = [&](int xx, int yy) -> double {
    if (xx < 0 || yy < 0 || xx >= in.width || yy >= in.height) return 255.0;
    return in.at(xx, yy);
  };
  return (px(x0, y0) * (1 - fx) + px(x0 + 1, y0) * fx) * (1 - fy) +
         (px(x0, y0 + 1) * (1 - fx) + px(x0 + 1, y0 + 1) * fx) * fy;
}

}  // namespace

GrayImage crop(const GrayImage& in, int x, int y, int w, int h) {
  int x0 = std::clamp(x, 0, in.width), y0 = std::clamp(y, 0, in.height);
  int x1 = std::clamp(x + std::max(w, 0), 0, in.width),
      y1 = std::clamp(y + std::max(h, 0), 0, in.height);
  if (x1 <= x0 || y1 <= y0) return blank(1, 1, 255);
  GrayImage out = blank(x1 - x0, y1 - y0, 255);
  for (int r = 0; r < out.height; ++r) {
    std::copy_n(in.pixels.data() + static_cast<size_t>(y0 + r) * in.width + x0, out.width,
                out.pixels.data() + static_cast<size_t>(r) * out.width);
  }
  return out;
}

GrayImage scale(const GrayImage& in, double factor) {
  if (!(factor > 0) || in.pixels.empty()) return in;
  int w = std::max(1, static_cast<int>(std::lround(in.width * factor)));
  int h = std::max(1, static_cast<int>(std::lround(in.height * factor)));
  GrayImage out = blank(w, h, 255);
  if (factor <= 0.5) {
    // Area average: each output pixel is the mean of the input block it covers. Column spans
    // are computed once; each block row is summed into one accumulator row.
    std::vector<int> x0(static_cast<size_t>(w)), x1(static_cast<size_t>(w));
    for (int x = 0; x < w; ++x) {
      x0[x] = std::min(in.width - 1, static_cast<int>(x / factor));
      x1[x] = std::max(x0[x] + 1, std::min(in.width, static_cast<int>((x + 1) / factor)));
    }
    std::vector<uint32_t> sums(static_cast<size_t>(w));
    for (int y = 0; y < h; ++y) {
      const int sy0 = std::min(in.height - 1, static_cast<int>(y / factor));
      const int sy1 = std::max(sy0 + 1, std::min(in.height, static_cast<int>((y + 1) / factor)));
      std::fill(sums.begin(), sums.end(), 0);
      for (int yy = sy0; yy < sy1; ++yy) {
        const uint8_t* row = in.pixels.data() + static_cast<size_t>(yy) * in.width;
        for (int x = 0; x < w; ++x)
          for (int xx = x0[x]; xx < x1[x]; ++xx) sums[x] += row[xx];
      }
      uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * w;
      for (int x = 0; x < w; ++x) {
        const uint32_t n = static_cast<uint32_t>((x1[x] - x0[x]) * (sy1 - sy0));
        dst[x] = static_cast<uint8_t>(sums[x] / n);
      }
    }
    return out;
  }
  // Bilinear, separable: the source column pair and weight of every output column once.
  std::vector<int> cx(static_cast<size_t>(w));
  std::vector<float> fx(static_cast<size_t>(w));
  for (int x = 0; x < w; ++x) {
    double sx = std::clamp((x + 0.5) / factor - 0.5, 0.0, in.width - 1.0);
    cx[x] = std::min(static_cast<int>(sx), std::max(in.width - 2, 0));
    fx[x] = static_cast<float>(sx - cx[x]);
  }
  const int x_next = in.width > 1 ? 1 : 0;
  for (int y = 0; y < h; ++y) {
    double sy = std::clamp((y + 0.5) / factor - 0.5, 0.0, in.height - 1.0);
    const int y0 = std::min(static_cast<int>(sy), std::max(in.height - 2, 0));
    const int y1 = in.height > 1 ? y0 + 1 : y0;
    const float wy = static_cast<float>(sy - y0);
    const uint8_t* r0 = in.pixels.data() + static_cast<size_t>(y0) * in.width;
    const uint8_t* r1 = in.pixels.data() + static_cast<size_t>(y1) * in.width;
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x) {
      const int c = cx[x];
      const float a = r0[c] + (r0[c + x_next] - r0[c]) * fx[x];
      const float b = r1[c] + (r1[c + x_next] - r1[c]) * fx[x];
      dst[x] = static_cast<uint8_t>(std::clamp(a + (b - a) * wy + 0.5f, 0.0f, 255.0f));
    }
  }
  return out;
}

GrayImage binarize_otsu(const GrayImage& in) {
  std::array<uint64_t, 256> hist{};
  for (uint8_t p : in.pixels) ++hist[p];
  const double total = static_cast<double>(in.pixels.size());
  double sum_all = 0;
  for (int i = 0; i < 256; ++i) sum_all += i * static_cast<double>(hist[i]);
  double sum_b = 0, w_b = 0, best = -1;
  int threshold = 127;
  for (int t = 0; t < 256; ++t) {
    w_b += static_cast<double>(hist[t]);
    if (w_b == 0) continue;
    double w_f = total - w_b;
    if (w_f == 0) break;
    sum_b += t * static_cast<double>(hist[t]);
    double m_b = sum_b / w_b, m_f = (sum_all - sum_b) / w_f;
    double between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
    if (between > best) best = between, threshold = t;
  }
  GrayImage out = in;
  for (auto& p : out.pixels) p = p <= threshold ? 0 : 255;
  return out;
}

GrayImage binarize_local(const GrayImage& in, int radius, int offset) {
  const int w = in.width, h = in.height;
  radius = std::max(1, radius);
  // Summed-area table for O(1) window means; 32-bit sums while they cannot overflow.
  auto run = [&]<typename Sum>(Sum) {
    std::vector<Sum> sat(static_cast<size_t>(w + 1) * (h + 1), 0);
    for (int y = 0; y < h; ++y) {
      Sum row = 0;
      const uint8_t* src = in.pixels.data() + static_cast<size_t>(y) * w;
      Sum* above = sat.data() + static_cast<size_t>(y) * (w + 1) + 1;
      Sum* here = above + (w + 1);
      for (int x = 0; x < w; ++x) {
        row += src[x];
        here[x] = above[x] + row;
      }
    }
    GrayImage out = in;
    for (int y = 0; y < h; ++y) {
      const int y0 = std::max(0, y - radius), y1 = std::min(h, y + radius + 1);
      const Sum* top = sat.data() + static_cast<size_t>(y0) * (w + 1);
      const Sum* bottom = sat.data() + static_cast<size_t>(y1) * (w + 1);
      const uint8_t* src = in.pixels.data() + static_cast<size_t>(y) * w;
      uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * w;
      for (int x = 0; x < w; ++x) {
        const int x0 = std::max(0, x - radius), x1 = std::min(w, x + radius + 1);
        const Sum s = bottom[x1] - top[x1] - bottom[x0] + top[x0];
        const int64_t area = static_cast<int64_t>(x1 - x0) * (y1 - y0);
        // pixel < mean - offset, in integers: pixel * area < s - offset * area.
        dst[x] = static_cast<int64_t>(src[x]) * area < static_cast<int64_t>(s) - offset * area ? 0 : 255;
      }
    }
    return out;
  };
  if (static_cast<uint64_t>(w) * static_cast<uint64_t>(h) * 255u < (uint64_t{1} << 32)) return run(uint32_t{});
  return run(uint64_t{});
}

GrayImage rotate(const GrayImage& in, double degrees) {
  double d = std::fmod(degrees, 360.0);
  if (d < 0) d += 360.0;
  const int w = in.width, h = in.height;
  if (d == 0) return in;
  if (d == 90 || d == 180 || d == 270) {
    GrayImage out = blank(d == 180 ? w : h, d == 180 ? h : w, 255);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        int nx, ny;
        if (d == 90)
          nx = y, ny = w - 1 - x;  // counter-clockwise
        else if (d == 180)
          nx = w - 1 - x, ny = h - 1 - y;
        else
          nx = h - 1 - y, ny = x;
        out.pixels[static_cast<size_t>(ny) * out.width + nx] = in.at(x, y);
      }
    }
    return out;
  }
  const double rad = d * std::numbers::pi / 180.0, c = std::cos(rad), s = std::sin(rad);
  int ow = static_cast<int>(std::ceil(std::abs(w * c) + std::abs(h * s)));
  int oh = static_cast<int>(std::ceil(std::abs(w * s) + std::abs(h * c)));
  GrayImage out = blank(ow, oh, 255);
  const double icx = (w - 1) / 2.0, icy = (h - 1) / 2.0, ocx = (ow - 1) / 2.0, ocy = (oh - 1) / 2.0;
  for (int y = 0; y < oh; ++y) {
    for (int x = 0; x < ow; ++x) {
      // Inverse map (image y axis points down, so counter-clockwise on screen flips the sign).
      double dx = x - ocx, dy = y - ocy;
      double sx = c * dx - s * dy + icx, sy = s * dx + c * dy + icy;
      out.pixels[static_cast<size_t>(y) * ow + x] = clamp_u8(sample(in, sx, sy));
    }
  }
  return out;
}

GrayImage box_blur(const GrayImage& in, int radius) {
  if (radius <= 0) return in;
  const int w = in.width, h = in.height;
  GrayImage tmp = in, out = in;
  // Running sums: O(1) per pixel whatever the radius. Windows are clipped at the edges.
  for (int y = 0; y < h; ++y) {
    const uint8_t* src = in.pixels.data() + static_cast<size_t>(y) * w;
    uint8_t* dst = tmp.pixels.data() + static_cast<size_t>(y) * w;
    int sum = 0;
    for (int k = 0; k <= std::min(w - 1, radius); ++k) sum += src[k];
    for (int x = 0; x < w; ++x) {
      const int lo = std::max(0, x - radius), hi = std::min(w - 1, x + radius);
      dst[x] = static_cast<uint8_t>(sum / (hi - lo + 1));
      if (x + radius + 1 < w) sum += src[x + radius + 1];
      if (x - radius >= 0) sum -= src[x - radius];
    }
  }
  std::vector<int> sums(static_cast<size_t>(w), 0);
  for (int k = 0; k <= std::min(h - 1, radius); ++k)
    for (int x = 0; x < w; ++x) sums[x] += tmp.pixels[static_cast<size_t>(k) * w + x];
  for (int y = 0; y < h; ++y) {
    const int lo = std::max(0, y - radius), hi = std::min(h - 1, y + radius);
    const int n = hi - lo + 1;
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * w;
    for (int x = 0; x < w; ++x) dst[x] = static_cast<uint8_t>(sums[x] / n);
    if (y + radius + 1 < h) {
      const uint8_t* add = tmp.pixels.data() + static_cast<size_t>(y + radius + 1) * w;
      for (int x = 0; x < w; ++x) sums[x] += add[x];
    }
    if (y - radius >= 0) {
      const uint8_t* sub = tmp.pixels.data() + static_cast<size_t>(y - radius) * w;
      for (int x = 0; x < w; ++x) sums[x] -= sub[x];
    }
  }
  return out;
}

GrayImage sharpen(const GrayImage& in, int radius, double amount) {
  GrayImage blurred = box_blur(in, radius);
  GrayImage out = in;
  for (size_t i = 0; i < out.pixels.size(); ++i) {
    out.pixels[i] = clamp_u8(in.pixels[i] + amount * (in.pixels[i] - blurred.pixels[i]));
  }
  return out;
}

GrayImage add_noise(const GrayImage& in, int amplitude, uint64_t seed) {
  GrayImage out = in;
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& p : out.pixels) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;  // xorshift64
    int delta = static_cast<int>(state % static_cast<uint64_t>(2 * amplitude + 1)) - amplitude;
    p = static_cast<uint8_t>(std::clamp(p + delta, 0, 255));
  }
  return out;
}

}  // namespace tallylog::qr
