// Bundles the page into dist/: dist/index.html plus content-hashed assets under dist/assets/
// (served as immutable by `tallylog serve`). No CDN, no network at run time.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { admin1Svg } from './geo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

// Bundles `entries` (JS and CSS) into dist/assets/ under content hashes; returns the names of
// the JS and CSS outputs. `options` adds esbuild options (define, external).
async function bundle(entries, options = {}) {
  const result = await esbuild.build({
    entryPoints: entries.map((e) => join(here, e)),
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    outdir: join(dist, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    ...options,
  });
  const out = { js: '', css: '' };
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    if (file.endsWith('.js')) out.js = basename(file);
    if (file.endsWith('.css')) out.css = basename(file);
  }
  return out;
}

// Writes `bytes` to dist/assets/<prefix>-<hash><ext> and returns that name.
function hashedAsset(prefix, bytes, ext, hashLength, upper = false) {
  let hash = createHash('sha256').update(bytes).digest('hex').slice(0, hashLength);
  if (upper) hash = hash.toUpperCase();
  const name = `${prefix}-${hash}${ext}`;
  writeFileSync(join(dist, 'assets', name), bytes);
  return name;
}

// Fills an HTML template's %NAME% placeholders and writes it to dist/.
function page(template, out, values) {
  let html = readFileSync(join(here, template), 'utf8');
  for (const [k, v] of Object.entries(values)) html = html.replace(`%${k}%`, v);
  writeFileSync(join(dist, out), html);
}

// The static site's search (src/search.js): a module of its own that static.js imports on the
// first search only, so the first view does not carry it (a live server answers the search).
const searchJs = (await bundle(['src/search.js'])).js;

const { js, css } = await bundle(['src/main.js', 'src/style.css'], {
  define: { __SEARCH_JS_URL__: JSON.stringify(`/assets/${searchJs}`) },
  external: ['/assets/*'],
});
// The map's shapes (geo.mjs): Venezuela's states, the bundled election's country.
const geoName = hashedAsset('admin1-VE', JSON.stringify(admin1Svg({ iso: 'VE' })), '.json', 8, true);
page('src/index.html', 'index.html', { MAP: `/assets/${geoName}`, CSS: `/assets/${css}`, JS: `/assets/${js}` });
console.log(`web: built dist/index.html, assets/${js}, assets/${css}, assets/${geoName}, assets/${searchJs}`);

// The witness page (web/src/witness/): its own entry and its own HTML, and zxing-cpp's reader
// .wasm copied from the npm package under a content hash (the page's locateFile points at it).
const wasmName = hashedAsset('zxing_reader',
  readFileSync(join(here, 'node_modules/zxing-wasm/dist/reader/zxing_reader.wasm')), '.wasm', 12);
const witness = await bundle(['src/witness/witness.js', 'src/witness/witness.css'], {
  define: { __ZXING_WASM_URL__: JSON.stringify(`/assets/${wasmName}`) },
});
page('src/witness/witness.html', 'witness.html', { CSS: `/assets/${witness.css}`, JS: `/assets/${witness.js}` });
console.log(`web: built dist/witness.html, assets/${witness.js}, assets/${witness.css}, assets/${wasmName}`);
