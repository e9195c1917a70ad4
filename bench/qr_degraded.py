#!/usr/bin/python3
# Generates the degraded QR image set of bench/qr_degraded.sh, deterministically (fixed seed),
# at benchmark time: nothing generated is committed.
#
#   /usr/bin/python3 bench/qr_degraded.py <out dir> [seed]
#
# Sources (each with its exact expected payload):
#   - the 5 real acta QR crops of tests/fixtures/qr/actas (real print, blur, paper, JPEG);
#   - the same 5 payloads plus the 2 of tests/fixtures/qr/expected_qr.csv rendered by Debian's
#     `qrencode` (level M, 8 px per module, the module size of the real crops) on grey, noisy paper.
# Each source is written once undegraded ("none") and once per kind x strength:
#   blur       Gaussian blur, radius 1.5 / 2.5 / 3.5 px
#   rotation   turned by 10 / 30 / 45 degrees (plus up to 2 degrees of jitter), white fill
#   perspective one side of the code shrunk to 85 / 70 / 55 % of its length (a tilted camera)
#   jpeg       recompressed at JPEG quality 20 / 10 / 5
#   lowlight   brightness x 0.35 / 0.2 / 0.1, contrast halved, plus sensor noise (sigma 4 / 6 / 8)
#   occlusion  a dark band across 8 / 15 / 25 % of the code's area (a fold, a thumb), never on
#              the three finder patterns
# 12 sources x (1 + 6 kinds x 3 strengths) = 228 images. Writes <out dir>/expected.tsv with one
# row per image: file, kind, strength (0 = none, 1..3), source, payload.
# Needs Debian python3-pil, python3-numpy and qrencode (scripts/install-deps.sh with
# TALLYLOG_WITH_BENCH_TOOLS=1). Run with /usr/bin/python3 (Debian's, which has those modules).
import csv
import io
import os
import random
import subprocess
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CROPS = os.path.join(ROOT, "tests/fixtures/qr/actas")
SYNTH = os.path.join(ROOT, "tests/fixtures/qr")

KINDS = {
    "blur": [1.5, 2.5, 3.5],
    "rotation": [10, 30, 45],
    "perspective": [0.85, 0.70, 0.55],
    "jpeg": [20, 10, 5],
    "lowlight": [(0.35, 4), (0.2, 6), (0.1, 8)],
    "occlusion": [0.08, 0.15, 0.25],
}


def read_expected(path):
    with open(path, newline="") as f:
        return [(r["file"], r["qr_payload"]) for r in csv.DictReader(f)]


def rendered(payload, rng):
    """The payload as a QR code by qrencode, on grey paper with noise, like a flat scan."""
    png = subprocess.run(["qrencode", "-l", "M", "-s", "8", "-m", "4", "-o", "-", payload],
                         check=True, capture_output=True).stdout
    code = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA").convert("L"), dtype=np.float32)
    paper = 225 + rng.normal(0, 6, code.shape)
    ink = 40 + rng.normal(0, 10, code.shape)
    img = np.where(code < 128, ink, paper)
    pad = 24
    canvas = 225 + rng.normal(0, 6, (img.shape[0] + 2 * pad, img.shape[1] + 2 * pad))
    canvas[pad:pad + img.shape[0], pad:pad + img.shape[1]] = img
    out = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8), "L")
    return out.filter(ImageFilter.GaussianBlur(0.6))


def perspective(img, keep, rng):
    w, h = img.size
    side = rng.randrange(4)
    d = (1 - keep) / 2
    # Output quad corners (UL, UR, LR, LL) in the source: one side shrunk about its middle.
    quad = [(0, 0), (w, 0), (w, h), (0, h)]
    if side == 0:    # top edge shorter
        quad[0], quad[1] = (w * d, 0), (w * (1 - d), 0)
    elif side == 1:  # right edge shorter
        quad[1], quad[2] = (w, h * d), (w, h * (1 - d))
    elif side == 2:  # bottom edge shorter
        quad[2], quad[3] = (w * (1 - d), h), (w * d, h)
    else:            # left edge shorter
        quad[3], quad[0] = (0, h * (1 - d)), (0, h * d)
    # PIL's QUAD maps the given source quad onto the output rectangle; we want the opposite (the
    # code seen in perspective), so solve the projective transform from output to source.
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    coeffs = _perspective_coeffs(quad, src)
    return img.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=255)


def _perspective_coeffs(out_pts, in_pts):
    a = []
    b = []
    for (x, y), (u, v) in zip(out_pts, in_pts):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b += [u, v]
    return np.linalg.solve(np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)).tolist()


def occlude(img, frac, rng):
    """A dark band across the code, off the finder patterns (top-left, top-right, bottom-left)."""
    w, h = img.size
    out = img.copy()
    draw = ImageDraw.Draw(out)
    # The code fills roughly the middle of the crop; finders sit in its corners. A horizontal or
    # vertical band through the centre third misses the three finders.
    area = frac * w * h
    if rng.random() < 0.5:
        bh = area / w
        y0 = h / 2 - bh / 2 + rng.uniform(-0.05, 0.05) * h
        draw.rectangle([0, y0, w, y0 + bh], fill=int(rng.uniform(20, 60)))
    else:
        bw = area / h
        x0 = w / 2 - bw / 2 + rng.uniform(-0.05, 0.05) * w
        draw.rectangle([x0, 0, x0 + bw, h], fill=int(rng.uniform(20, 60)))
    return out


def degrade(img, kind, level, rng):
    if kind == "blur":
        return img.filter(ImageFilter.GaussianBlur(level)), "png"
    if kind == "rotation":
        angle = level + rng.uniform(-2, 2)
        if rng.random() < 0.5:
            angle = -angle
        return img.rotate(angle, Image.BICUBIC, expand=True, fillcolor=255), "png"
    if kind == "perspective":
        return perspective(img, level, rng), "png"
    if kind == "jpeg":
        return img, ("jpg", level)
    if kind == "lowlight":
        factor, sigma = level
        dark = ImageEnhance.Contrast(ImageEnhance.Brightness(img).enhance(factor)).enhance(0.5)
        arr = np.asarray(dark, dtype=np.float32) + rng_np(rng).normal(0, sigma, (img.size[1], img.size[0]))
        return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L"), "png"
    if kind == "occlusion":
        return occlude(img, level, rng), "png"
    raise ValueError(kind)


def rng_np(rng):
    return np.random.default_rng(rng.randrange(2**32))


def save(img, path, fmt):
    if fmt == "png":
        img.save(path + ".png")
        return path + ".png"
    img.save(path + ".jpg", quality=fmt[1])
    return path + ".jpg"


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    sources = []
    for file, payload in read_expected(os.path.join(CROPS, "expected_qr.csv")):
        sources.append(("crop-" + os.path.splitext(file)[0], Image.open(os.path.join(CROPS, file)).convert("L"), payload))
    payloads = [p for _, p in read_expected(os.path.join(CROPS, "expected_qr.csv"))]
    payloads += [p for f, p in read_expected(os.path.join(SYNTH, "expected_qr.csv")) if not f.startswith("counts-")]
    for i, payload in enumerate(payloads):
        sources.append((f"qrencode-{i}", rendered(payload, rng_np(rng)), payload))
    rows = []
    for name, img, payload in sources:
        path = save(img, os.path.join(out, f"{name}.none"), "png")
        rows.append((os.path.basename(path), "none", 0, name, payload))
        for kind, levels in KINDS.items():
            for s, level in enumerate(levels, 1):
                d, fmt = degrade(img, kind, level, rng)
                path = save(d, os.path.join(out, f"{name}.{kind}{s}"), fmt)
                rows.append((os.path.basename(path), kind, s, name, payload))
    with open(os.path.join(out, "expected.tsv"), "w") as f:
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")
    print(f"{len(rows)} images from {len(sources)} sources in {out} (seed {seed})", file=sys.stderr)


if __name__ == "__main__":
    main()
