// What every browser test of the page shares: Debian chromium launched by playwright-core with a
// fresh profile and a phone's viewport, a check() that prints one line per check, and run(), which
// runs the checks, turns an exception into a failed check, closes the browser, prints
// "N passed, N failed" last and exits non-zero on any failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let passed = 0, failed = 0;

export function check(name, ok, detail = '') {
  if (ok) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`); }
}

// run(async (context) => { ...checks... }, { args }): `args` are extra Chromium flags (a fake camera); a fresh profile directory each run (playwright passes
// it as --user-data-dir), so nothing a previous run remembered (localStorage) leaks into this one.
export async function run(body, { viewport = { width: 390, height: 844 }, locale = 'es-VE', args = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'tallylog-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
    viewport,  // a phone by default
    locale,
  });
  try {
    await body(context);
  } catch (e) {
    check('browser session', false, e.stack || String(e));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

// openPage(context, base, { onRequest }): a new page that records uncaught script errors and every
// request leaving `base` (the page must load nothing from elsewhere), opened at base + '/' and waited
// on until its first view is ready; onRequest(url) sees every request from the first one on.
export async function openPage(context, base, { onRequest } = {}) {
  const page = await context.newPage();
  const errors = [];
  const external = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(base)) external.push(r.url());
    if (onRequest) onRequest(r.url());
  });
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForSelector('#app[data-ready="true"]', { timeout: 30000 });
  return { page, errors, external };
}

// The national view's figures equal `total` (`tallylog tally --format json`'s "total"): every
// candidate's votes, the valid votes, tables counted of registered, and the outcome bound shown.
export async function checkNationalTotals(page, total) {
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
}
