// Browser test of the results page: Debian chromium driven by playwright-core against a running
// `tallylog serve`. Usage: node page.test.mjs <base url> <expected tally json> <table code> [<data>/log.vkey]
// Prints one line per check and "N passed, N failed" last; exits non-zero on any failure.
import { readFileSync } from 'node:fs';
import { check, run, openPage, checkNationalTotals } from './harness.mjs';

const [base, expectedPath, tableCode, vkeyPath, earlierPath, forkedPath] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedPath, 'utf8'));
// The verifier key as written by `tallylog init` (the one a person would compare with).
const vkey = vkeyPath ? readFileSync(vkeyPath, 'utf8').trim() : null;
const keyNameId = vkey ? vkey.slice(0, vkey.indexOf('+', vkey.indexOf('+') + 1)) : null;

await run(async (context) => {
  // 1. National totals equal `tallylog tally --format json`.
  const { page, errors, external } = await openPage(context, base);
  const total = expected.total;
  await checkNationalTotals(page, total);
  check('a single-contest election shows no contest selector', !(await page.isVisible('[data-testid="contest"]')));
  // The bundled election declares 5,494 tables absent from the registry: the page must say so,
  // with the cap the bound assumed (the API's figure), since that assumption decides the verdict.
  const bound = await (await page.request.get(base + '/api/v1/bound')).json();
  const missingText = (await page.locator('[data-testid="bound-missing-tables"]').textContent()) || '';
  check('the bound states the tables missing from the registry and the assumed cap',
    missingText.replace(/\D/g, '').startsWith(String(bound.unregistered_tables.count)) &&
      missingText.replace(/\D/g, '').endsWith(String(bound.unregistered_tables.max_voters_per_table)), missingText);

  // Per-card (per-party) totals, labelled, beside the candidate totals (issue 13).
  if (total.cards && total.cards.length) {
    const rows = await page.locator('[data-testid="cards"] tbody tr').count();
    check('per-card totals are listed, one row per card', rows === total.cards.length, `${rows} rows`);
    const cards = (await (await page.request.get(base + '/api/v1/election')).json()).cards;
    const first = await page.textContent('[data-testid="cards"] tbody tr:first-child');
    check('each card row names its party', first.includes(cards[0].party), first);
    const v1 = await page.textContent('[data-testid="card-votes-1"]');
    check('card 1 votes equal the tally', Number(v1.replace(/\D/g, '')) === total.cards[0], v1);
  }
  // Shares are of the base the election declares (figures.shares), as the API computes it.
  check('the tally states the share base', typeof total.share_base === 'number' && total.share_base === total.valid,
    String(total.share_base));

  // The flags view lists what the API lists (the bundled election has no flag rules).
  await page.goto(base + '/#/flags');
  await page.waitForFunction(() => (document.getElementById('app').dataset.rendered || '') === '#/flags', null, { timeout: 30000 });
  const flags = await (await page.request.get(base + '/api/v1/flags')).json();
  check('the flags view renders the API answer', (await page.locator('h1').textContent()).length > 0 &&
    flags.sheets_flagged === 0 && flags.rules.length === 0);
  await page.goto(base + '/');
  await page.waitForFunction(() => (document.getElementById('app').dataset.rendered || '') === '#/', null, { timeout: 30000 });

  // 2. Drill down by clicking from the national page to the table.
  const levels = (await (await page.request.get(base + '/api/v1/election')).json()).levels;
  const station = (await (await page.request.get(`${base}/api/v1/stations/${tableCode}`)).json()).station;
  for (let d = 0; d < levels.length; d++) {
    const code = station.areas[d].code;
    const link = page.locator(`[data-testid="children"] a[data-code="${code}"]`);
    if ((await link.count()) !== 1) { check(`drill-down link to ${levels[d].code} ${code}`, false, 'not found'); break; }
    const target = await link.getAttribute('href');
    await link.click();
    // Wait for this navigation's render, not the previous page's ready flag.
    // app.dataset.rendered names the route the DOM shows: the previous page's ready flag may still
    // be set before the hashchange handler has run.
    await page.waitForFunction((h) => decodeURIComponent(location.hash) === decodeURIComponent(h) &&
      decodeURIComponent(document.getElementById('app').dataset.rendered || '') === decodeURIComponent(h),
    target, { timeout: 30000 });
  }
  check('drilling down reaches the table page', (await page.locator('[data-testid="table-title"]').count()) === 1,
    page.url());
  check('the table page URL names the table', decodeURIComponent(page.url()).endsWith(`#/table/${tableCode}`), page.url());

  // 3. Every source's sheet side by side, the image, and the proof checked in the browser.
  const sheets = await page.locator('[data-testid="sheet"]').count();
  check('the table shows the official and the scanned sheet side by side', sheets >= 2, `${sheets} sheets`);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="proof-status"]')]
    .every((e) => e.dataset.verified !== undefined || e.classList.contains('muted')), null, { timeout: 15000 });
  const statuses = await page.locator('[data-testid="proof-status"]').evaluateAll((els) => els.map((e) => ({ v: e.dataset.verified, t: e.textContent })));
  check('every sheet proof verifies in the browser', statuses.length > 0 && statuses.every((s) => s.v === 'true'),
    JSON.stringify(statuses));
  check('proof status says index and checkpoint size', statuses.every((s) => /índice \d+, tamaño del checkpoint firmado \d+/.test(s.t)),
    statuses.map((s) => s.t).join(' | '));
  const sig = page.locator('[data-testid="checkpoint-status"]');
  const sigState = (await sig.count()) === 1 ? await sig.getAttribute('data-signature') : null;
  const sigText = (await sig.count()) === 1 ? await sig.textContent() : '';
  check('the checkpoint signature verifies in the browser against the log key', sigState === 'valid', `${sigState}: ${sigText}`);
  if (vkey) {
    check(`the signature status names the key ${keyNameId}`, sigText.includes(keyNameId) && /firma Ed25519 verificada/.test(sigText), sigText);
    const shownKey = (await page.locator('[data-testid="log-vkey"]').textContent().catch(() => '')) || '';
    check('the page shows the full log verifier key (as in <data>/log.vkey)', shownKey.trim() === vkey, shownKey);
    const apiKey = await (await page.request.get(base + '/api/v1/log/vkey')).text();
    check('GET /api/v1/log/vkey serves <data>/log.vkey', apiKey.trim() === vkey, apiKey);
  }
  const img = page.locator('[data-testid="sheet-image"]').first();
  const imgOk = (await img.count()) === 1 && await img.evaluate(async (el) => {
    if (!el.complete) await new Promise((r) => { el.onload = r; el.onerror = r; });
    return el.naturalWidth > 0;
  });
  check('the scanned sheet image loads from /blobs', imgOk);

  // 4. English labels, discrepancies page, export link.
  await page.click('#lang');
  await page.waitForFunction(() => /Verified/.test(document.querySelector('[data-testid="proof-status"]')?.textContent || ''),
    null, { timeout: 15000 }).catch(() => {});
  const proofEn = await page.locator('[data-testid="proof-status"]').first().textContent();
  check('the language toggle switches to English', /Verified in the log at index \d+/.test(proofEn), proofEn);
  await page.goto(base + '/#/discrepancies');
  await page.waitForFunction(() => location.hash.startsWith('#/discrepancies') &&
    (document.getElementById('app').dataset.rendered || '').startsWith('#/discrepancies') && document.querySelector('h1'),
  null, { timeout: 30000 });
  // Sources "official" (every published row) and "qr" (one scanned acta with the same counts as
  // its published row): one table matches, none differ, the rest are only in "official".
  check('the discrepancies page has its title', (await page.locator('h1').textContent()) === 'Discrepancies between sources',
    await page.locator('h1').textContent());
  check('the discrepancies page compares official with qr',
    (await page.inputValue('[data-testid="source-a"]')) === 'official' && (await page.inputValue('[data-testid="source-b"]')) === 'qr');
  const cmp = await (await page.request.get(base + '/api/v1/compare?a=official&b=qr')).json();
  const cards = (await page.locator('.cards .card .v').allTextContents()).map((v) => Number(v.replace(/\D/g, '')));
  check('the discrepancy counts equal the API\'s comparison',
    JSON.stringify(cards) === JSON.stringify([cmp.matching, cmp.differing.length, cmp.only_a, cmp.only_b]),
    `page ${JSON.stringify(cards)}, api ${JSON.stringify([cmp.matching, cmp.differing.length, cmp.only_a, cmp.only_b])}`);
  check('one table matches, none differ, the others are only in official',
    JSON.stringify(cards) === JSON.stringify([1, 0, expected.total.tables_reported - 1, 0]), JSON.stringify(cards));
  check('no differing table is listed and the page says so',
    (await page.locator('[data-testid="discrepancies"]').count()) === 0 &&
      (await page.locator('#app').textContent()).includes('No tables differ.'));
  const href = await page.getAttribute('#export-link', 'href');
  const exp = await page.request.get(base + href);
  check('the export link downloads CSV', exp.ok() && (exp.headers()['content-type'] || '').startsWith('text/csv'), href);

  // 5. A forged checkpoint (origin line changed, so the proof still leads to its root but the
  // signature cannot verify) must show the failure state, and no sheet may show as verified.
  await page.route('**/api/v1/stations/*/sheets', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const lines = body.checkpoint.text.split('\n');
    lines[0] += '-forged';
    body.checkpoint.text = lines.join('\n');
    await route.fulfill({ response: res, json: body });
  });
  await page.goto(`${base}/#/table/${tableCode}`);
  await page.waitForFunction((c) => decodeURIComponent(location.hash) === `#/table/${c}` &&
    decodeURIComponent(document.getElementById('app').dataset.rendered || '') === `#/table/${c}` &&
    document.querySelector('[data-testid="checkpoint-status"]'),
  tableCode, { timeout: 30000 });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="proof-status"]')]
    .every((e) => e.dataset.verified !== undefined || e.classList.contains('muted')), null, { timeout: 15000 });
  const forgedSig = page.locator('[data-testid="checkpoint-status"]');
  const forgedState = await forgedSig.getAttribute('data-signature');
  const forgedText = await forgedSig.textContent();
  check('a forged checkpoint shows the signature failure state', forgedState === 'invalid' &&
    /signature NOT verified/.test(forgedText) && (await forgedSig.evaluate((e) => e.classList.contains('bad'))), `${forgedState}: ${forgedText}`);
  const forged = await page.locator('[data-testid="proof-status"]').evaluateAll((els) => els.map((e) => ({ v: e.dataset.verified, t: e.textContent })));
  check('with a forged checkpoint no sheet shows as verified', forged.length > 0 && forged.every((s) => s.v === 'false'),
    JSON.stringify(forged));
  await page.unroute('**/api/v1/stations/*/sheets');

  // 6. The Forensics view: the fingerprint and the other plots load as images, each with its
  // one-line reading from the API, and the announced results the sheets contradict are listed.
  const fx = await (await page.request.get(base + '/api/v1/forensics')).json();
  const dec = await (await page.request.get(base + '/api/v1/declared')).json();
  await page.goto(`${base}/#/forensics`);
  await page.waitForFunction(() => document.getElementById('app').dataset.rendered === '#/forensics', null, { timeout: 60000 });
  for (const name of ['fingerprint', 'integer', 'shpilkin']) {
    const img = page.locator(`[data-testid="img-${name}"]`);
    await img.evaluate((el) => el.complete || new Promise((r) => { el.onload = r; el.onerror = r; }));
    const width = await img.evaluate((el) => el.naturalWidth);
    check(`the forensics view shows the ${name} plot`, width > 0, `naturalWidth ${width}`);
  }
  const readings = await page.locator('[data-testid="reading"]').allTextContents();
  check('every reading of the API is shown', readings.length === 6 && readings.every((r, i) => r === fx.readings[i]),
    JSON.stringify(readings));
  check('the fingerprint reading counts the witnessed tables', readings[0].includes(fx.fingerprint.tables.toLocaleString('en-US')),
    readings[0]);
  const contradicted = dec.declarations.reduce((n, d) => n + d.contradicted, 0);
  const declaredLines = await page.locator('[data-testid="declared-line"]').allTextContents();
  check('each contradicted announced figure is listed', contradicted > 0 &&
    declaredLines.filter((l) => l.includes('declared')).length === contradicted, JSON.stringify(declaredLines));
  // 7. The page remembers the checkpoint it verified (localStorage) and proves each new one
  // extends it; a second history signed by the same key is caught and kept as evidence.
  if (vkey && earlierPath && forkedPath) {
    const memoryKey = `tallylog.checkpoint.${vkey}`;
    const memoryState = async (seen) => {
      await page.goto(base + '/', { waitUntil: 'load' });
      // Let this load finish its own check (which stores what it verified) before the memory is
      // set, or its write can land after ours.
      await page.waitForSelector('#log-status[data-checked="true"]', { timeout: 30000 });
      await page.evaluate(([k, v]) => {
        if (v === null) localStorage.removeItem(k);
        else localStorage.setItem(k, JSON.stringify({ checkpoint: v, seenAt: '2024-07-29T00:00:00Z' }));
      }, [memoryKey, seen]);
      await page.reload({ waitUntil: 'load' });
      await page.waitForSelector('#log-status[data-checked="true"]', { timeout: 30000 });
      const el = page.locator('[data-testid="log-memory"]');
      return { state: await el.getAttribute('data-state'), text: await el.textContent(),
        alarm: await el.evaluate((e) => e.classList.contains('alarm')) };
    };
    const first = await memoryState(null);
    check('a first visit remembers the verified checkpoint', first.state === 'first', `${first.state}: ${first.text}`);
    const stored = await page.evaluate((k) => JSON.parse(localStorage.getItem(k) || 'null'), memoryKey);
    const served = await (await page.request.get(base + '/log/checkpoint')).text();
    check('the remembered checkpoint is the one served', stored && stored.checkpoint === served);
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#log-status[data-checked="true"]', { timeout: 30000 });
    check('a second visit finds the same checkpoint', (await page.getAttribute('[data-testid="log-memory"]', 'data-state')) === 'same');
    const grown = await memoryState(readFileSync(earlierPath, 'utf8'));
    check('a larger checkpoint is proved consistent with the one seen before (in the browser)',
      grown.state === 'consistent' && !grown.alarm, `${grown.state}: ${grown.text}`);
    const forked = await memoryState(readFileSync(forkedPath, 'utf8'));
    check('a checkpoint of another history signed by the same key shows the failure state',
      forked.state === 'inconsistent' && forked.alarm && /NO es consistente|NOT consistent/.test(forked.text), `${forked.state}: ${forked.text}`);
    const evidence = await page.locator('[data-testid="fork-evidence"] pre').allTextContents();
    check('both signed checkpoints are kept and shown as evidence',
      evidence.length === 2 && evidence[0] === readFileSync(forkedPath, 'utf8') && evidence[1] === served, evidence.join(' | '));
    const kept = await page.evaluate((k) => JSON.parse(localStorage.getItem(k) || 'null'), memoryKey);
    check('the inconsistent checkpoint does not replace the remembered one', kept && kept.checkpoint === readFileSync(forkedPath, 'utf8'));
    const wit = await page.getAttribute('[data-testid="witnesses"]', 'data-cosigned');
    check('the witness line is shown (no witnesses configured here)', wit === '0');
    await page.evaluate((k) => localStorage.removeItem(k), memoryKey);
  }

  check('no script errors', errors.length === 0, errors.join('; '));
  check('no request leaves the server (works offline, no CDN)', external.length === 0, external.join(' '));
});
