// Submission load for `tallylog serve`: POSTs sheets at a fixed rate (default 200/s) for a fixed
// time (default 30 s) over keep-alive connections, records every acknowledged log index, then
// checks that each acknowledged index holds exactly that sheet (via the inclusion-proof route,
// whose `entry` is the log's own bytes). Prints the achieved rate, latency percentiles and the
// verification result; exits non-zero when any acknowledged sheet is missing or different.
//
// node bench/http_submit_load.mjs <base url> <token> <csv> [rate] [seconds] [source]
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [base, token, csvPath, rateArg = '200', secsArg = '30', source = 'witness:bench'] = process.argv.slice(2);
const rate = Number(rateArg), seconds = Number(secsArg);
const url = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

// Sheets from the bundled CSV: same counts as the published actas, attributed to `source`.
const lines = readFileSync(csvPath, 'utf8').replace(/^\uFEFF/, '').split('\n').filter(Boolean);
const head = lines[0].split(',');
const col = (name) => head.indexOf(name);
const cands = ['EG', 'NM', 'LM', 'JABE', 'JOBR', 'AE', 'CF', 'DC', 'EM', 'BERA'];
const sheets = lines.slice(1).map((l) => {
  const c = l.split(',');
  const centre = c[col('CENTRO')].padStart(9, '0');
  const table = c[col('MESA')].padStart(2, '0');
  const candidates = {};
  for (const k of cands) candidates[k] = Number(c[col(k)]);
  return { station: `${centre}.${table}`, source, candidates,
    fields: { valid: Number(c[col('VOTOS_VALIDOS')]), null: Number(c[col('VOTOS_NULOS')]) } };
});

function request(method, path, body) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent,
      headers: body ? { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Content-Length': Buffer.byteLength(body) } : {} },
    (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    if (body) req.write(body);
    req.end();
  });
}

const total = Math.min(sheets.length, Math.round(rate * seconds));
const acks = [];
const statuses = {};
const latencies = [];
const inflight = [];
const start = Date.now();
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const sheet = sheets[i];
  inflight.push(request('POST', '/api/v1/sheets', JSON.stringify(sheet)).then((r) => {
    statuses[r.status] = (statuses[r.status] || 0) + 1;
    latencies.push(r.ms);
    if (r.status === 201 || r.status === 200 || r.status === 409) {
      const j = JSON.parse(r.body);
      acks.push({ sheet, index: j.log_index, verdict: j.verdict });
    }
  }));
}
await Promise.all(inflight);
const elapsed = (Date.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
console.log(`submissions: ${total} in ${elapsed.toFixed(1)} s = ${(total / elapsed).toFixed(0)}/s; statuses ${JSON.stringify(statuses)}`);
console.log(`submission latency ms: p50 ${p(0.5)}  p90 ${p(0.9)}  p99 ${p(0.99)}  max ${latencies.at(-1).toFixed(1)}`);

// Verification: every acknowledged index holds that sheet.
let ok = 0, bad = 0;
const byStation = new Map();
for (const a of acks) byStation.set(a.sheet.station, [...(byStation.get(a.sheet.station) || []), a]);
const stations = [...byStation.keys()];
const workers = Array.from({ length: 16 }, async () => {
  while (stations.length) {
    const st = stations.pop();
    const r = await request('GET', `/api/v1/stations/${st}/sheets`);
    const recs = r.status === 200 ? JSON.parse(r.body).sheets : [];
    for (const a of byStation.get(st)) {
      const rec = recs.find((x) => x.log_index === a.index);
      const entry = rec ? JSON.parse(Buffer.from(rec.entry, 'base64').toString('utf8')) : null;
      const same = rec && rec.sheet.source === a.sheet.source && entry &&
        JSON.stringify(rec.sheet.candidates) === JSON.stringify(Object.fromEntries(Object.entries(a.sheet.candidates).sort())) &&
        rec.sheet.fields.valid === a.sheet.fields.valid && rec.sheet.fields.null === a.sheet.fields.null;
      if (same) ok++; else { bad++; if (bad < 5) console.log(`MISSING/DIFFERENT at ${a.index} for ${st}`); }
    }
  }
});
await Promise.all(workers);
console.log(`verified: ${ok} of ${acks.length} acknowledged sheets are in the log at their index; ${bad} missing or different`);
agent.destroy();
process.exit(bad === 0 && acks.length > 0 ? 0 : 1);
