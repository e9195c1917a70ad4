// RFC 9162 §2.1.3.2 inclusion proof verification in the browser, and (verifySheet, with note.js)
// the checkpoint's Ed25519 signature. SHA-256 comes from @noble/hashes because crypto.subtle is
// missing on plain-HTTP, non-localhost origins.
import { sha256 } from '@noble/hashes/sha2.js';
import { verifyNote } from './note.js';

export function b64decode(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function concat(prefix, ...parts) {
  const n = 1 + parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  out[0] = prefix;
  let o = 1;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export const leafHash = (entry) => sha256(concat(0x00, entry));
export const nodeHash = (l, r) => sha256(concat(0x01, l, r));

function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// The root hash that `proof` and `leaf` at `index` in a tree of `size` imply, or null when the
// proof has the wrong shape. Numbers, not bit operators: sizes may exceed 2^31.
export function rootFromInclusionProof(index, size, leaf, proof) {
  if (!(index < size)) return null;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (!(fn % 2 === 1 || fn === 0)) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(index, size, leaf, proof, root) {
  if (leaf.length !== 32 || root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  const r = rootFromInclusionProof(index, size, leaf, proof);
  return r !== null && equal(r, root);
}

// RFC 9162 §2.1.4.2: does `proof` show that the tree (size1, root1) is a prefix of (size2, root2)?
// Numbers, not bit operators: sizes may exceed 2^31.
export function verifyConsistency(size1, size2, proof, root1, root2) {
  if (root1.length !== 32 || root2.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  if (!(size1 <= size2) || size1 < 1) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (proof.length === 0) return false;
  const isPow2 = (n) => {
    while (n > 1) { if (n % 2 === 1) return false; n /= 2; }
    return n === 1;
  };
  const path = isPow2(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1, sn = size2 - 1;
  const half = (n) => Math.floor(n / 2);
  while (fn % 2 === 1) { fn = half(fn); sn = half(sn); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (!(fn % 2 === 1 || fn === 0)) { fn = half(fn); sn = half(sn); }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}

// Checkpoint body: "<origin>\n<size>\n<base64 root>\n" then a blank line and signatures.
export function parseCheckpoint(text) {
  const lines = text.split('\n');
  if (lines.length < 3 || !/^\d+$/.test(lines[1])) return null;
  return { origin: lines[0], size: Number(lines[1]), root: b64decode(lines[2]) };
}

// Checks one sheet record from /api/v1/stations/<code>/sheets against the checkpoint.
// Returns {ok, index, size, reason}.
export function checkSheetProof(record, checkpointText) {
  const cp = parseCheckpoint(checkpointText);
  if (!cp) return { ok: false, reason: 'bad checkpoint' };
  if (!record.entry) return { ok: false, reason: 'no entry' };
  if (!record.proof) return { ok: false, pending: true, index: record.log_index, reason: 'not yet in a checkpoint' };
  const entry = b64decode(record.entry);
  const leaf = leafHash(entry);
  const proof = record.proof.hashes.map(b64decode);
  if (record.proof.tree_size !== cp.size) return { ok: false, reason: 'proof for another tree size' };
  const ok = verifyInclusion(record.log_index, cp.size, leaf, proof, cp.root);
  return { ok, index: record.log_index, size: cp.size, reason: ok ? '' : 'root mismatch' };
}

// The whole check the page makes for one sheet: the checkpoint is a signed note whose signature
// verifies with the log's verifier key `vkey` (note.js) AND the sheet's inclusion proof leads to
// the root of that signed text. `signature` may be passed in (verifyNote's answer) so a page with
// many sheets checks the signature once. Returns {ok, pending, index, size, reason, signature}.
export function verifySheet(record, checkpointText, vkey, signature = verifyNote(checkpointText, vkey)) {
  if (!signature.ok) {
    return { ok: false, index: record.log_index, reason: `checkpoint signature: ${signature.reason}`, signature };
  }
  return { ...checkSheetProof(record, signature.text), signature };
}
