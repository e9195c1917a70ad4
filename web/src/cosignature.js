// C2SP tlog-cosignature v1 (Ed25519, signature type 0x04) in the browser: which configured
// witnesses cosigned a checkpoint, and when. An implementation of the spec independent of the
// C++ one (pure JS Ed25519 from @noble), so each checks the other (web/test/cosignature.test.js,
// src/tallylog/note/cosignature_test.cc).
//
//   witness vkey  = name "+" hex8(key id) "+" base64(0x04 || 32-byte Ed25519 public key)
//   key id        = first 4 bytes of SHA-256(name || "\n" || 0x04 || public key)
//   signed bytes  = "cosignature/v1\ntime " decimal(timestamp) "\n" || checkpoint text
//   note line     = "— " name " " base64(key id || uint64 BE timestamp || 64-byte signature)
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { b64strict, hex8, keyId, validName } from './note.js';

ed.hashes.sha512 = sha512;

const enc = new TextEncoder();

function b64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function cosignatureMessage(checkpointText, timestamp) {
  return enc.encode(`cosignature/v1\ntime ${BigInt(timestamp).toString()}\n${checkpointText}`);
}

// Parses a witness vkey. Returns {name, keyId, publicKey, text} or {error}.
export function parseCosignerKey(vkey) {
  if (typeof vkey !== 'string') return { error: 'no witness key' };
  const text = vkey.trim();
  const p1 = text.indexOf('+');
  const p2 = p1 < 0 ? -1 : text.indexOf('+', p1 + 1);
  if (p2 < 0) return { error: 'witness key is not name+id+key' };
  const name = text.slice(0, p1), id = text.slice(p1 + 1, p2);
  if (!validName(name)) return { error: 'witness key has a bad name' };
  if (!/^[0-9a-f]{8}$/.test(id)) return { error: 'witness key id is not 8 lowercase hex digits' };
  const raw = b64strict(text.slice(p2 + 1));
  if (!raw || raw.length !== 33 || raw[0] !== 0x04) return { error: 'witness key is not a cosignature/v1 Ed25519 key (type 0x04)' };
  const publicKey = raw.slice(1);
  if (keyId(name, publicKey, 0x04) !== id) return { error: 'witness key id does not match its key' };
  return { name, keyId: id, publicKey, text };
}

// The cosignatures of `note` (a signed checkpoint) by the witness keys `vkeys`.
// Returns {ok: true, cosigned: [{name, keyId, timestamp}], missing: ["name+id"]} or
// {ok: false, reason} when the note is malformed or a line naming a given witness does not verify.
export function verifyCosignatures(note, vkeys) {
  const keys = [];
  for (const v of vkeys || []) {
    const k = parseCosignerKey(v);
    if (k.error) return { ok: false, reason: k.error };
    keys.push(k);
  }
  if (typeof note !== 'string' || !note.endsWith('\n')) return { ok: false, reason: 'malformed note' };
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'malformed note: no signatures' };
  const text = note.slice(0, split + 1);
  const found = new Map();
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = /^\u2014 ([^ ]+) ([^ ]+)$/.exec(line);
    if (!m) return { ok: false, reason: 'malformed signature line' };
    const sig = b64strict(m[2]);
    if (!sig || sig.length < 5) return { ok: false, reason: 'malformed signature line' };
    const key = keys.find((k) => k.name === m[1] && k.keyId === hex8(sig));
    if (!key) continue;  // another key: ignored
    const who = `${key.name}+${key.keyId}`;
    if (sig.length !== 76) return { ok: false, reason: `cosignature by ${who} has the wrong length` };
    const view = new DataView(sig.buffer, sig.byteOffset, sig.byteLength);
    const ts = view.getBigUint64(4);
    if (ts >= 2n ** 63n) return { ok: false, reason: `cosignature by ${who} has a timestamp above 2^63-1` };
    let good = false;
    try {
      good = ed.verify(sig.slice(12), cosignatureMessage(text, ts), key.publicKey);
    } catch (_) {
      good = false;
    }
    if (!good) return { ok: false, reason: `cosignature by ${who} does not verify` };
    const prev = found.get(who);
    if (!prev || ts > prev.timestamp) found.set(who, { name: key.name, keyId: key.keyId, timestamp: ts });
  }
  const cosigned = [], missing = [];
  for (const k of keys) {
    const c = found.get(`${k.name}+${k.keyId}`);
    if (c) cosigned.push({ ...c, timestamp: Number(c.timestamp) });
    else missing.push(`${k.name}+${k.keyId}`);
  }
  return { ok: true, cosigned, missing };
}

// Test and vector tooling only (the page never signs): the vkey and the note line a witness with
// Ed25519 seed `seed` (32 bytes) and name `name` writes for `checkpointText` at `timestamp`.
export function cosignForTest(seed, name, checkpointText, timestamp) {
  const pub = ed.getPublicKey(seed);
  const id = keyId(name, pub, 0x04);
  const vkey = `${name}+${id}+${b64(Uint8Array.of(0x04, ...pub))}`;
  const sig = ed.sign(cosignatureMessage(checkpointText, timestamp), seed);
  const blob = new Uint8Array(76);
  for (let i = 0; i < 4; i++) blob[i] = parseInt(id.slice(2 * i, 2 * i + 2), 16);
  new DataView(blob.buffer).setBigUint64(4, BigInt(timestamp));
  blob.set(sig, 12);
  return { vkey, line: `\u2014 ${name} ${b64(blob)}\n` };
}
