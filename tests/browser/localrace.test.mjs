// Browser test of the results page on a contest decided per area (tests/fixtures/localrace: a
// mayor's race, decided_at = "municipality"): the national and state views show no error and no
// summed candidate table but the races, each municipality's leader equal to `tallylog bound`; a
// municipality's view lists only its candidates, with votes equal to `tallylog tally --level
// municipality`.
// Usage: node localrace.test.mjs <base url> <bound json> <municipality tally json>
// Prints one line per check and "N passed, N failed" last; exits non-zero on any failure.
import { readFileSync } from 'node:fs';
import { check, run } from './harness.mjs';

const [base, boundPath, tallyPath] = process.argv.slice(2);
const bound = JSON.parse(readFileSync(boundPath, 'utf8'));
const tally = JSON.parse(readFileSync(tallyPath, 'utf8'));

const shown = (page, hash) => page.waitForFunction((h) => {
  const app = document.getElementById('app');
  return (app.dataset.ready === 'true' && app.dataset.rendered === h) || !!document.querySelector('[data-testid="error"]');
}, hash, { timeout: 30000 });

await run(async (context) => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(base + '/', { waitUntil: 'load' });
  await shown(page, '#/');
  const err = page.locator('[data-testid="error"]');
  check('the national view shows no error', (await err.count()) === 0, (await err.count()) ? await err.first().textContent() : '');
  check('the national view has no summed candidate table', (await page.locator('[data-testid="candidates"]').count()) === 0);
  check('the national view says the contest is decided per municipality',
    /municipio/i.test((await page.locator('[data-testid="decided-per"]').textContent().catch(() => '')) || ''));
  check(`the races list has one row per municipality (${bound.areas.length})`,
    bound.areas.length === 3 && (await page.locator('[data-testid="races"] tbody tr').count()) === bound.areas.length);
  for (const a of bound.areas) {
    const got = await page.getAttribute(`[data-testid="race-leader-${a.code}"]`, 'data-candidate').catch(() => null);
    check(`race ${a.code}: the leader is tallylog bound's (${a.bound.leader.candidate})`, got === a.bound.leader.candidate, `page shows ${got}`);
  }

  // A state (above the decided level): its municipalities' races only.
  await page.goto(base + '/#/area/1/01');
  await shown(page, '#/area/1/01');
  check('a state view shows no error', (await err.count()) === 0);
  const rows = await page.locator('[data-testid="races"] tbody tr').evaluateAll((r) => r.map((x) => x.dataset.race).sort());
  check('a state view lists its own municipalities\' races (0101, 0102)', rows.join(',') === '0101,0102', rows.join(','));

  // A municipality (the decided level): reached from the races list; only its candidates.
  await page.goto(base + '/', { waitUntil: 'load' });
  await shown(page, '#/');
  const m = tally.areas.find((a) => a.code === '0101');
  await page.click('[data-testid="races"] a[data-code="0101"]');
  await shown(page, '#/area/2/0101');
  check('a municipality view shows no error', (await err.count()) === 0);
  const listed = await page.locator('[data-testid="candidates"] [data-testid^="cand-votes-"]').evaluateAll(
    (c) => c.map((x) => x.dataset.testid.replace('cand-votes-', '')).sort());
  const expectedCodes = Object.keys(m.candidates).sort();
  check(`the municipality lists only its candidates (${expectedCodes.join(',')})`, listed.join(',') === expectedCodes.join(','), listed.join(','));
  for (const [cand, votes] of Object.entries(m.candidates)) {
    const got = await page.getAttribute(`[data-testid="cand-votes-${cand}"]`, 'data-votes');
    check(`0101: votes of ${cand} equal tallylog tally --level municipality (${votes})`, Number(got) === votes, `page shows ${got}`);
  }
  // A table of that municipality: its sheet's rows name only the municipality's candidates.
  await page.goto(base + '/#/table/0101.01');
  await shown(page, '#/table/0101.01');
  const sheetText = (await page.locator('[data-testid="sheets-table"]').textContent().catch(() => '')) || '';
  check('a table view lists only its municipality\'s candidates (Lucía Gómez, Raúl Pérez; not Ana Vidal)',
    sheetText.includes('Lucía Gómez') && sheetText.includes('Raúl Pérez') && !sheetText.includes('Ana Vidal'), sheetText.slice(0, 200));
  check('no script errors', errors.length === 0, errors.join('; '));
});
