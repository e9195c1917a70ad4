// Submission load for `tallylog serve`: POSTs sheets at a fixed rate (default 200/s) for a fixed
// time (default 30 s) over keep-alive connections, records every acknowledged log index, then
// checks each acknowledged sheet against the log itself: GET /api/v1/stations/<code>/sheets gives
// the log's entry bytes at that index, its inclusion proof and the signed checkpoint; the entry
// must decode to the submitted sheet, SHA-256(0x00 || entry) must be the leaf, the proof must fold
// (RFC 9162 2.1.3.2) to the root of the checkpoint, and the checkpoint must carry a valid Ed25519
// signature of the log's key (GET /api/v1/log/vkey). Any answer other than 201/200/409 (a failed
// append is a 503) counts as an error, not as throughput. Prints the acknowledged rate, latency
// percentiles, errors and the verification result; exits non-zero when any request failed or any
// acknowledged sheet is missing, different or unproven.
//
// node bench/http_submit_load.mjs <base url> <token> <csv> [rate] [seconds] [source]
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { ve2024Sheets, requester } from './lib/ve2024_sheets.mjs';

const [base, token, csvPath, rateArg = '200', secsArg = '30', source = 'witness:bench'] = process.argv.slice(2);
const rate = Number(rateArg), seconds = Number(secsArg);
const sheets = ve2024Sheets(csvPath, source);
const { request, agent } = requester(base, token, 64);

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
const errors = total - acks.length;
console.log(`submissions: ${total} in ${elapsed.toFixed(1)} s; acknowledged ${acks.length} = ${(acks.length / elapsed).toFixed(0)}/s; errors (not acknowledged, e.g. 503 failed append) ${errors}; statuses ${JSON.stringify(statuses)}`);
console.log(`submission latency ms: p50 ${p(0.5)}  p90 ${p(0.9)}  p99 ${p(0.99)}  max ${latencies.at(-1).toFixed(1)}`);

// Verification against the log: entry bytes, leaf hash, inclusion proof, signed checkpoint.
const sha = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
function rootFromProof(leaf, index, size, hashes) {  // RFC 9162 2.1.3.2
  if (index >= size) return null;
  let fn = BigInt(index), sn = BigInt(size) - 1n, r = leaf;
  for (const h of hashes) {
    const p = Buffer.from(h, 'base64');
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = sha(Buffer.from([1]), p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = sha(Buffer.from([1]), r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n ? r : null;
}
// C2SP signed note: verifier key "<name>+<hex key id>+base64(0x01 || ed25519 key)"; a signature
// line "\u2014 <name> base64(4-byte key id || 64-byte signature)" over the text up to the blank line.
const vkey = (await request('GET', '/api/v1/log/vkey')).body.trim();
const [vkName, vkId] = vkey.split('+', 2);
const vkB64 = vkey.slice(vkName.length + vkId.length + 2);  // base64 may hold '+'
const vkRaw = Buffer.from(vkB64, 'base64');
const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: vkRaw.subarray(1).toString('base64url') }, format: 'jwk' });
const checkedNotes = new Map();
function checkpointOk(text) {
  if (checkedNotes.has(text)) return checkedNotes.get(text);
  const cut = text.indexOf('\n\n');
  const body = text.slice(0, cut + 1);
  let ok = false;
  for (const line of text.slice(cut + 2).split('\n')) {
    const m = line.match(/^\u2014 (\S+) (\S+)$/);
    if (!m || m[1] !== vkName) continue;
    const sig = Buffer.from(m[2], 'base64');
    if (sig.length !== 68 || sig.subarray(0, 4).toString('hex') !== vkId) continue;
    ok = edVerify(null, Buffer.from(body), pub, sig.subarray(4));
  }
  checkedNotes.set(text, ok);
  return ok;
}
// Wait until a signed checkpoint covers every acknowledged index (proof is null before).
const needed = acks.reduce((m, a) => Math.max(m, a.index + 1), 0);
for (let i = 0; i < 100; i++) {
  const c = await request('GET', '/log/checkpoint');
  if (c.status === 200 && Number(c.body.split('\n')[1]) >= needed) break;
  await new Promise((r) => setTimeout(r, 100));
}
let ok = 0, bad = 0;
const byStation = new Map();
for (const a of acks) byStation.set(a.sheet.station, [...(byStation.get(a.sheet.station) || []), a]);
const stations = [...byStation.keys()];
const workers = Array.from({ length: 16 }, async () => {
  while (stations.length) {
    const st = stations.pop();
    const r = await request('GET', `/api/v1/stations/${st}/sheets`);
    const body = r.status === 200 ? JSON.parse(r.body) : { sheets: [] };
    const text = body.checkpoint?.text ?? '';
    const lines = text.split('\n');
    const size = Number(lines[1]), root = Buffer.from(lines[2] ?? '', 'base64');
    const signed = text !== '' && checkpointOk(text);
    for (const a of byStation.get(st)) {
      const rec = body.sheets.find((x) => x.log_index === a.index);
      const bytes = rec ? Buffer.from(rec.entry, 'base64') : null;
      const entry = bytes ? JSON.parse(bytes.toString('utf8')) : null;
      const same = entry && entry.station === a.sheet.station && entry.source === a.sheet.source &&
        JSON.stringify(rec.sheet.candidates) === JSON.stringify(Object.fromEntries(Object.entries(a.sheet.candidates).sort())) &&
        rec.sheet.fields.valid === a.sheet.fields.valid && rec.sheet.fields.null === a.sheet.fields.null;
      const leaf = bytes ? sha(Buffer.from([0]), bytes) : null;
      const proven = rec && rec.proof && signed && rec.proof.tree_size === size &&
        leaf.equals(Buffer.from(rec.leaf_hash, 'base64')) &&
        rootFromProof(leaf, rec.proof.leaf_index, size, rec.proof.hashes)?.equals(root);
      if (same && proven) ok++;
      else { bad++; if (bad < 5) console.log(`NOT PROVEN at ${a.index} for ${st}: ${!rec ? 'missing' : !same ? 'different' : !signed ? 'checkpoint signature' : 'inclusion proof'}`); }
    }
  }
});
await Promise.all(workers);
console.log(`verified: ${ok} of ${acks.length} acknowledged sheets are the log's entry at their index, with an inclusion proof to a signed checkpoint; ${bad} missing, different or unproven`);
if (process.env.SUMMARY === '1') {
  console.log(`summary: submit_load = ${acks.length}/${total} acknowledged (${(acks.length / elapsed).toFixed(0)}/s asked ${rate}/s), errors ${errors}, p99 ${p(0.99)} ms; ${ok}/${acks.length} proven in the log, ${bad} not`);
}
agent.destroy();
process.exit(bad === 0 && errors === 0 && acks.length > 0 ? 0 : 1);
