// The page's memory of checkpoints (src/memory.js) and its consistency check (verifyConsistency
// in src/verify.js): against the published Certificate Transparency vector Go's sumdb/tlog tests
// use, and end to end against logs written by `tallylog` (TALLYLOG_BIN, else the build tree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkCheckpointHistory, evidenceKey } from '../src/memory.js';
import { b64decode, verifyConsistency } from '../src/verify.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.TALLYLOG_BIN || join(here, '../../build/src/tallylog/cli/tallylog');

// golang.org/x/mod/sumdb/tlog testdata/argon2020: Google's Argon 2020 CT log, a consistency
// proof from size 3654490 to 961984013 (tlog.CheckTree accepts it).
const ARGON = {
  size1: 3654490, root1: 'AuIZ5V6sDUj1vn3Y1K85oOaQ7y+FJJKtyRTl1edIKBQ=',
  size2: 961984013, root2: 'dwlueapdd7LaOEnX2W2Wp9v2XE+KzejHRQGHwEx0oaM=',
  proof: ['80Sfbj6UQEdVSZCSIgh9NMPj3vCBzcc1A48B2crJSWg=', 'FZcrgAHUk6nNPviJZq8kEK6jCG1d18pJOFE45ZDc1TQ=',
    'Q67reWXmPBo1UfmwBap4Xi9PMPfFdUSSw3WGlRZdG7k=', 'eJ7CyhR4PxzBxDIsWgrVYW1eFUb9ndgf46tFmiqVrxA=',
    'QrDwp062Grm5WY8KdrhFsBuuNjGzRox2Jb8PmVL5OYw=', 'XM4YMjMEdLH/XJam/ZWyaP14k3cmsOtnPsOWQ54lW1s=',
    'SGiBh+jOTGccXU48ZzgQ88lRcBmtB4wz4oSDndv2QTg=', 'WAS6txqNLYKGL1GdBdpqmV42TTfn6cJsuDsqLXuTCNI=',
    'QFmRS0rirUA7ZN3lxFjDncV+E1OCrn3NUB4RCp+5fzc=', 'Hdbp7It2XBNZmNDBpCN/KPd7vfVqxgzwOosqVIaEA9E=',
    'mxvHL0ZiblBdD7j7pIa1jlfB0gSqfJ6oX0UGo7L0VsU=', 'q5hjyvoW6TL/PThgcitpDcSTrnKX2p1+aqscqH2euRA=',
    'jTOWDqt3IHj2NVFeezyBz2ofpru+ztEywqKUAfFclKI=', 'GIRn0w3HqJdvU9j1WVD//eR6lk2AaTVjyzjsJNP8U88=',
    'x52GJvxG81fnQBrgOTbll1A5tz95/LXK0Ag1NhB0r1I=', '6/0OqrcTgc3o5dD5PymmoC96lB9yLPFuTHVvLy8fSGk=',
    'Gf+iKLfcXO5l4JEFmsZvSdG5q1uEeWPfYLrds6pmjz0=', 'DGuaco+McyM3AfRSF6qX7RwSetwe2ieYJmxw5e9rVx0=',
    '2tQJ9V32hnYp+fdpP6TcjmgJmLeNVOMKM0Ml1kk4cNU=', '3PapK+IkyJr8I9yAErAmzuZezzLMzsg+PfeRCgNW8NQ=',
    's6xiYeejb+wtqHA+URJZ2I/SCPyIW8coP6aB00FJbMY=', 'z9lSpmdTcr5M5ZzKlc4EPh3SrSypKFdk6JUF/UccaZU=',
    'GXIElfmnRuWfbA4z7ubV/UwlpSRUbUeec7oL5HDDnh0=', 'pR0SH/NYP6s9+8azWwaeUXA4Ze/3WCIgMfh5YW6wvcE=',
    'f3GuAKYVrF8RBg3s15jvA/YvV9oAliWtzP/imwPhQVA=', 'WHn8zDxlVgkV+lSlmzaOdfSBrTHoRr5nT3d76q0KKWE=',
    'f2uV2ZxVgULzLPKuZcowRY3ZY7fRlX59iDBjV1R8kNQ=', 'NzQVjJsvQwbi7WStMr9oFkh9VbHfK7LB6o7WwAqwNTs=',
    'C0LttBeYHZHgL+032JIcJC3CTBIyza/hsbmJUgJfmDI=', 'nixU5CWTFVDlF4BGdcU6kA7WSYurEpe9jRWc+F/7sOc='],
};

test('verifies the published Argon 2020 consistency proof and refuses it altered', () => {
  const proof = ARGON.proof.map(b64decode);
  const r1 = b64decode(ARGON.root1), r2 = b64decode(ARGON.root2);
  assert.equal(verifyConsistency(ARGON.size1, ARGON.size2, proof, r1, r2), true);
  assert.equal(verifyConsistency(ARGON.size1 + 1, ARGON.size2, proof, r1, r2), false);
  const bad = proof.map((p) => p.slice());
  bad[5][0] ^= 1;
  assert.equal(verifyConsistency(ARGON.size1, ARGON.size2, bad, r1, r2), false);
  assert.equal(verifyConsistency(ARGON.size1, ARGON.size2, proof.slice(1), r1, r2), false);
});

class MemStorage {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
}

const haveBin = existsSync(bin);
test('remembers, proves consistency, and catches two histories signed by one key', { skip: !haveBin && 'no tallylog binary' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tallylog-memory-'));
  try {
    const run = (...args) => execFileSync(bin, args, { encoding: 'utf8', input: args[0] === 'log' ? undefined : undefined });
    const data = join(dir, 'data');
    run('init', data, '--origin', 'example.org/memory');
    const append = (d, lines) => execFileSync(bin, ['log', 'append', d], { input: lines.join('\n') + '\n' });
    append(data, Array.from({ length: 300 }, (_, i) => `entry ${i}`));
    const vkey = readFileSync(join(data, 'log.vkey'), 'utf8').trim();
    const checkpoint = (d) => readFileSync(join(d, 'log/checkpoint'), 'utf8');
    // Proofs as the server would answer them, from the real log.
    const fetchProof = (d) => async (from, to) => {
      const out = execFileSync(bin, ['log', 'consistency', d, '--from', String(from), '--to', String(to)], { encoding: 'utf8' });
      return { hashes: out.trim().split('\n').slice(1) };
    };
    const storage = new MemStorage();
    const check = (d) => checkCheckpointHistory({ checkpointText: checkpoint(d), vkey, fetchProof: fetchProof(d), storage });
    assert.equal((await check(data)).state, 'first');
    assert.equal((await check(data)).state, 'same');
    // Another copy of the same log (same key) that appends something else.
    const other = join(dir, 'other');
    cpSync(data, other, { recursive: true });
    append(data, ['sheet A']);
    append(other, ['sheet B', 'sheet C']);
    const r = await check(data);
    assert.equal(r.state, 'consistent');
    assert.equal(r.previousSize, 300);
    assert.equal(r.size, 301);
    // The other history, larger: its proof from 301 cannot lead to its root.
    const f = await check(other);
    assert.equal(f.state, 'inconsistent');
    const ev = JSON.parse(storage.getItem(evidenceKey(vkey)));
    assert.equal(ev.seen, checkpoint(data));
    assert.equal(ev.now, checkpoint(other));
    // The remembered checkpoint is still the honest one.
    assert.equal((await check(data)).state, 'same');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
