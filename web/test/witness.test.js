// The witness page's pure core (src/witness/sheet.js): the ve2024-acta profile against the
// documented example (docs/formats/qr-profiles.md) and its rejections, and the exact bytes a
// device signs (docs/formats/devices.md). The browser test (tests/browser/witness.test.mjs) shows
// the server accepts those signatures end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonical, enrolmentMessage, parsePayload, sheetMessage, sourceFor } from '../src/witness/sheet.js';

const EXAMPLE = '240111018.01.1.0001!154,10,2,4,10,1,0,2,12,1,0,1,10,4,0,0,0,1,0,1,0,0,0,0,0,0,1,0,1,0,0,0,1,9,14,294,2,1!1!0';
// Ballot order of elections/ve2024: cards 1-13 NM, 14-19 LM, 20 JABE, 21-24 JOBR, 25-30 AE, 31 CF,
// 32-33 DC, 34-36 EG, 37 EM, 38 BERA.
const RANGES = [['NM', 13], ['LM', 6], ['JABE', 1], ['JOBR', 4], ['AE', 6], ['CF', 1], ['DC', 2], ['EG', 3], ['EM', 1], ['BERA', 1]];
const cards = RANGES.flatMap(([c, n]) => Array(n).fill(c)).map((candidate, i) => ({ position: i + 1, party: 'P' + i, candidate }));
const ELECTION = { qr_profile: 've2024-acta', cards, candidates: RANGES.map(([code]) => ({ code, name: code })) };
const dec = new TextDecoder();

test('parses the documented example as the server profile does', () => {
  const { sheet, error } = parsePayload(EXAMPLE, ELECTION);
  assert.equal(error, undefined);
  assert.equal(sheet.station, '240111018.01');
  assert.equal(sheet.cards.length, 38);
  assert.equal(sheet.candidates.NM, 207);
  assert.equal(sheet.candidates.EG, 317);
  assert.equal(sheet.candidates.JABE, 1);
  assert.equal(Object.keys(sheet.candidates).length, 10);  // every candidate, zeros included
  assert.deepEqual(sheet.fields, { valid: sheet.cards.reduce((a, b) => a + b), null: 1 });
  assert.equal(sheet.qr_payload, EXAMPLE);
});

test('rejects what the server profile rejects, naming the part', () => {
  const parts = EXAMPLE.split('!');
  const bad = {
    'acta id': ['24011101.01.1.0001', ...parts.slice(1)].join('!'),
    'counts:': [parts[0], parts[1].split(',').slice(1).join(','), parts[2], parts[3]].join('!'),
    'counts[0] (card 1)': [parts[0], '+1' + parts[1].slice(3), parts[2], parts[3]].join('!'),
    'null': [parts[0], parts[1], 'x', parts[3]].join('!'),
    '4th field': [parts[0], parts[1], parts[2], '-'].join('!'),
    'parts': parts.slice(0, 3).join('!'),
    'printable': EXAMPLE + ' ',
  };
  for (const [what, payload] of Object.entries(bad)) {
    const r = parsePayload(payload, ELECTION);
    assert.ok(r.error && r.error.includes(what), `${what}: ${r.error}`);
  }
  assert.ok(parsePayload(EXAMPLE, { ...ELECTION, qr_profile: 'br-boletim' }).error.includes('br-boletim'));
  assert.ok(parsePayload(EXAMPLE.replace('!154,', '!1234567890,'), ELECTION).error.includes('card 1'));
});

test('signs the sheet as it will be logged: sorted members, no submitter, no signature', () => {
  const sheet = { station: '1.01', source: 'witness:mud', candidates: { NM: 2, EG: 1 }, fields: { valid: 3 },
    device_key: 'k+00000000+AQ==', device_signature: 'x', submitted_by: 'y', submitted_at: 'z', contest: '' };
  assert.equal(dec.decode(sheetMessage(sheet)),
    'tallylog sheet signature v1\n{"candidates":{"EG":1,"NM":2},"device_key":"k+00000000+AQ==","fields":{"valid":3},' +
    '"source":"witness:mud","station":"1.01","type":"sheet","v":1}');
});

test('signs the enrolment record in the documented form', () => {
  assert.equal(dec.decode(enrolmentMessage({ code: 'TL-A', deviceKey: 'k', org: 'mud', sources: ['witness:mud'] })),
    'tallylog device record v1\n{"action":"enrol","code":"TL-A","device_key":"k","org":"mud","sources":["witness:mud"],"type":"device","v":1}');
  assert.equal(canonical({ b: 'é"', a: [1, 2] }), '{"a":[1,2],"b":"é\\""}');
  assert.throws(() => canonical({ a: 2 ** 53 }));
});

test('submits for the enrolment\'s first plain source, or the organisation\'s under a pattern', () => {
  assert.equal(sourceFor(['witness:*', 'witness:mud'], 'mud'), 'witness:mud');
  assert.equal(sourceFor(['witness:*'], 'mud'), 'witness:mud');
});
