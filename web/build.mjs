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

// The static site's search (src/search.js): a module of its own that static.js imports on the
// first search only, so the first view does not carry it (a live server answers the search).
const searchBuild = await esbuild.build({
  entryPoints: [join(here, 'src/search.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const searchJs = basename(Object.keys(searchBuild.metafile.outputs).find((o) => o.endsWith('.js')));

const result = await esbuild.build({
  entryPoints: [join(here, 'src/main.js'), join(here, 'src/style.css')],
  bundle: true,
  define: { __SEARCH_JS_URL__: JSON.stringify(`/assets/${searchJs}`) },
  external: ['/assets/*'],
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

let js = '', css = '';
for (const [out, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  if (out.endsWith('.js')) js = basename(out);
  if (out.endsWith('.css')) css = basename(out);
}
// The map's shapes (geo.mjs): Venezuela's states, the bundled election's country.
const geo = JSON.stringify(admin1Svg({ iso: 'VE' }));
const geoName = `admin1-VE-${createHash('sha256').update(geo).digest('hex').slice(0, 8).toUpperCase()}.json`;
writeFileSync(join(dist, 'assets', geoName), geo);
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%MAP%', `/assets/${geoName}`)
  .replace('%CSS%', `/assets/${css}`)
  .replace('%JS%', `/assets/${js}`);
writeFileSync(join(dist, 'index.html'), html);
console.log(`web: built dist/index.html, assets/${js}, assets/${css}, assets/${geoName}, assets/${searchJs}`);

// The witness page (web/src/witness/): its own entry and its own HTML, and zxing-cpp's reader
// .wasm copied from the npm package under a content hash (the page's locateFile points at it).
const wasmSrc = join(here, 'node_modules/zxing-wasm/dist/reader/zxing_reader.wasm');
const wasmBytes = readFileSync(wasmSrc);
const wasmName = `zxing_reader-${createHash('sha256').update(wasmBytes).digest('hex').slice(0, 12)}.wasm`;
writeFileSync(join(dist, 'assets', wasmName), wasmBytes);
const witness = await esbuild.build({
  entryPoints: [join(here, 'src/witness/witness.js'), join(here, 'src/witness/witness.css')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  define: { __ZXING_WASM_URL__: JSON.stringify(`/assets/${wasmName}`) },
  metafile: true,
  logLevel: 'warning',
});
let wjs = '', wcss = '';
for (const [out, meta] of Object.entries(witness.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  if (out.endsWith('.js')) wjs = basename(out);
  if (out.endsWith('.css')) wcss = basename(out);
}
writeFileSync(join(dist, 'witness.html'), readFileSync(join(here, 'src/witness/witness.html'), 'utf8')
  .replace('%CSS%', `/assets/${wcss}`)
  .replace('%JS%', `/assets/${wjs}`));
console.log(`web: built dist/witness.html, assets/${wjs}, assets/${wcss}, assets/${wasmName}`);
