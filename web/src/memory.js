// The page remembers: the last checkpoint it verified for each log (by verifier key) is kept in
// localStorage, and every new checkpoint must be proved consistent with it (an RFC 6962
// consistency proof from /api/v1/log/consistency, checked here) before it replaces it. A server
// that shows this browser a history other than the one it showed before (a split view, a
// rewritten or rolled-back log) is caught, and both signed checkpoints are kept as evidence.
//
// checkCheckpointHistory() is pure apart from the injected `storage` (localStorage-like) and
// `fetchProof(from, to)` (returns {hashes: [base64]}), so node tests drive it without a browser.
import { verifyNote } from './note.js';
import { b64decode, parseCheckpoint, verifyConsistency } from './verify.js';

export const storageKey = (vkey) => `tallylog.checkpoint.${String(vkey).trim()}`;
export const evidenceKey = (vkey) => `tallylog.fork-evidence.${String(vkey).trim()}`;

// Returns {state, size, previousSize, seenAt, reason}:
//   'first'       nothing remembered yet; this checkpoint is now remembered
//   'same'        the very checkpoint seen before (same size and root)
//   'consistent'  a larger checkpoint, proved to extend the one seen before; now remembered
//   'inconsistent' two signed checkpoints that cannot both be true (kept under evidenceKey)
//   'rollback'    a smaller checkpoint than the one seen before
//   'unverified'  the new checkpoint's signature does not verify (nothing remembered)
//   'error'       the proof could not be fetched (nothing changed; try again)
export async function checkCheckpointHistory({ checkpointText, vkey, fetchProof, storage, now = () => new Date().toISOString() }) {
  const sig = verifyNote(checkpointText, vkey);
  if (!sig.ok) return { state: 'unverified', reason: sig.reason };
  const cur = parseCheckpoint(sig.text);
  if (!cur) return { state: 'unverified', reason: 'malformed checkpoint' };
  const remember = () => {
    try { storage.setItem(storageKey(vkey), JSON.stringify({ checkpoint: checkpointText, seenAt: now() })); } catch (_) { /* private mode */ }
  };
  let saved = null;
  try { saved = JSON.parse(storage.getItem(storageKey(vkey)) || 'null'); } catch (_) { saved = null; }
  const prevSig = saved && verifyNote(saved.checkpoint, vkey);
  if (!saved || !prevSig.ok) {
    remember();
    return { state: 'first', size: cur.size };
  }
  const prev = parseCheckpoint(prevSig.text);
  const base = { size: cur.size, previousSize: prev.size, seenAt: saved.seenAt };
  const keepEvidence = (why) => {
    try {
      storage.setItem(evidenceKey(vkey), JSON.stringify({ seen: saved.checkpoint, now: checkpointText, reason: why, at: now() }));
    } catch (_) { /* private mode */ }
  };
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (cur.size === prev.size) {
    if (same(cur.root, prev.root)) return { state: 'same', ...base };
    const why = `two different trees of size ${cur.size} signed by the same key`;
    keepEvidence(why);
    return { state: 'inconsistent', reason: why, ...base };
  }
  if (cur.size < prev.size) {
    const why = `the log now shows size ${cur.size}, smaller than the ${prev.size} this browser saw before`;
    keepEvidence(why);
    return { state: 'rollback', reason: why, ...base };
  }
  let proof;
  try {
    proof = await fetchProof(prev.size, cur.size);
  } catch (e) {
    return { state: 'error', reason: `consistency proof not available: ${e.message}`, ...base };
  }
  const hashes = (proof && proof.hashes ? proof.hashes : []).map(b64decode);
  if (!verifyConsistency(prev.size, cur.size, hashes, prev.root, cur.root)) {
    const why = `the checkpoint of size ${cur.size} does not extend the one of size ${prev.size} seen before`;
    keepEvidence(why);
    return { state: 'inconsistent', reason: why, ...base };
  }
  remember();
  return { state: 'consistent', ...base };
}
