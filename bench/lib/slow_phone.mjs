// An emulated phone on a slow 3G link, shared by bench/citizen_slow3g.mjs and
// bench/witness_slow3g.mjs: Debian chromium via playwright-core with a fresh profile, a 390x844
// viewport, Chrome DevTools Protocol Network.emulateNetworkConditions (400 kbit/s down and up,
// 400 ms round trip), Emulation.setCPUThrottlingRate (4x) and the cache disabled.
//   const phone = await slowPhone();  ...phone.page...; phone.responses: [{url, type, bytes}] as
//   each finishes (bytes on the wire, headers included); await phone.close();
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(join(root, 'tests/browser/package.json'))('playwright-core');

export async function slowPhone() {
  const profile = mkdtempSync(join(tmpdir(), 'tallylog-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 390, height: 844 }, locale: 'es-VE',
  });
  const close = async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); };
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 400, downloadThroughput: 400 * 1000 / 8, uploadThroughput: 400 * 1000 / 8 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const reqs = new Map();
    const responses = [];
    cdp.on('Network.responseReceived', (e) => reqs.set(e.requestId, { url: e.response.url, type: e.type }));
    cdp.on('Network.loadingFinished', (e) => { const r = reqs.get(e.requestId); if (r) responses.push({ ...r, bytes: e.encodedDataLength }); });
    return { page, responses, close };
  } catch (e) {
    await close();
    throw e;
  }
}
