// Page weight and time-to-interactive of the results page's first view on an emulated slow 3G
// phone (issue 14.4): Debian chromium via playwright-core, Chrome DevTools Protocol
// Network.emulateNetworkConditions (400 kbit/s down and up, 400 ms round trip) and
// Emulation.setCPUThrottlingRate (4x), a 390x844 viewport, an empty cache.
// Measures, from navigation start (wall clock in this script):
//   interactive: the national view rendered (#app[data-ready]) with the search box in place;
//   map: the map's shapes drawn;
//   search: typing "soublette" until the result list shows it (one /api/v1/search round trip).
// Bytes: every response's bytes on the wire (Network.loadingFinished encodedDataLength: headers +
// body, as `tallylog serve` sends it, uncompressed), by kind; and what gzip -9 makes of each body
// (as behind a compressing reverse proxy).
//   node bench/citizen_slow3g.mjs <base url> [runs=3]
import { gzipSync } from 'node:zlib';
import { slowPhone } from './lib/slow_phone.mjs';

const [base, runsArg = '3'] = process.argv.slice(2);
const runs = Number(runsArg);

const kindOf = (url, type) => {
  const p = new URL(url).pathname;
  if (p.endsWith('.js')) return 'js';
  if (p.endsWith('.css')) return 'css';
  if (p.startsWith('/assets/admin1-')) return 'map shapes';
  if (p.startsWith('/api/') || p.startsWith('/log/')) return 'api';
  return type === 'Document' ? 'html' : 'other';
};

async function once() {
  const phone = await slowPhone();
  try {
    const { page } = phone;
    const done = phone.responses;
    const t0 = Date.now();
    await page.goto(base + '/', { waitUntil: 'commit' });
    await page.waitForSelector('#app[data-ready="true"]', { timeout: 120000 });
    await page.waitForSelector('[data-testid="search"]', { timeout: 120000 });
    const interactive = Date.now() - t0;
    await page.waitForSelector('[data-testid="map"] path[data-code]', { timeout: 120000 });
    const map = Date.now() - t0;
    const firstView = [...done];
    const t1 = Date.now();
    await page.fill('[data-testid="search"]', 'soublette');
    await page.waitForFunction(() => document.querySelector('[data-testid="search-results"]').dataset.q === 'soublette', null, { timeout: 120000 });
    const search = Date.now() - t1 - 200;  // less the page's 200 ms typing pause
    return { interactive, map, search, firstView };
  } finally {
    await phone.close();
  }
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const med = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
// Bytes of the first view (the last run's), by kind, with gzip -9 of each body fetched again.
const byKind = {};
for (const r of results.at(-1).firstView) {
  const body = Buffer.from(await (await fetch(r.url)).arrayBuffer());
  const k = kindOf(r.url, r.type);
  byKind[k] = byKind[k] || { n: 0, wire: 0, gzip: 0 };
  byKind[k].n++; byKind[k].wire += r.bytes; byKind[k].gzip += gzipSync(body, { level: 9 }).length;
}
const kb = (b) => (b / 1000).toFixed(1) + ' kB';
console.log(`slow 3G (400 kbit/s, 400 ms RTT, CPU 4x), empty cache, ${runs} runs, median:`);
console.log(`  interactive (national view + search box): ${med('interactive')} ms   map drawn: ${med('map')} ms   search "soublette" answered: ${med('search')} ms`);
console.log('  first view bytes (as served, headers included | gzip -9 of the bodies):');
let wire = 0, gz = 0, budget = 0;
for (const [k, v] of Object.entries(byKind).sort()) {
  console.log(`    ${k.padEnd(11)} ${String(v.n).padStart(2)} responses  ${kb(v.wire).padStart(9)} | ${kb(v.gzip).padStart(9)}`);
  wire += v.wire; gz += v.gzip;
  if (['html', 'js', 'css', 'map shapes'].includes(k)) budget += v.gzip;
}
console.log(`    total                     ${kb(wire).padStart(9)} | ${kb(gz).padStart(9)}`);
console.log(`  code + shapes (html, js, css, map) gzip -9: ${kb(budget)} (budget 150 kB)`);
