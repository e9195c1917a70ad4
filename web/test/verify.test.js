// The browser's proof check against the transparency-dev/merkle inclusion test vectors (bundled
// in tests/fixtures/merkle, Apache-2.0, see SOURCE.md there) and a hand-built tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { b64decode, leafHash, nodeHash, verifyInclusion, checkSheetProof, b64encode } from '../src/verify.js';

const here = dirname(fileURLToPath(import.meta.url));
const vectors = join(here, '../../tests/fixtures/merkle/inclusion');

test('agrees with every inclusion test vector', () => {
  let n = 0, happy = 0;
  const files = readdirSync(vectors, { recursive: true }).filter((f) => f.endsWith('.json'));
  for (const f of files) {
    const v = JSON.parse(readFileSync(join(vectors, f), 'utf8'));
    const ok = verifyInclusion(v.leafIdx, v.treeSize, b64decode(v.leafHash), (v.proof || []).map(b64decode), b64decode(v.root));
    assert.equal(ok, !v.wantErr, `${f}: ${v.desc}`);
    n++;
    if (!v.wantErr) happy++;
  }
  assert.equal(n, 98, `inclusion vectors in ${vectors}`);
  assert.equal(happy, 6);
});

test('checks a sheet record against a checkpoint and refuses a tampered entry', () => {
  const enc = new TextEncoder();
  const entries = ['e0', 'e1', 'e2'].map((s) => enc.encode(s));
  const l = entries.map(leafHash);
  const root = nodeHash(nodeHash(l[0], l[1]), l[2]);
  const checkpoint = `origin\n3\n${b64encode(root)}\n\n— sig\n`;
  const record = { log_index: 1, entry: b64encode(entries[1]), proof: { tree_size: 3, hashes: [b64encode(l[0]), b64encode(l[2])] } };
  assert.equal(checkSheetProof(record, checkpoint).ok, true);
  assert.equal(checkSheetProof({ ...record, entry: b64encode(enc.encode('e9')) }, checkpoint).ok, false);
  assert.equal(checkSheetProof({ ...record, log_index: 0 }, checkpoint).ok, false);
  assert.equal(checkSheetProof({ ...record, proof: null }, checkpoint).pending, true);
});
