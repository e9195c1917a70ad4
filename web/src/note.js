// C2SP signed-note verification with Ed25519, in the browser (docs/formats/log.md "Signed notes").
// Ed25519 comes from @noble/ed25519 and SHA-256/512 from @noble/hashes: pure JS, no network, and
// it works on plain-HTTP origins where crypto.subtle is absent.
//
//   verifier key  = name "+" hex8(key id) "+" base64(0x01 || 32-byte Ed25519 public key)
//   key id        = first 4 bytes of SHA-256(name || "\n" || 0x01 || public key)
//   note          = text "\n" 1*("— " name " " base64(key id || 64-byte signature) "\n")
//
// A note verifies when at least one signature line names the expected key (name and key id) and
// its signature verifies over the text bytes. A line that claims the expected key but does not
// verify is an error; lines by other keys are ignored (as Go's golang.org/x/mod/sumdb/note does).
import * as ed from '@noble/ed25519';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

ed.hashes.sha512 = sha512;

const enc = new TextEncoder();
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_SIGNATURES = 100;

// Strict base64 (RFC 4648, padded) to bytes, or null.
export function b64strict(s) {
  if (typeof s !== 'string' || !B64.test(s)) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export const hex8 = (bytes) => [...bytes.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');

// SHA-256(name || "\n" || type || public key)[:4] as hex: 0x01 note keys, 0x04 cosigner keys.
export function keyId(name, pub, type = 0x01) {
  const n = enc.encode(name);
  const buf = new Uint8Array(n.length + 2 + pub.length);
  buf.set(n, 0);
  buf[n.length] = 0x0a;
  buf[n.length + 1] = type;
  buf.set(pub, n.length + 2);
  return hex8(sha256(buf));
}

// A key name: non-empty, no "+", no whitespace or control characters (Go's isValidName).
export const validName = (name) => name.length > 0 && !/[+\s\p{Cc}]/u.test(name);

// Parses "name+hex8+base64(0x01||pub)". Returns {name, keyId, publicKey, text} or {error}.
export function parseVerifierKey(vkey) {
  if (typeof vkey !== 'string') return { error: 'no verifier key' };
  const text = vkey.trim();
  // name "+" id "+" key, split at the first two "+" (base64 may contain "+").
  const p1 = text.indexOf('+');
  const p2 = p1 < 0 ? -1 : text.indexOf('+', p1 + 1);
  if (p2 < 0) return { error: 'verifier key is not name+id+key' };
  const name = text.slice(0, p1), id = text.slice(p1 + 1, p2), b64 = text.slice(p2 + 1);
  if (!validName(name)) return { error: 'verifier key has a bad name' };
  if (!/^[0-9a-f]{8}$/.test(id)) return { error: 'verifier key id is not 8 lowercase hex digits' };
  const raw = b64strict(b64);
  if (!raw || raw.length !== 33 || raw[0] !== 0x01) return { error: 'verifier key is not an Ed25519 key' };
  const publicKey = raw.slice(1);
  if (keyId(name, publicKey) !== id) return { error: 'verifier key id does not match its key' };
  return { name, keyId: id, publicKey, text };
}

// Verifies the signed note `note` with the verifier key string `vkey`.
// Returns {ok: true, text, name, keyId} or {ok: false, reason, name?, keyId?}.
export function verifyNote(note, vkey) {
  const key = parseVerifierKey(vkey);
  if (key.error) return { ok: false, reason: key.error };
  const who = { name: key.name, keyId: key.keyId };
  if (typeof note !== 'string' || !note.endsWith('\n')) return { ok: false, reason: 'malformed note', ...who };
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'malformed note: no signatures', ...who };
  const text = note.slice(0, split + 1);
  // Text: UTF-8 without control characters other than LF (the string is already decoded).
  if (/[\p{Cc}]/u.test(text.replace(/\n/g, '')) || text.includes('\uFFFD')) return { ok: false, reason: 'malformed note text', ...who };
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return { ok: false, reason: 'too many signatures', ...who };
  const msg = enc.encode(text);
  let verified = false;
  for (const line of lines) {
    const m = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(line);
    if (!m) return { ok: false, reason: 'malformed signature line', ...who };
    const [, name, b64] = m;
    const sig = b64strict(b64);
    if (!validName(name) || !sig || sig.length < 5) return { ok: false, reason: 'malformed signature line', ...who };
    if (name !== key.name || hex8(sig) !== key.keyId) continue;  // another key: ignored
    let good = false;
    try {
      good = sig.length === 68 && ed.verify(sig.slice(4), msg, key.publicKey);
    } catch (_) {
      good = false;
    }
    if (!good) return { ok: false, reason: `signature by ${key.name}+${key.keyId} does not verify`, ...who };
    verified = true;
  }
  if (!verified) return { ok: false, reason: `no signature by ${key.name}+${key.keyId}`, ...who };
  return { ok: true, text, ...who };
}
