// The static site's search (src/search.js) against the cases of src/tallylog/tally/search_test.cc
// and the route's refusals in src/tallylog/http/api_test.cc. The server-vs-page comparison on the
// bundled VE data is in tests/publish/publish_cli_test.sh (search_diff.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldForSearch, searchAreas, searchRequest, searchAnswer, parseQuery } from '../src/search.js';

const utf8 = (s) => new TextEncoder().encode(s);
const bytes = (...b) => Uint8Array.from(b);

// search_test.cc's places(): state > parish > centre (> table, not in the index), as
// GET /api/v1/search-index lists them: level by level, code order, parent = index in `areas`, the
// folded text only where ASCII lowercasing "name code" does not give it (written out by hand).
const index = {
  levels: [{ level: 'state', depth: 1, areas: 3 }, { level: 'parish', depth: 2, areas: 4 }, { level: 'centre', depth: 3, areas: 5 }],
  max_query_bytes: 200,
  max_words: 8,
  areas: [
    [-1, '01', 'DTTO. CAPITAL', 1],
    [-1, '10', 'EDO. FALCÓN', 1, 'edo. falcon 10'],
    [-1, '22', 'EDO. LA GUAIRA', 3],
    [0, '010101', 'PQ. ALTAGRACIA', 1],
    [1, '100101', 'PQ. SOUBLETTE', 1],
    [2, '220101', 'PQ. CARLOS SOUBLETTE', 2],
    [2, '220102', 'PQ. MAIQUETÍA', 1, 'pq. maiquetia 220102'],
    [3, '010101001', 'LICEO ANDRÉS BELLO', 1, 'liceo andres bello 010101001'],
    [4, '100101001', '100101001', 1],
    [5, '220101001', 'ESCUELA JOSÉ MARÍA VARGAS', 1, 'escuela jose maria vargas 220101001'],
    [5, '220101002', '220101002', 1],
    [6, '220102001', 'U.E. PEÑA', 1, 'u.e. pena 220102001'],
  ],
};
const codes = (hits) => hits.map((h) => index.areas[h.i][1]);
const search = (q, limit = 20) => codes(searchAreas(index, typeof q === 'string' ? utf8(q) : q, limit));
const refusal = (fn) => { try { fn(); } catch (e) { return e.status === 400 ? e.message : `not a 400: ${e}`; } return null; };

test('FoldForSearch lowercases and strips Spanish accents', () => {
  assert.equal(foldForSearch(utf8('PQ. CARLOS SOUBLETTE')), 'pq. carlos soublette');
  assert.equal(foldForSearch(utf8('ÁÉÍÓÚÜÑ áéíóúüñ Ç')), 'aeiouun aeiouun c');
  assert.equal(foldForSearch(bytes(0x46, 0x61, 0x6c, 0x63, 0x6f, 0xcc, 0x81, 0x6e)), 'falcon');  // o + U+0301
  assert.equal(foldForSearch(utf8('straße')), 'strasse');
  assert.equal(foldForSearch(utf8('Æsir')), 'aesir');
  assert.equal(foldForSearch(utf8('×÷')), '×÷');
  assert.equal(foldForSearch(utf8('Ωmega € 😀')), 'Ωmega € 😀');
});

test('FoldForSearch refuses ill-formed UTF-8', () => {
  for (const bad of [[0xc3], [0x61, 0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xff]])
    assert.equal(foldForSearch(bytes(...bad)), null, JSON.stringify(bad));
  assert.equal(foldForSearch(bytes(0x61, 0, 0x62)), 'a\0b');  // NUL is ASCII: kept
});

test('SearchAreas finds the parish and its centres, accent- and case-insensitive', () => {
  for (const q of ['soublette', 'SOUBLETTE', 'Soublétte']) {
    const hits = searchAreas(index, utf8(q), 20);
    assert.deepEqual(codes(hits), ['100101', '220101', '100101001', '220101001', '220101002'], q);
    assert.equal(hits[0].place, false);
    assert.equal(hits[2].place, true);
  }
  assert.deepEqual(search('Carlos Soublette'), ['220101', '220101001', '220101002']);
});

test('SearchAreas by centre name, code and place words', () => {
  assert.deepEqual(search('jose maria'), ['220101001']);
  assert.deepEqual(search('pena'), ['220102001']);
  assert.deepEqual(search('PEÑA'), ['220102001']);
  assert.deepEqual(search('220102001'), ['220102001']);
  assert.deepEqual(search('vargas guaira'), ['220101001']);  // a word of the centre, one of its state
  assert.deepEqual(search('caracas'), []);
  assert.deepEqual(search('falcon'), ['10', '100101', '100101001']);  // the folded text of the index
});

test('SearchAreas is bounded, own-name matches first', () => {
  const hits = searchAreas(index, utf8('pq'), 2);
  assert.equal(hits.length, 2);
  assert.ok(hits.every((h) => !h.place));
  assert.deepEqual(search('pq', 0), []);
  // Own-name matches of a later level come before place matches of an earlier one.
  assert.deepEqual(search('guaira', 4), ['22', '220101', '220102', '220101001']);
  assert.deepEqual(searchAreas(index, utf8('guaira'), 4).map((h) => h.place), [false, true, true, true]);
});

test('SearchAreas refuses hostile queries with the server\'s words', () => {
  assert.equal(refusal(() => search('')), 'the query has no letter or digit');
  assert.equal(refusal(() => search(' .,;- ')), 'the query has no letter or digit');
  assert.equal(refusal(() => search('a'.repeat(201))), 'the query is longer than 200 bytes');
  assert.equal(refusal(() => search('a'.repeat(200))), null);
  assert.equal(refusal(() => search('a b c d e f g h i')), 'the query has more than 8 words');
  assert.equal(refusal(() => search(bytes(0x73, 0x6f, 0x75, 0x62, 0x6c, 0xc3))), 'ill-formed UTF-8');
  assert.equal(refusal(() => search('%')), 'the query has no letter or digit');
  assert.deepEqual(search("' OR 1=1 --"), []);  // SQL or regex syntax is just text
  assert.deepEqual(search('caracas.*'), []);
});

test('the route\'s parameters: percent-decoding, + as space, the first of a repeated name', () => {
  const p = parseQuery('?q=Carlos+Soubl%C3%A9tte&limit=5&q=other&x=%zz%4');
  assert.equal(new TextDecoder().decode(p.get('q')), 'Carlos Soublétte');
  assert.equal(new TextDecoder().decode(p.get('x')), '%zz%4');
  assert.deepEqual(searchRequest('q=pq&limit=05'), { q: utf8('pq'), limit: 5 });
  assert.equal(searchRequest('q=pq&limit=').limit, 20);
  assert.equal(searchRequest('q=pq').limit, 20);
});

test('the route refuses what the server refuses (api_test.cc), with the same message and field', () => {
  const answer = (query) => searchAnswer(index, searchRequest(query));
  const bad = (query) => { try { answer(query); } catch (e) { return e.status === 400 ? `${e.field}: ${e.message}` : String(e); } return null; };
  for (const q of ['', 'q=']) assert.equal(bad(q), 'q: q: required', q);
  for (const q of ['q=r&limit=0', 'q=r&limit=51', 'q=r&limit=-1', 'q=r&limit=99999999999999999999', 'q=r&limit=1e1'])
    assert.equal(bad(q), 'limit: limit: a number from 1 to 50', q);
  // Api::handle refuses a parameter that is not UTF-8 before the route sees it.
  assert.equal(bad('q=%C3'), 'q: q: not valid UTF-8');
  assert.equal(bad('q=%ED%A0%80'), 'q: q: not valid UTF-8');
  assert.equal(bad('limit=0&q=%C3'), 'q: q: not valid UTF-8');  // before the route's own checks
  assert.equal(bad('q=r&x=%FF'), 'x: x: not valid UTF-8');
  assert.equal(bad('q=r&%FF=1'), 'query: query: a parameter name is not valid UTF-8');
  assert.equal(bad('q=...'), 'q: q: the query has no letter or digit');
  assert.equal(bad('q=a%20b%20c%20d%20e%20f%20g%20h%20i'), 'q: q: the query has more than 8 words');
  assert.equal(bad(`q=${'a'.repeat(201)}`), 'q: q: the query is longer than 200 bytes');
  assert.equal(bad(`q=${'%C3%A9'.repeat(101)}`), 'q: q: the query is longer than 200 bytes');  // bytes, not characters
});

test('the answer has the server\'s shape: areas with the areas enclosing them, truncated when more', () => {
  const a = searchAnswer(index, searchRequest('q=Carlos+Soubl%C3%A9tte&limit=2'));
  assert.deepEqual(a, {
    q: 'Carlos Soublétte',
    truncated: true,
    results: [
      { level: 'parish', depth: 2, code: '220101', name: 'PQ. CARLOS SOUBLETTE', match: 'name', tables_registered: 2,
        within: [{ level: 'state', depth: 1, code: '22', name: 'EDO. LA GUAIRA' }] },
      { level: 'centre', depth: 3, code: '220101001', name: 'ESCUELA JOSÉ MARÍA VARGAS', match: 'place', tables_registered: 1,
        within: [{ level: 'state', depth: 1, code: '22', name: 'EDO. LA GUAIRA' },
          { level: 'parish', depth: 2, code: '220101', name: 'PQ. CARLOS SOUBLETTE' }] },
    ],
  });
  assert.equal(searchAnswer(index, searchRequest('q=carlos+soublette&limit=3')).truncated, false);
  assert.deepEqual(searchAnswer(index, searchRequest('q=nowhere')), { q: 'nowhere', results: [], truncated: false });
  assert.equal(searchAnswer(index, searchRequest('q=%EF%BB%BFpena')).q, '\uFEFFpena');  // a BOM is kept, as echoed
});

test('an index whose level counts do not add up is refused', () => {
  assert.throws(() => searchAreas({ ...index, levels: [{ level: 'state', depth: 1, areas: 2 }] }, utf8('pq'), 5), /do not add up/);
});
