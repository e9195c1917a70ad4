// The page's cosignature check (src/cosignature.js) against the known-answer vectors that
// src/tallylog/note/cosignature_test.cc also checks: the two implementations (pure JS @noble
// Ed25519 here, OpenSSL there) must produce and accept the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosignForTest, parseCosignerKey, verifyCosignatures } from '../src/cosignature.js';

const hex = (s) => Uint8Array.from(s.match(/../g).map((b) => parseInt(b, 16)));
// RFC 8032 §7.1 TEST 1 secret key.
const SEED = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const NAME = 'witness.example.com/w1';
const VKEY = 'witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';
const BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const LINE = '\u2014 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n';
// The log's own line from the spec's example (a key the witness check does not know: ignored).
const LOG_LINE = '\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';

test('produces the known-answer vkey and cosignature line', () => {
  const { vkey, line } = cosignForTest(SEED, NAME, BODY, 1679315147);
  assert.equal(vkey, VKEY);
  assert.equal(line, LINE);
});

test('parses witness keys of type 0x04 and a published one', () => {
  assert.equal(parseCosignerKey(VKEY).keyId, '7e6f4aaa');
  assert.equal(parseCosignerKey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2').keyId, 'da77ade7');
  assert.ok(parseCosignerKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').error);
  assert.ok(parseCosignerKey(VKEY.replace('7e6f4aaa', '7e6f4aab')).error);
});

test('finds the cosignature and its timestamp, ignoring other keys', () => {
  const r = verifyCosignatures(BODY + '\n' + LOG_LINE + LINE, [VKEY]);
  assert.equal(r.ok, true);
  assert.deepEqual(r.cosigned, [{ name: NAME, keyId: '7e6f4aaa', timestamp: 1679315147 }]);
  assert.deepEqual(r.missing, []);
  const other = cosignForTest(new Uint8Array(32).fill(7), 'w2.example', BODY, 1);
  const r2 = verifyCosignatures(BODY + '\n' + LOG_LINE + LINE, [VKEY, other.vkey]);
  assert.deepEqual(r2.missing, [other.vkey.split('+').slice(0, 2).join('+')]);
});

test('refuses a cosignature over another checkpoint', () => {
  const body = BODY.replace('20852163', '20852164');
  const r = verifyCosignatures(body + '\n' + LOG_LINE + LINE, [VKEY]);
  assert.equal(r.ok, false);
  assert.match(r.reason, /does not verify/);
});
