// The map's matching of the election's first-level names with Natural Earth's (src/citizen.js),
// on the bundled Venezuela 2024 spellings and the shapes web/geo.mjs builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldName, matchAreas, leaderOf } from '../src/citizen.js';
import { admin1Svg } from '../geo.mjs';

// The 24 first-level areas of elections/ve2024 (/api/v1/areas?level=state).
const VE2024 = ['DTTO. CAPITAL', 'EDO. ANZOATEGUI', 'EDO. APURE', 'EDO. ARAGUA', 'EDO. BARINAS', 'EDO. BOLIVAR',
  'EDO. CARABOBO', 'EDO. COJEDES', 'EDO. FALCON', 'EDO. GUARICO', 'EDO. LARA', 'EDO. MERIDA', 'EDO. MIRANDA',
  'EDO. MONAGAS', 'EDO.NVA.ESPARTA', 'EDO. PORTUGUESA', 'EDO. SUCRE', 'EDO. TACHIRA', 'EDO. TRUJILLO',
  'EDO. YARACUY', 'EDO. ZULIA', 'EDO. AMAZONAS', 'EDO. DELTA AMAC', 'EDO. LA GUAIRA'];

test('folds accents, prefixes and abbreviations', () => {
  assert.equal(foldName('EDO. TÁCHIRA'), foldName('Táchira'));
  assert.equal(foldName('EDO.NVA.ESPARTA'), 'nuevaesparta');
  assert.equal(foldName('DTTO. CAPITAL'), foldName('Distrito Capital'));
  assert.equal(foldName('Vargas'), foldName('EDO. LA GUAIRA'));
  assert.equal(foldName('Estado Vargas'), 'laguaira');
});

test('every Venezuela 2024 state matches exactly one shape, Dependencias Federales none', () => {
  const geo = admin1Svg({ iso: 'VE' });
  const areas = VE2024.map((name, i) => ({ code: String(i + 1).padStart(2, '0'), name }));
  const m = matchAreas(areas, geo.features);
  assert.equal(m.size, 24);
  assert.equal(new Set([...m.values()]).size, 24);
  const byName = Object.fromEntries(areas.map((a) => [a.name, m.get(a.code).name]));
  assert.equal(byName['EDO. LA GUAIRA'], 'Vargas');
  assert.equal(byName['DTTO. CAPITAL'], 'Distrito Capital');
  assert.equal(byName['EDO. DELTA AMAC'], 'Delta Amacuro');
  assert.equal(byName['EDO. MIRANDA'], 'Miranda');
  assert.ok(![...m.values()].some((f) => f.name === 'Dependencias Federales'));
  for (const f of geo.features) assert.match(f.d, /^M[0-9. LMZ-]+Z$/);
});

test('an election whose names fit no shape matches nothing', () => {
  const m = matchAreas([{ code: 'R1', name: 'Region one' }, { code: 'R2', name: 'Region two' }], admin1Svg({ iso: 'VE' }).features);
  assert.equal(m.size, 0);
});

test('the leader is the most votes; a tie or no votes has none', () => {
  assert.equal(leaderOf({ candidates: { A: 3, B: 5 } }), 'B');
  assert.equal(leaderOf({ candidates: { A: 5, B: 5 } }), null);
  assert.equal(leaderOf({ candidates: { A: 0 } }), null);
});
