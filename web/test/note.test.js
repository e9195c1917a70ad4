// The page's checkpoint signature check (src/note.js, verifySheet in src/verify.js) against
// known-answer vectors: Go's golang.org/x/mod/sumdb/note example (the same vector as
// src/tallylog/note/note_test.cc) and a checkpoint signed by `tallylog` itself; tampered notes,
// wrong keys and malformed keys must fail. With a tallylog binary (TALLYLOG_BIN, else
// ../build/src/tallylog/cli/tallylog) a fresh log is also signed and checked end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseVerifierKey, verifyNote } from '../src/note.js';
import { b64encode, verifySheet } from '../src/verify.js';

const here = dirname(fileURLToPath(import.meta.url));

// golang.org/x/mod/sumdb/note (note_test.go / example_test.go).
const PETER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = 'If you think cryptography is the answer to your problem,\nthen you don\'t know what your problem is.\n';
const PETER_SIG = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// `tallylog init d --origin example.org/test` then `tallylog log append d` of "a", "b", "c".
const TL_VKEY = 'example.org/test+1f60a5cd+AUp/glvF698MR8DZA+ol/8r+6jyggXzkIrjAtQuptx84';
const TL_CHECKPOINT = 'example.org/test\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n\n'
  + '\u2014 example.org/test H2ClzcGXzyr72oAMh2cnpoUcVnzWmW/P/S3rSHcrtR2eVHkO4OcHXZNVMPPPHYGR5I8n4LwHZdiguGEKvJsmk+5BqwU=\n';
const TL_RECORD = { log_index: 1, entry: b64encode(new TextEncoder().encode('b')),
  proof: { leaf_index: 1, tree_size: 3, hashes: ['Aippeebat6pa5MPl5F9+l3ESp+Y1k4INvsHsc4ok+Tw=', 'WX/LMSgtNGVMIA00GPylcFxkjr8ybsc9jd7xGEH4dtg='] } };

test('parses a Go verifier key and checks its key id', () => {
  const k = parseVerifierKey(PETER);
  assert.equal(k.name, 'PeterNeumann');
  assert.equal(k.keyId, 'c74f20a3');
  assert.equal(k.publicKey.length, 32);
  assert.equal(parseVerifierKey(TL_VKEY + '\n').keyId, '1f60a5cd');
});

test('refuses malformed verifier keys', () => {
  for (const bad of [undefined, null, '', 'PeterNeumann', 'PeterNeumann+c74f20a3',
    'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',   // id of another key
    'PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',   // uppercase id
    'PeterNeumanN+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',   // other name
    'PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',   // algorithm 0x02
    'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10',     // short
    'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',  // space in name
    'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+x']) {
    assert.ok(parseVerifierKey(bad).error, String(bad));
    assert.equal(verifyNote(TEXT + '\n' + PETER_SIG, bad).ok, false, String(bad));
  }
});

test('verifies the Go sumdb note vector, alone or beside another key\'s signature', () => {
  const r = verifyNote(TEXT + '\n' + PETER_SIG, PETER);
  assert.equal(r.ok, true, r.reason);
  assert.equal(r.text, TEXT);
  assert.equal(r.name, 'PeterNeumann');
  assert.equal(r.keyId, 'c74f20a3');
  assert.equal(verifyNote(TEXT + '\n' + ENOCH_SIG + PETER_SIG, PETER).ok, true);
  assert.equal(verifyNote(TEXT + '\n' + PETER_SIG + ENOCH_SIG, ENOCH).ok, true);
});

test('fails without a signature by the expected key', () => {
  const r = verifyNote(TEXT + '\n' + ENOCH_SIG, PETER);
  assert.equal(r.ok, false);
  assert.match(r.reason, /no signature by PeterNeumann\+c74f20a3/);
  assert.equal(verifyNote(TEXT + '\n' + PETER_SIG, ENOCH).ok, false);
  assert.equal(verifyNote(TEXT, PETER).ok, false);
  assert.equal(verifyNote(TEXT + '\n', PETER).ok, false);
});

test('fails for a note tampered anywhere (every character of text and signature flipped)', () => {
  const good = TEXT + '\n' + PETER_SIG;
  for (let i = 0; i < good.length; i++) {
    const bad = good.slice(0, i) + String.fromCharCode(good.charCodeAt(i) ^ 1) + good.slice(i + 1);
    assert.equal(verifyNote(bad, PETER).ok, false, `character ${i}`);
  }
});

test('a signature line that claims the key but does not verify is an error, even beside a good one', () => {
  const sig = PETER_SIG.replace('ElZInNIu', 'ElZInNIv');
  assert.notEqual(sig, PETER_SIG);
  const r = verifyNote(TEXT + '\n' + PETER_SIG + sig, PETER);
  assert.equal(r.ok, false);
  assert.match(r.reason, /does not verify/);
});

test('verifies a checkpoint signed by tallylog and the sheet proof against its root', () => {
  const r = verifySheet(TL_RECORD, TL_CHECKPOINT, TL_VKEY);
  assert.equal(r.ok, true, r.reason);
  assert.equal(r.signature.name, 'example.org/test');
  assert.equal(r.signature.keyId, '1f60a5cd');
  assert.equal(r.size, 3);
});

test('refuses a tallylog checkpoint whose signature does not verify even when the proof does', () => {
  // Same root and size, another origin line: the proof still leads to the root, the signature not.
  const forged = TL_CHECKPOINT.replace('example.org/test\n3', 'example.org/tesT\n3');
  const r = verifySheet(TL_RECORD, forged, TL_VKEY);
  assert.equal(r.ok, false);
  assert.match(r.reason, /checkpoint signature/);
  // A different size and root re-signed by nobody.
  assert.equal(verifySheet(TL_RECORD, TL_CHECKPOINT.replace('\n3\n', '\n4\n'), TL_VKEY).ok, false);
  // The right note but the wrong key.
  assert.equal(verifySheet(TL_RECORD, TL_CHECKPOINT, PETER).ok, false);
  // A good signature but a tampered entry: the proof fails.
  const r2 = verifySheet({ ...TL_RECORD, entry: b64encode(new TextEncoder().encode('x')) }, TL_CHECKPOINT, TL_VKEY);
  assert.equal(r2.ok, false);
  assert.equal(r2.signature.ok, true);
});

const bin = process.env.TALLYLOG_BIN || join(here, '../../build/src/tallylog/cli/tallylog');
test('verifies a fresh log signed by the tallylog binary', { skip: !existsSync(bin) && `no tallylog binary at ${bin}` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tallylog-note-'));
  try {
    const data = join(dir, 'data');
    execFileSync(bin, ['init', data, '--origin', 'example.com/web-test'], { stdio: 'pipe' });
    const entries = ['zero', 'one', 'two', 'three', 'four'];
    writeFileSync(join(dir, 'entries.txt'), entries.join('\n') + '\n');
    execFileSync(bin, ['log', 'append', data, join(dir, 'entries.txt')], { stdio: 'pipe' });
    const vkey = readFileSync(join(data, 'log.vkey'), 'utf8');
    const checkpoint = readFileSync(join(data, 'log', 'checkpoint'), 'utf8');
    for (let i = 0; i < entries.length; i++) {
      const out = execFileSync(bin, ['log', 'proof', data, '--index', String(i)], { encoding: 'utf8' }).trim().split('\n');
      const record = { log_index: i, entry: b64encode(new TextEncoder().encode(entries[i])),
        proof: { leaf_index: i, tree_size: entries.length, hashes: out.slice(1) } };
      const r = verifySheet(record, checkpoint, vkey);
      assert.equal(r.ok, true, `${i}: ${r.reason}`);
      assert.equal(r.signature.name, 'example.com/web-test');
      const other = verifySheet(record, checkpoint.replace('example.com/web-test\n', 'example.com/web-tesT\n'), vkey);
      assert.equal(other.ok, false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
