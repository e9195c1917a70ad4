// Uncached vs cached GET /api/v1/tally (issue 11.3), one client, one request at a time:
//   uncached: N rounds of (POST one new sheet, await its 201, GET the tally): every GET follows a
//     submission, so the server must re-read the index's totals and re-render the answer. A GET
//     counts as uncached only if its X-Tallylog-Log-Size is larger than the previous GET's (the
//     answer reflects the new sheet); the script fails if fewer than 95 % are.
//   cached: N GETs of the same URL with nothing landing in between (the cached answer's bytes).
// Prints latency percentiles and requests/s (1 / mean latency, one connection) of both and their
// ratio, the same server and data in the same run.
//
// node bench/http_tally_uncached.mjs <base url> <token> <csv> [rounds=300] [path=/api/v1/tally?level=state] [source]
import { ve2024Sheets, requester } from './lib/ve2024_sheets.mjs';

const [base, token, csvPath, roundsArg = '300', path = '/api/v1/tally?level=state',
  source = `witness:uncached${Date.now()}`] = process.argv.slice(2);
const rounds = Number(roundsArg);
const sheets = ve2024Sheets(csvPath, source);
const { request, agent } = requester(base, token, 1);

const pct = (a, q) => a[Math.min(a.length - 1, Math.floor(q * a.length))];
function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((x, y) => x + y, 0) / s.length;
  return { p50: pct(s, 0.5), p99: pct(s, 0.99), max: s.at(-1), mean, rps: 1000 / mean };
}
const fmt = (s) => `p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  max ${s.max.toFixed(2)} ms  mean ${s.mean.toFixed(2)} ms = ${s.rps.toFixed(0)} req/s`;

let first = await request('GET', path);
if (first.status !== 200) { console.log(`GET ${path}: ${first.status} ${first.body}`); process.exit(1); }
let last = Number(first.headers['x-tallylog-log-size']);
const uncached = [];
let stale = 0, postErrors = 0, bytes = first.body.length;
for (let i = 0; i < rounds; i++) {
  const p = await request('POST', '/api/v1/sheets', JSON.stringify(sheets[i % sheets.length]));
  if (p.status !== 201) { postErrors++; continue; }
  const g = await request('GET', path);
  if (g.status !== 200) { console.log(`GET ${path}: ${g.status}`); process.exit(1); }
  const size = Number(g.headers['x-tallylog-log-size']);
  if (size > last) uncached.push(g.ms); else stale++;
  last = size;
}
const cached = [];
for (let i = 0; i < rounds; i++) {
  const g = await request('GET', path);
  if (g.status !== 200) { console.log(`GET ${path}: ${g.status}`); process.exit(1); }
  cached.push(g.ms);
}
agent.destroy();
const u = stats(uncached), c = stats(cached);
console.log(`GET ${path} (${bytes} bytes), one keep-alive connection, ${rounds} rounds`);
console.log(`uncached (a sheet landed before each GET; answer reflects it): ${uncached.length} GETs  ${fmt(u)}`);
console.log(`cached (nothing landed in between):                         ${cached.length} GETs  ${fmt(c)}`);
console.log(`uncached / cached mean latency: ${(u.mean / c.mean).toFixed(1)}x; GETs that did not reflect a new sheet: ${stale}; failed POSTs: ${postErrors}`);
if (process.env.SUMMARY === '1') {
  console.log(`summary: tally_uncached = ${u.rps.toFixed(0)} req/s (p50 ${u.p50.toFixed(2)} ms, p99 ${u.p99.toFixed(2)} ms) vs cached ${c.rps.toFixed(0)} req/s (p50 ${c.p50.toFixed(2)} ms) = ${(u.mean / c.mean).toFixed(1)}x slower`);
}
process.exit(uncached.length >= 0.95 * rounds && postErrors === 0 ? 0 : 1);
