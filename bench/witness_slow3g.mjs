// The witness page (web/src/witness/) on an emulated slow 3G phone, as bench/citizen_slow3g.mjs
// measures the results page: Debian chromium via playwright-core, 400 kbit/s down and up, 400 ms
// round trip, CPU 4x, 390x844, an empty cache. Measures, from navigation start:
//   interactive: the enrolment form ready (body[data-ready]; the page needs nothing else to enrol);
//   decoder: fetching the QR decoder (zxing-cpp .wasm), which the page starts in the background
//            once the phone is enrolled, timed from inside the throttled page.
// Bytes: every response of the first view on the wire (uncompressed, as `tallylog serve` sends
// it) and gzip -9 of each body; the same for the .wasm.
//   node bench/witness_slow3g.mjs <base url> <wasm path under the base, e.g. /assets/zxing_reader-….wasm> [runs=3]
import { gzipSync } from 'node:zlib';
import { slowPhone } from './lib/slow_phone.mjs';

const [base, wasmPath, runsArg = '3'] = process.argv.slice(2);
const runs = Number(runsArg);

async function once() {
  const phone = await slowPhone();
  try {
    const { page } = phone;
    const done = phone.responses;
    const t0 = Date.now();
    await page.goto(base + '/witness.html', { waitUntil: 'commit' });
    await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
    const interactive = Date.now() - t0;
    const firstView = [...done];
    const decoder = await page.evaluate(async (p) => {
      const t = performance.now();
      const r = await fetch(p, { cache: 'no-store' });
      await r.arrayBuffer();
      return Math.round(performance.now() - t);
    }, wasmPath);
    return { interactive, decoder, firstView };
  } finally {
    await phone.close();
  }
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const med = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
const kb = (b) => (b / 1000).toFixed(1) + ' kB';
let wire = 0, gz = 0;
for (const r of results.at(-1).firstView) {
  const body = Buffer.from(await (await fetch(r.url)).arrayBuffer());
  wire += r.bytes; gz += gzipSync(body, { level: 9 }).length;
}
const wasm = Buffer.from(await (await fetch(base + wasmPath)).arrayBuffer());
console.log(`witness page, slow 3G (400 kbit/s, 400 ms RTT, CPU 4x), empty cache, ${runs} runs, median:`);
console.log(`  interactive (enrolment form ready): ${med('interactive')} ms   QR decoder fetched (after enrolment, in the background): ${med('decoder')} ms`);
console.log(`  first view: ${results.at(-1).firstView.length} responses, ${kb(wire)} as served | ${kb(gz)} gzip -9`);
console.log(`  decoder .wasm: ${kb(wasm.length)} | ${kb(gzipSync(wasm, { level: 9 }).length)} gzip -9`);
