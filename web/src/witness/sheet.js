// The witness page's pure core: the ve2024-acta QR profile (docs/formats/qr-profiles.md), the
// sheet and device-record bytes a device signs (docs/formats/devices.md, entries.md), and the
// verifier-key text of a device key. No I/O, no DOM: web/test/witness.test.mjs checks it in node.
import { keyId } from '../note.js';
import { b64encode } from '../verify.js';

const enc = new TextEncoder();
export const SHEET_CONTEXT = 'tallylog sheet signature v1\n';
export const RECORD_CONTEXT = 'tallylog device record v1\n';

// RFC 8785 for the values these records hold (strings, safe integers, arrays, objects): members
// sorted by key (ASCII codes, so UTF-16 order is byte order), no whitespace; JSON.stringify
// escapes strings as RFC 8785 does. Empty strings, objects and arrays are omitted, as the server's
// encoder omits empty members.
export function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => !isEmpty(v[k])).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new Error('not a safe integer: ' + v);
  return JSON.stringify(v);
}
function isEmpty(x) {
  if (x === undefined || x === null || x === '') return true;
  if (Array.isArray(x)) return x.length === 0;
  if (typeof x === 'object') return Object.keys(x).length === 0;
  return false;
}

// "<name>+<hex8>+<base64(0x01 || public key)>"
export function deviceVerifierKey(name, publicKey) {
  const raw = new Uint8Array(33);
  raw[0] = 0x01;
  raw.set(publicKey, 1);
  return `${name}+${keyId(name, publicKey)}+${b64encode(raw)}`;
}

// What the device signs to enrol by code: the record without "at" and the signatures.
export function enrolmentMessage({ code, deviceKey, org, sources }) {
  const record = { action: 'enrol', code, device_key: deviceKey, org, sources, type: 'device', v: 1 };
  return enc.encode(RECORD_CONTEXT + canonical(record));
}

// What the device signs for a sheet: the sheet as it will be logged, with device_key, without
// submitted_at, submitted_by and device_signature.
export function sheetMessage(sheet) {
  const { submitted_at: _a, submitted_by: _b, device_signature: _c, ...rest } = sheet;
  return enc.encode(SHEET_CONTEXT + canonical({ ...rest, type: 'sheet', v: 1 }));
}

// ve2024-acta: acta-id "!" 38 counts "!" null "!" extra. Returns {sheet} or {error} (the part
// named as the server names it). `election` is /api/v1/election (candidates, cards).
export function parseVe2024Acta(payload, election) {
  if (typeof payload !== 'string' || !/^[\x21-\x7e]+$/.test(payload)) return { error: 'payload: not printable ASCII without spaces' };
  const parts = payload.split('!');
  if (parts.length !== 4) return { error: `payload: ${parts.length} parts separated by "!", expected 4` };
  const id = /^(\d{9})\.(\d{2})\.\d\.\d{4}$/.exec(parts[0]);
  if (!id) return { error: `acta id: "${parts[0].slice(0, 40)}" is not EEMMPPCCC.TT.D.DDDD` };
  const counts = parts[1].split(',');
  if (counts.length !== 38) return { error: `counts: ${counts.length} counts, expected 38` };
  const cards = [];
  for (let i = 0; i < counts.length; i++) {
    if (!/^\d{1,9}$/.test(counts[i])) return { error: `counts[${i}] (card ${i + 1}): "${counts[i].slice(0, 20)}" is not a count` };
    cards.push(Number(counts[i]));
  }
  if (!/^\d{1,9}$/.test(parts[2])) return { error: `null: "${parts[2].slice(0, 20)}" is not a count` };
  if (!/^\d+$/.test(parts[3])) return { error: `4th field: "${parts[3].slice(0, 20)}" is not a decimal number` };
  const ecards = election.cards || [];
  if (ecards.length && ecards.length !== 38) return { error: `the election lists ${ecards.length} cards, the profile 38` };
  const candidates = {};
  if (ecards.length) {
    for (const c of election.candidates || []) candidates[c.code] = 0;
    for (const c of ecards) candidates[c.candidate] = (candidates[c.candidate] || 0) + cards[c.position - 1];
  }
  const valid = cards.reduce((a, b) => a + b, 0);
  return {
    sheet: {
      station: `${id[1]}.${id[2]}`, cards, candidates,
      fields: { valid, null: Number(parts[2]) }, qr_payload: payload,
    },
  };
}

export const PROFILES = { 've2024-acta': parseVe2024Acta };

export function parsePayload(payload, election) {
  const p = PROFILES[election.qr_profile];
  if (!p) return { error: `this page does not know the election's QR profile "${election.qr_profile || ''}"` };
  return p(payload, election);
}

// The source a device submits for: the first of its enrolment's sources that is a plain name; a
// pattern "witness:*" becomes "witness:<org>".
export function sourceFor(sources, org) {
  const plain = sources.find((s) => !s.endsWith('*'));
  if (plain) return plain;
  return sources.length ? sources[0].slice(0, -1) + org : '';
}
