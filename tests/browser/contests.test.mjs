// Browser test of the results page on an election with two contests (elections/twocontests, one
// table's registered voters made unknown): the contest selector is shown, every view follows it,
// national figures equal `tallylog tally --contest <id> --format json`, and the turnout note says
// how many tables turnout leaves out.
// Usage: node contests.test.mjs <base url> <president tally json> <assembly tally json>
// Prints one line per check and "N passed, N failed" last; exits non-zero on any failure.
import { readFileSync } from 'node:fs';
import { check, run } from './harness.mjs';

const [base, presidentPath, assemblyPath] = process.argv.slice(2);
const expected = {
  president: JSON.parse(readFileSync(presidentPath, 'utf8')),
  assembly: JSON.parse(readFileSync(assemblyPath, 'utf8')),
};

// Waits until the app shows `hash` for `contest`.
const shown = (page, hash, contest) => page.waitForFunction(([h, c]) => {
  const app = document.getElementById('app');
  return app.dataset.ready === 'true' && app.dataset.rendered === h && app.dataset.contest === c;
}, [hash, contest], { timeout: 30000 });

async function nationalVotesMatch(page, contest) {
  const total = expected[contest].total;
  for (const [code, votes] of Object.entries(total.candidates)) {
    const got = await page.getAttribute(`[data-testid="cand-votes-${code}"]`, 'data-votes');
    check(`${contest}: national votes of ${code} equal the tally (${votes})`, Number(got) === votes, `page shows ${got}`);
  }
  const valid = await page.textContent('[data-testid="total-valid"]');
  check(`${contest}: national valid votes equal the tally (${total.valid})`, Number(valid.replace(/\D/g, '')) === total.valid, valid);
}

await run(async (context) => {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(base + '/', { waitUntil: 'load' });
  await shown(page, '#/', 'president');
  check('the contest selector is shown, listing both contests',
    await page.isVisible('[data-testid="contest"]') &&
      (await page.locator('[data-testid="contest"] option').count()) === 2);
  check('the first contest is shown first', (await page.inputValue('[data-testid="contest"]')) === 'president');
  await nationalVotesMatch(page, 'president');
  check('the other contest\'s candidates are not listed',
    (await page.locator('[data-testid="cand-votes-UN"]').count()) === 0);

  // Turnout leaves out the table whose registered voters are unknown, and the page says so.
  const excluded = expected.president.total.turnout_excluded_tables;
  const note = (await page.locator('[data-testid="turnout-excluded"]').textContent()) || '';
  check(`the turnout note states the ${excluded} table(s) left out`, excluded === 1 && note.replace(/\D/g, '') === String(excluded), note);

  // Switching the contest re-renders the view for it; the export link and the address follow.
  await page.selectOption('[data-testid="contest"]', 'assembly');
  await shown(page, '#/', 'assembly');
  await nationalVotesMatch(page, 'assembly');
  check('after switching, the first contest\'s candidates are gone',
    (await page.locator('[data-testid="cand-votes-AR"]').count()) === 0);
  const href = await page.getAttribute('#export-link', 'href');
  check('the export link names the contest', href.includes('contest=assembly'), href);
  check('the address keeps the contest', new URL(page.url()).searchParams.get('contest') === 'assembly', page.url());

  // Every view follows it: a state, the flags and forensics views, a table's sheets.
  const state = expected.assembly.areas[0];
  await page.goto(base + `/?contest=assembly#/area/1/${state.code}`);
  await shown(page, `#/area/1/${state.code}`, 'assembly');
  const stateUN = await page.getAttribute('[data-testid="cand-votes-UN"]', 'data-votes');
  check(`a state's view is the contest's (${state.code}: UN ${state.candidates.UN})`, Number(stateUN) === state.candidates.UN, stateUN);
  for (const view of ['#/flags', '#/forensics']) {
    await page.goto(base + `/?contest=assembly${view}`);
    await shown(page, view, 'assembly');
    check(`${view} renders for the contest`, (await page.locator('[data-testid="error"]').count()) === 0);
  }
  await page.goto(base + '/?contest=assembly#/table/0101.01');
  await shown(page, '#/table/0101.01', 'assembly');
  const text = (await page.textContent('#app')) || '';
  check('a table\'s view shows the contest\'s sheet', text.includes('Unidad') && !text.includes('Ana Rivas'));

  check('no script errors', errors.length === 0, errors.join('; '));
});
