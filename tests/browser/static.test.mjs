// Browser test of the static site (`tallylog publish`) served by nginx: the checks of page.test.mjs
// that a static copy can pass, against the published files, and the server-only views degrading
// with a message instead of a script error; the search box, answered from the published index. Usage:
//   node static.test.mjs <base url> <expected tally json> <published dir> <table code> <data>/log.vkey
// Prints one line per check, the static-skipped checks with their reason, and "N passed, N failed" last.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, run, openPage, checkNationalTotals } from './harness.mjs';

const [base, expectedPath, site, tableCode, vkeyPath, witnessLabel] = process.argv.slice(2);
const vkey = readFileSync(vkeyPath, 'utf8').trim();
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
const published = (rel) => JSON.parse(readFileSync(join(site, rel), 'utf8'));

// page.test.mjs checks a static copy cannot pass, and why (kept minimal; printed every run).
const staticSkipped = [
  ['the export link downloads CSV', 'the CSV export is generated per request'],
  ['the forensics view', 'forensics plots (SVG) are rendered by the server'],
  ['the checkpoint memory across visits (consistency proofs)', '/api/v1/log/consistency is a server route'],
];
for (const [what, why] of staticSkipped) console.log(`skip ${what} (static-skipped: ${why})`);

await run(async (context) => {
  const searchFetches = [];  // the search index and the code that reads it
  const { page, errors, external } = await openPage(context, base, {
    onRequest: (url) => { if (/search-index\.json|\/assets\/search-[^/]*\.js/.test(url)) searchFetches.push(url); },
  });
  const total = expected.total;
  await checkNationalTotals(page, total);
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
  if (witnessLabel) {  // run.sh publishes a checkpoint cosigned by one witness, declared with --witness
    const cosigned = await page.getAttribute('[data-testid="witnesses"]', 'data-cosigned');
    const listed = await page.locator(`[data-testid="witnesses"] li.ok[data-witness="${witnessLabel}"]`).count();
    check('the static site shows the witness that cosigned the published checkpoint, checked in the browser',
      cosigned === '1' && listed === 1, `${cosigned} cosigned, ${listed} listed as ${witnessLabel}`);
  }

  // Search as you type, from the published index (static.js, search.js): fetched on the first
  // search only, once; "soublette" lists the parish Carlos Soublette and its centres.
  check('the first view downloads neither the search index nor its code', searchFetches.length === 0, searchFetches.join(' '));
  const index = published('api/v1/search-index.json');
  const parishAt = index.areas.findIndex((a) => /CARLOS SOUBLETTE/.test(a[2]));
  const parishCode = parishAt >= 0 ? index.areas[parishAt][1] : '';
  const centreCodes = index.areas.filter((a) => a[0] === parishAt).map((a) => a[1]);
  check('the published search index has the parish Carlos Soublette and its centres', parishAt >= 0 && centreCodes.length > 0,
    `${parishCode}: ${centreCodes.length} centres`);
  const search = page.locator('[data-testid="search"]');
  const results = page.locator('[data-testid="search-results"]');
  for (const text of ['soublette', 'SOUBLÉTTE']) {
    await search.fill('');
    await search.pressSequentially(text, { delay: 30 });
    await page.waitForFunction((q) => document.querySelector('[data-testid="search-results"]').dataset.q === q, text,
      { timeout: 15000 }).catch(() => {});  // a failure shows in the checks below, with the status line
    const status = (await page.textContent('[data-testid="search-status"]')) || '';
    const parishLink = results.locator(`a[data-level="parish"][data-code="${parishCode}"]`);
    check(`typing "${text}" on the static site lists the parish Carlos Soublette`, (await parishLink.count()) === 1 &&
      /CARLOS SOUBLETTE/.test(await parishLink.textContent()), status);
    const shown = await results.locator('a[data-level="centre"]').evaluateAll((as) => as.map((a) => a.dataset.code));
    // The list stops at 20 (the page's limit): some of its centres, and only centres of a Soublette parish.
    const inSoublette = (code) => { const a = index.areas.find((r) => r[1] === code); return !!a && /SOUBLETTE/.test(index.areas[a[0]][2]); };
    check(`typing "${text}" on the static site lists its centres`, centreCodes.some((c) => shown.includes(c)) &&
      shown.every(inSoublette), `shown ${shown.join(',')}`);
  }
  check('the search index and its code are each fetched once', searchFetches.filter((u) => /search-index/.test(u)).length === 1 &&
    searchFetches.length === 2, searchFetches.join(' '));

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

  // Drill down by clicking from the national page to the table (built from the published files).
  await page.goto(base + '/');
  await page.waitForSelector('#app[data-ready="true"]', { timeout: 30000 });
  const levels = published('api/v1/election.json').levels;
  const station = published(`api/v1/stations/${tableCode}/sheets.json`).station;
  for (let d = 0; d < levels.length; d++) {
    const code = station.areas[d].code;
    const link = page.locator(`[data-testid="children"] a[data-code="${code}"]`);
    if ((await link.count()) !== 1) { check(`drill-down link to ${levels[d].code} ${code}`, false, 'not found'); break; }
    const target = await link.getAttribute('href');
    await link.click();
    await page.waitForFunction((h) => decodeURIComponent(location.hash) === decodeURIComponent(h) &&
      decodeURIComponent(document.getElementById('app').dataset.rendered || '') === decodeURIComponent(h),
    target, { timeout: 60000 });
    if (d > 0 && d < levels.length - 1) {
      const crumbs = (await page.textContent('[data-testid="crumbs"]')) || '';
      check(`the ${levels[d].code} page names its ancestors`, station.areas.slice(0, d).every((a) => crumbs.includes(a.name || a.code)), crumbs);
    }
  }
  check('drilling down reaches the table page', (await page.locator('[data-testid="table-title"]').count()) === 1, page.url());
  const sheets = await page.locator('[data-testid="sheet"]').count();
  check('the table shows the official and the scanned sheet side by side', sheets >= 2, `${sheets} sheets`);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="proof-status"]')]
    .every((e) => e.dataset.verified !== undefined || e.classList.contains('muted')), null, { timeout: 15000 });
  const statuses = await page.locator('[data-testid="proof-status"]').evaluateAll((els) => els.map((e) => ({ v: e.dataset.verified, t: e.textContent })));
  check('every sheet proof verifies in the browser', statuses.length > 0 && statuses.every((s) => s.v === 'true'), JSON.stringify(statuses));
  const sig = page.locator('[data-testid="checkpoint-status"]');
  const sigState = (await sig.count()) === 1 ? await sig.getAttribute('data-signature') : null;
  check('the checkpoint signature verifies in the browser against the log key', sigState === 'valid', String(sigState));
  const shownKey = (await page.locator('[data-testid="log-vkey"]').textContent().catch(() => '')) || '';
  check('the page shows the full log verifier key (as in <data>/log.vkey)', shownKey.trim() === vkey, shownKey);
  const img = page.locator('[data-testid="sheet-image"]').first();
  const imgOk = (await img.count()) === 1 && await img.evaluate(async (el) => {
    if (!el.complete) await new Promise((r) => { el.onload = r; el.onerror = r; });
    return el.naturalWidth > 0;
  });
  check('the scanned sheet image loads from /blobs', imgOk);

  // A forged checkpoint in the table's file: the signature fails and no sheet shows as verified.
  await page.route('**/api/v1/stations/*/sheets*', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const lines = body.checkpoint.text.split('\n');
    lines[0] += '-forged';
    body.checkpoint.text = lines.join('\n');
    await route.fulfill({ response: res, json: body });
  });
  await page.goto(base + '/');
  await page.goto(`${base}/#/table/${tableCode}`);
  await page.waitForFunction((c) => decodeURIComponent(document.getElementById('app').dataset.rendered || '') === `#/table/${c}` &&
    document.querySelector('[data-testid="checkpoint-status"]'), tableCode, { timeout: 30000 });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="proof-status"]')]
    .every((e) => e.dataset.verified !== undefined || e.classList.contains('muted')), null, { timeout: 15000 });
  const forgedState = await page.getAttribute('[data-testid="checkpoint-status"]', 'data-signature');
  const forged = await page.locator('[data-testid="proof-status"]').evaluateAll((els) => els.map((e) => e.dataset.verified));
  check('a forged checkpoint shows the signature failure state', forgedState === 'invalid', String(forgedState));
  check('with a forged checkpoint no sheet shows as verified', forged.length > 0 && forged.every((v) => v === 'false'), JSON.stringify(forged));
  await page.unroute('**/api/v1/stations/*/sheets*');

  // A view that needs the server says so instead of failing silently.
  await page.goto(`${base}/#/forensics`);
  await page.waitForFunction(() => /static copy/.test(document.getElementById('app').textContent), null, { timeout: 15000 })
    .catch(() => {});
  check('the forensics view on the static site says it needs the live server',
    /static copy/.test(await page.textContent('#app')), (await page.textContent('#app')).slice(0, 200));
  check('no script errors', errors.length === 0, errors.join('; '));
  check('no request leaves the site (works offline, no CDN)', external.length === 0, external.join(' '));
});
