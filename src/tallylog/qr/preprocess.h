// Pure pixel operations on GrayImage used by the QR decoder's fallbacks (crop to the QR region,
// rescale, binarise, rotate) and by tests that degrade synthetic images (blur, noise). Every
// function returns a new image and never fails: out-of-range arguments are clamped. Thread-safe.
#pragma once

#include <cstdint>

#include "tallylog/qr/image.h"

namespace tallylog::qr {

// The rectangle [x, x+w) x [y, y+h), clamped to the image; an empty rectangle gives a 1x1 image.
GrayImage crop(const GrayImage& in, int x, int y, int w, int h);

// Bilinear (area-averaging when shrinking by 2 or more) resize by `factor` (> 0).
GrayImage scale(const GrayImage& in, double factor);

// Global Otsu threshold: every pixel becomes 0 or 255.
GrayImage binarize_otsu(const GrayImage& in);

// Local-mean threshold over a (2*radius+1)^2 window, robust to uneven lighting in photos.
GrayImage binarize_local(const GrayImage& in, int radius, int offset);

// Rotation about the centre by `degrees` counter-clockwise. Multiples of 90 are exact
// (dimensions swap for 90/270); other angles are bilinear on a canvas large enough to hold
// the whole image, background white.
GrayImage rotate(const GrayImage& in, double degrees);

// Unsharp mask: in + amount * (in - box_blur(in, radius)), clamped. Restores edges softened by
// downscaling or defocus before binarisation.
GrayImage sharpen(const GrayImage& in, int radius, double amount);

// Box blur with the given radius (tests use it to soften edges like a defocused phone photo).
GrayImage box_blur(const GrayImage& in, int radius);

// Adds uniform noise in [-amplitude, amplitude] from a deterministic generator seeded by `seed`.
GrayImage add_noise(const GrayImage& in, int amplitude, uint64_t seed);

}  // namespace tallylog::qr
