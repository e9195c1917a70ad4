// Browser test of the static site (`tallylog publish`) served by nginx: the checks of page.test.mjs
// that a static copy can pass, against the published files, and the server-only views degrading
// with a message instead of a script error. Usage:
//   node static.test.mjs <base url> <expected tally json> <published dir>
// Prints one line per check, the static-skipped checks with their reason, and "N passed, N failed" last.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, run } from './harness.mjs';

const [base, expectedPath, site] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
const published = (rel) => JSON.parse(readFileSync(join(site, rel), 'utf8'));

// page.test.mjs checks a static copy cannot pass, and why (kept minimal; printed every run).
const staticSkipped = [
  ['drill-down below the national page, the table page, its sheet proofs, image and forged checkpoint',
    'per-area drill-down (?parent=) and a table\'s sheets with inclusion proofs are server routes'],
  ['the export link downloads CSV', 'the CSV export is generated per request'],
  ['the forensics view', 'forensics plots (SVG) are rendered by the server'],
  ['the checkpoint memory across visits (consistency proofs)', '/api/v1/log/consistency is a server route'],
];
for (const [what, why] of staticSkipped) console.log(`skip ${what} (static-skipped: ${why})`);

await run(async (context) => {
  const page = await context.newPage();
  const errors = [];
  const external = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });

  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForSelector('#app[data-ready="true"]', { timeout: 30000 });
  const total = expected.total;
  for (const [code, votes] of Object.entries(total.candidates)) {
    const shown = await page.getAttribute(`[data-testid="cand-votes-${code}"]`, 'data-votes');
    check(`national votes of ${code} equal the tally (${votes})`, Number(shown) === votes, `page shows ${shown}`);
  }
  const validText = await page.textContent('[data-testid="total-valid"]');
  check('national valid votes equal the tally', Number(validText.replace(/\D/g, '')) === total.valid, validText);
  const counted = await page.textContent('[data-testid="tables-counted"]');
  check('coverage shows tables counted of registered',
    counted.replace(/\D/g, '') === `${total.tables_reported}${total.tables_registered}`, counted);
  check('the outcome bound is shown', (await page.locator('[data-testid="bound"]').count()) === 1);
  const bound = published('api/v1/bound/_all.json');
  const missingText = (await page.locator('[data-testid="bound-missing-tables"]').textContent()) || '';
  check('the bound states the tables missing from the registry and the assumed cap',
    missingText.replace(/\D/g, '').startsWith(String(bound.unregistered_tables.count)) &&
      missingText.replace(/\D/g, '').endsWith(String(bound.unregistered_tables.max_voters_per_table)), missingText);
  if (total.cards && total.cards.length) {
    const rows = await page.locator('[data-testid="cards"] tbody tr').count();
    check('per-card totals are listed, one row per card', rows === total.cards.length, `${rows} rows`);
    const v1 = await page.textContent('[data-testid="card-votes-1"]');
    check('card 1 votes equal the tally', Number(v1.replace(/\D/g, '')) === total.cards[0], v1);
  }
  await page.waitForSelector('#log-status[data-checked="true"]', { timeout: 30000 });
  const logStatus = (await page.textContent('#log-status')) || '';
  check('the page checks the published checkpoint (static /log/checkpoint)', logStatus.length > 0, logStatus);

  await page.goto(base + '/#/flags');
  await page.waitForFunction(() => (document.getElementById('app').dataset.rendered || '') === '#/flags', null, { timeout: 30000 });
  const flags = published('api/v1/flags/_all.json');
  check('the flags view renders the published answer', (await page.locator('h1').textContent()).length > 0 &&
    flags.sheets_flagged === 0 && flags.rules.length === 0);

  await page.goto(base + '/#/discrepancies');
  await page.waitForFunction(() => (document.getElementById('app').dataset.rendered || '').startsWith('#/discrepancies') &&
    document.querySelector('h1'), null, { timeout: 30000 });
  check('the discrepancies page compares official with qr',
    (await page.inputValue('[data-testid="source-a"]')) === 'official' && (await page.inputValue('[data-testid="source-b"]')) === 'qr');
  const level1 = published('api/v1/election.json').levels[0].code;
  const cmp = published(`api/v1/compare/official/qr/${level1}.json`);
  const cards = (await page.locator('.cards .card .v').allTextContents()).map((v) => Number(v.replace(/\D/g, '')));
  check('the discrepancy counts equal the published comparison',
    JSON.stringify(cards) === JSON.stringify([cmp.matching, cmp.differing.length, cmp.only_a, cmp.only_b]), JSON.stringify(cards));

  // A view that needs the server says so instead of failing silently.
  await page.goto(base + '/');
  await page.waitForSelector('#app[data-ready="true"]', { timeout: 30000 });
  const link = page.locator('[data-testid="children"] a[data-code]').first();
  if ((await link.count()) === 1) {
    await link.click();
    await page.waitForFunction(() => /static copy/.test(document.getElementById('app').textContent), null, { timeout: 15000 })
      .catch(() => {});
    check('a drill-down on the static site says it needs the live server',
      /static copy/.test(await page.textContent('#app')), (await page.textContent('#app')).slice(0, 200));
  } else {
    check('a drill-down link is on the national page', false, 'none found');
  }
  check('no script errors', errors.length === 0, errors.join('; '));
  check('no request leaves the site (works offline, no CDN)', external.length === 0, external.join(' '));
});
