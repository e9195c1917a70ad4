// Browser test of the citizen view (issue 14): search as you type, the map of the first level,
// the acta image beside the numbers, Spanish and English.
// Usage: node citizen.test.mjs <base url> <expected state tally json> [<table with a scanned image>]
// (the JSON of `tallylog tally --level state --format json`). Prints one line per check and
// "N passed, N failed" last; exits non-zero on any failure.
import { readFileSync } from 'node:fs';
import { check, run, openPage } from './harness.mjs';

const [base, statesPath, imageTable] = process.argv.slice(2);
const expectedStates = JSON.parse(readFileSync(statesPath, 'utf8'));

const leaderOf = (a) => {
  const e = Object.entries(a.candidates || {}).sort((x, y) => y[1] - x[1]);
  return e.length && e[0][1] > 0 && (e.length < 2 || e[0][1] !== e[1][1]) ? e[0][0] : '';
};

await run(async (context) => {
  const { page, errors, external } = await openPage(context, base);

  // 1. Search as you type: "soublette" lists the parish Carlos Soublette and its centres.
  const search = page.locator('[data-testid="search"]');
  const results = page.locator('[data-testid="search-results"]');
  const typeAndWait = async (text) => {
    await search.fill('');
    await search.pressSequentially(text, { delay: 30 });
    await page.waitForFunction((q) => document.querySelector('[data-testid="search-results"]').dataset.q === q, text, { timeout: 15000 });
  };
  const api = await (await page.request.get(`${base}/api/v1/search?q=Carlos%20Soublette&limit=50`)).json();
  const parish = api.results.find((r) => r.level === 'parish' && /CARLOS SOUBLETTE/.test(r.name));
  check('the API finds the parish Carlos Soublette', !!parish, JSON.stringify(api.results.slice(0, 2)));
  const centres = api.results.filter((r) => r.level === 'centre' && r.within.some((w) => w.code === parish.code));
  check('the API lists the centres of Carlos Soublette', centres.length > 0, `${centres.length} centres`);
  for (const text of ['soublette', 'Carlos Soublette', 'SOUBLÉTTE']) {
    await typeAndWait(text);
    const parishLink = results.locator(`a[data-level="parish"][data-code="${parish.code}"]`);
    check(`typing "${text}" lists the parish Carlos Soublette`, (await parishLink.count()) === 1 &&
      /CARLOS SOUBLETTE/.test(await parishLink.textContent()));
    const shownCentres = await results.locator('a[data-level="centre"]').evaluateAll((as) => as.map((a) => a.dataset.code));
    check(`typing "${text}" lists centres of Carlos Soublette`,
      centres.some((c) => shownCentres.includes(c.code)), `shown ${shownCentres.join(',')}`);
  }
  // A centre found by its code.
  await typeAndWait(centres[0].code);
  check('typing a centre code lists that centre', (await results.locator(`a[data-level="centre"][data-code="${centres[0].code}"]`).count()) === 1);

  // 2. Clicking a result navigates to it.
  await typeAndWait('carlos soublette');
  await results.locator(`a[data-level="parish"][data-code="${parish.code}"]`).click();
  const target = `#/area/3/${parish.code}`;
  await page.waitForFunction((h) => decodeURIComponent(document.getElementById('app').dataset.rendered || '') === h, target, { timeout: 30000 });
  check('clicking the parish shows its view', /CARLOS SOUBLETTE/.test(await page.textContent('[data-testid="area-title"]')));
  const childCodes = await page.locator('[data-testid="children"] a[data-code]').evaluateAll((as) => as.map((a) => a.dataset.code));
  check('the parish view lists its centres', centres.every((c) => childCodes.includes(c.code)), `${childCodes.length} children`);
  check('the results list closes after a pick', await results.isHidden());

  // 3. The map: 24 state shapes, each with the leader of /api/v1/tally?level=state.
  await page.goto(base + '/#/');
  await page.waitForFunction(() => (document.getElementById('app').dataset.rendered || '') === '#/', null, { timeout: 30000 });
  await page.waitForSelector('[data-testid="map"]', { timeout: 15000 });
  const live = await (await page.request.get(`${base}/api/v1/tally?level=state`)).json();
  check('the API tally equals `tallylog tally --level state`', JSON.stringify(live.areas.map((a) => a.candidates)) ===
    JSON.stringify(expectedStates.areas.map((a) => a.candidates)));
  const shapes = await page.locator('[data-testid="map"] path[data-code]').evaluateAll((ps) => ps.map((p) => ({
    code: p.dataset.code, leader: p.dataset.leader, fill: p.getAttribute('fill'), label: p.getAttribute('aria-label') })));
  check('the map draws 24 state shapes', shapes.length === 24 && live.areas.length === 24, `${shapes.length} shapes`);
  const byCode = new Map(shapes.map((s) => [s.code, s]));
  const legend = new Map(await page.locator('[data-testid="map-legend"] li').evaluateAll((ls) =>
    ls.map((l) => [l.dataset.candidate, l.querySelector('.swatch').style.backgroundColor])));
  const rgb = (hex) => `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;
  const names = Object.fromEntries((await (await page.request.get(`${base}/api/v1/election`)).json()).candidates.map((c) => [c.code, c.name]));
  let wrong = [];
  for (const a of live.areas) {
    const s = byCode.get(a.code);
    const want = leaderOf(a);
    if (!s || s.leader !== want || !legend.has(want) || rgb(s.fill) !== legend.get(want) || !s.label.includes(names[want])) {
      wrong.push(`${a.code} ${a.name}: want ${want}, shape ${JSON.stringify(s)}`);
    }
  }
  check('every state shape has the leader of the tally, its legend colour and name', wrong.length === 0, wrong.slice(0, 3).join('; '));
  // Clicking a state drills down to it.
  // (Bolívar: a large shape whose box centre lies inside it, where a real click lands.)
  const first = live.areas.find((a) => /BOLIVAR/.test(a.name)) || live.areas[0];
  await page.locator(`[data-testid="map"] path[data-code="${first.code}"]`).click();
  await page.waitForFunction((h) => decodeURIComponent(document.getElementById('app').dataset.rendered || '') === h,
    `#/area/1/${first.code}`, { timeout: 30000 });
  check('clicking a state shape shows that state', (await page.textContent('[data-testid="area-title"]')).includes(first.name));

  // 4. Spanish and English for the new labels.
  await page.goto(base + '/#/');
  await page.waitForFunction(() => (document.getElementById('app').dataset.rendered || '') === '#/', null, { timeout: 30000 });
  await page.waitForSelector('[data-testid="map"]');
  const esPlaceholder = await search.getAttribute('placeholder');
  const esMap = await page.textContent('[data-testid="map"] h2');
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en' && document.getElementById('app').dataset.ready === 'true', null, { timeout: 30000 });
  // The view re-renders after the switch (the map last, once its shapes are drawn): wait for the
  // English map, or give up after 30 s and let the check below say what was there.
  await page.waitForFunction((es) => {
    const h = document.querySelector('[data-testid="map"] h2');
    return h && h.textContent !== es;
  }, esMap, { timeout: 30000 }).catch(() => {});
  const enPlaceholder = await search.getAttribute('placeholder');
  const enMap = await page.textContent('[data-testid="map"] h2');
  check('the search placeholder changes from Spanish to English', /Buscar/.test(esPlaceholder) && /Search/.test(enPlaceholder), `${esPlaceholder} / ${enPlaceholder}`);
  check('the map title changes from Spanish to English', /estado/.test(esMap) && /state/.test(enMap) && esMap !== enMap, `${esMap} / ${enMap}`);
  await typeAndWait('zzzzqqq');
  check('"no results" is in English after switching', (await page.textContent('[data-testid="search-status"]')) === 'No results');
  const enLegend = await page.textContent('[data-testid="map-legend"]');
  check('the map legend is in English', /leads/.test(enLegend), enLegend);
  await page.click('#lang');

  // 5. A table's acta image beside its numbers on a wide screen, below them on a phone; lazy.
  if (imageTable) {
    for (const [w, h, beside] of [[1280, 900, true], [390, 844, false]]) {
      await page.setViewportSize({ width: w, height: h });
      await page.goto(`${base}/#/table/${encodeURIComponent(imageTable)}`);
      await page.waitForFunction((t) => decodeURIComponent(document.getElementById('app').dataset.rendered || '') === t,
        `#/table/${imageTable}`, { timeout: 30000 });
      const img = page.locator('[data-testid="sheet-image"]').first();
      await img.scrollIntoViewIfNeeded();
      const loaded = (await img.count()) === 1 && await img.evaluate(async (el) => {
        if (!el.complete) await new Promise((r) => { el.onload = r; el.onerror = r; });
        return el.naturalWidth > 0 && el.loading === 'lazy';
      });
      const t = await page.locator('[data-testid="sheets-table"]').boundingBox();
      const i = await img.boundingBox();
      const ok = loaded && t && i && (beside ? i.x >= t.x + t.width - 1 && i.y < t.y + t.height : i.y >= t.y + t.height - 1);
      check(`at ${w}px the acta image loads lazily ${beside ? 'beside' : 'below'} the numbers`, ok, JSON.stringify({ loaded, t, i }));
    }
  }

  check('no page errors', errors.length === 0, errors.join('; '));
  check('no request leaves the server', external.length === 0, external.join(', '));
});
