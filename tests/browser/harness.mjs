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
