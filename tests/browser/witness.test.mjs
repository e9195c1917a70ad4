// Browser test of the witness page (web/src/witness/, issue 14) on a phone's viewport, the camera
// fed with a real acta's QR crop through Chromium's fake video capture. Enrols with a one-time code
// made by `tallylog devices invite`, photographs with the live camera, confirms, submits; then
// checks with the CLI that the sheet is logged with a valid device signature (`tallylog verify`) and
// that the downloaded receipt verifies against a `tallylog mirror`; submits a second sheet while
// offline and checks it is sent exactly once when back online; counts how many of the bundled real
// acta crops the page decodes on the device.
// Usage: node witness.test.mjs <url> <invite code> <tallylog> <data dir> <work dir> <camera image>
//        <actas dir>   (the camera image, a JPEG, is turned into a one-frame Y4M video here)   (env TALLYLOG_WITNESS_SCREENSHOTS=<dir>: also save the guide's screenshots)
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { check, run } from './harness.mjs';

const [url, code, bin, data, work, cameraFile, actas] = process.argv.slice(2);
const shots = process.env.TALLYLOG_WITNESS_SCREENSHOTS || '';
const vkeyFile = join(data, 'log.vkey');
const logSize = async () => Number((await (await fetch(`${url}/log/checkpoint`)).text()).split('\n')[1]);
const cli = (...args) => {
  try { return { ok: true, out: execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) }; }
  catch (e) { return { ok: false, out: String(e.stdout || '') + String(e.stderr || '') }; }
};
const expected = Object.fromEntries(readFileSync(join(actas, 'expected_qr.csv'), 'utf8').trim().split('\n').slice(1)
  .map((l) => { const i = l.indexOf(','); return [l.slice(0, i), l.slice(i + 2, -1)]; }));
const stationOf = (payload) => payload.split('!')[0].split('.').slice(0, 2).join('.');
const shot = async (page, name) => { if (shots) await page.screenshot({ path: join(shots, name) }); };

// Chromium's fake camera plays a Y4M file: the JPEG is drawn on a canvas by a throwaway browser and
// its pixels written as one 4:2:0 frame (grey: the crops are greyscale), even width and height.
async function y4mOf(jpeg, out) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--headless'] });
  try {
    const page = await browser.newPage();
    const { w, h, rgba } = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = 'data:image/jpeg;base64,' + b64;
      await img.decode();
      const w = img.naturalWidth & ~1, h = img.naturalHeight & ~1;
      const c = document.createElement('canvas');
      c.width = w; c.height = h;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      return { w, h, rgba: Array.from(ctx.getImageData(0, 0, w, h).data) };
    }, readFileSync(jpeg).toString('base64'));
    const y = Buffer.alloc(w * h);
    for (let i = 0; i < w * h; i++) y[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
    const chroma = Buffer.alloc((w / 2) * (h / 2) * 2, 128);
    writeFileSync(out, Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420jpeg\nFRAME\n`), y, chroma]));
  } finally {
    await browser.close();
  }
}
const cameraVideo = join(work, 'camera.y4m');
await y4mOf(cameraFile, cameraVideo);

await run(async (context) => {
  await context.grantPermissions(['camera'], { origin: url });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  if (process.env.DEBUG) page.on('console', (m) => console.log('console:', m.text()));
  await page.goto(`${url}/witness.html`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  check('the witness page loads on a phone viewport with the enrolment form', await page.isVisible('[data-testid=code]'));
  await shot(page, 'witness-enrol.png');

  // ---- enrolment ----
  const before = await logSize();
  await page.fill('[data-testid=code]', code);
  await page.click('[data-testid=enrol]');
  await page.waitForFunction(() => /mud/.test(document.querySelector('[data-testid=enrol-msg]').textContent), null, { timeout: 30000 })
    .catch(() => {});
  const msg = await page.textContent('[data-testid=enrol-msg]');
  check('the phone enrols with the one-time code (organisation "mud", source witness:mud)', /mud/.test(msg) && /witness:mud/.test(msg), msg);
  check('the enrolment is one log entry', (await logSize()) === before + 1);
  const devs = cli('devices', 'list', data);
  check('`tallylog devices list` shows the phone\'s key active', /^witness-phone\+.*active/m.test(devs.out), devs.out);

  // ---- live camera: take a photo, decode on the device, confirm ----
  await page.click('[data-testid=camera-open]');
  await page.waitForFunction(() => document.querySelector('[data-testid=video]').videoWidth > 0, null, { timeout: 30000 });
  await page.click('[data-testid=camera-take]');
  await page.waitForSelector('[data-testid=confirm-section]:not([hidden])', { timeout: 60000 }).catch(() => {});
  const cells = await page.$$eval('[data-testid=count]', (tds) => tds.map((td) => td.textContent));
  const camPayload = expected['qr-mobile-1.jpg'];
  const camCounts = camPayload.split('!')[1].split(',').map(Number);
  check('the camera photo is decoded on the device and its table shown', cells[0] === stationOf(camPayload),
    `${cells[0]} / ${await page.textContent('[data-testid=capture-msg]')}`);
  check('the counts beside the photo are the QR\'s (valid votes = sum of the 38 cards, null votes)',
    cells.at(-2) === String(camCounts.reduce((a, b) => a + b, 0)) && cells.at(-1) === camPayload.split('!')[2], cells.join(' '));
  await shot(page, 'witness-confirm.png');
  const s0 = await logSize();
  await page.click('[data-testid=confirm]');
  await page.waitForSelector('[data-testid=outbox-item][data-state=logged]', { timeout: 30000 }).catch(() => {});
  const item = await page.textContent('[data-testid=outbox-item]');
  check('the signed sheet is logged and its receipt verified on the device', /240111018\.01/.test(item) && await page.isVisible('[data-testid=outbox-item][data-state=logged]'), item);
  check('submitting the sheet adds exactly one log entry', (await logSize()) === s0 + 1);
  await shot(page, 'witness-sent.png');
  const v = cli('verify', data);
  check('`tallylog verify` re-checks the device signature from the log (1 signed sheet)',
    v.ok && /devices: 1 enrolment\/revocation records, 1 signed sheets verified \(0 signed by keys revoked since/.test(v.out), v.out);

  // ---- the receipt file ----
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=receipt]')]);
  const receipt = join(work, 'witness-receipt.json');
  await download.saveAs(receipt);
  const mirror = cli('mirror', url, join(work, 'witness-mirror'), '--vkey', vkeyFile, '--quiet');
  check('a mirror of the server is made', mirror.ok, mirror.out);
  const vr = cli('verify-receipt', receipt, join(work, 'witness-mirror'), '--vkey', vkeyFile);
  check('the downloaded receipt verifies with `tallylog verify-receipt` against the mirror', vr.ok && /^ok:/.test(vr.out), vr.out);
  const entry = JSON.parse(Buffer.from(JSON.parse(readFileSync(receipt, 'utf8')).entry, 'base64').toString());
  check('the receipt\'s entry carries the device key and signature', /^witness-phone\+/.test(entry.device_key) && !!entry.device_signature
    && entry.submitted_by.startsWith('device:witness-phone+'), JSON.stringify(entry).slice(0, 200));
  const blob = await fetch(`${url}/blobs/sha256/${entry.image_sha256}`);
  const photo = Buffer.from(await blob.arrayBuffer());
  const { createHash } = await import('node:crypto');
  check('the photo was sent with the sheet: the server serves the image the signed entry names',
    blob.status === 200 && /^[0-9a-f]{64}$/.test(entry.image_sha256) && createHash('sha256').update(photo).digest('hex') === entry.image_sha256,
    `${blob.status} ${entry.image_sha256}`);

  // ---- offline, then online: sent exactly once ----
  const offlineFile = join(actas, 'qr-784821_149098_0135Acta0134.jpg');
  const s1 = await logSize();
  await context.setOffline(true);
  await page.setInputFiles('[data-testid=file]', offlineFile);
  await page.waitForSelector('[data-testid=confirm-section]:not([hidden])', { timeout: 60000 }).catch(() => {});
  await page.click('[data-testid=confirm]');
  await page.waitForSelector('[data-testid=outbox-item][data-state=pending]', { timeout: 30000 }).catch(() => {});
  check('offline, the confirmed sheet waits in the outbox', await page.isVisible('[data-testid=outbox-item][data-state=pending]'));
  check('offline, nothing reached the log', (await logSize()) === s1);
  await shot(page, 'witness-queued.png');
  await context.setOffline(false);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=outbox-item][data-state=logged]').length === 2, null, { timeout: 60000 }).catch(() => {});
  check('back online, the queued sheet is sent and logged', (await page.$$('[data-testid=outbox-item][data-state=logged]')).length === 2);
  check('back online, the log grew by exactly one entry', (await logSize()) === s1 + 1);
  // The witness confirms the same photo again, and retries: a duplicate, never a new entry.
  await page.setInputFiles('[data-testid=file]', []);
  await page.setInputFiles('[data-testid=file]', offlineFile);
  await page.waitForSelector('[data-testid=confirm-section]:not([hidden])', { timeout: 60000 }).catch(() => {});
  await page.click('[data-testid=confirm]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=outbox-item][data-state=pending]'), null, { timeout: 60000 }).catch(() => {});
  await page.click('[data-testid=retry]');
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  const items = await page.$$eval('[data-testid=outbox-item]', (li) => li.map((x) => x.dataset.state));
  check('the same sheet confirmed again and retried is a duplicate: still one entry, two outbox items, both logged',
    (await logSize()) === s1 + 1 && items.length === 2 && items.every((s) => s === 'logged'), `${items} size ${await logSize()}`);

  // ---- on-device decoding of every bundled real acta crop ----
  let read = 0, total = 0;
  for (const f of readdirSync(actas).filter((x) => x.endsWith('.jpg')).sort()) {
    total++;
    await page.evaluate(() => { document.querySelector('[data-testid=capture-msg]').textContent = ''; });
    await page.setInputFiles('[data-testid=file]', []);
    await page.setInputFiles('[data-testid=file]', join(actas, f));
    await page.waitForFunction(() => { const m = document.querySelector('[data-testid=capture-msg]').textContent; return m && !/…|\.\.\./.test(m); }, null, { timeout: 60000 }).catch(() => {});
    const first = await page.$$eval('[data-testid=count]', (tds) => tds.map((td) => td.textContent)[0]);
    const decoder = await page.getAttribute('[data-testid=capture-msg]', 'data-decoder');
    const ok = await page.isVisible('[data-testid=confirm-section]') && first === stationOf(expected[f]) && decoder === 'device';
    if (ok) read++;
    console.log(`     on-device decode ${f}: ${ok ? 'read' : 'NOT read'}`);
  }
  console.log(`on-device decode: ${read} of ${total} real acta crops`);
  check('every bundled real acta crop is decoded on the device', read === total, `${read} of ${total}`);

  // ---- the server's decoder as the fallback (?decoder=server skips the phone's) ----
  const fallbackFile = readdirSync(actas).filter((x) => x.endsWith('.jpg')).sort()[0];
  await page.goto(url + '/witness.html?decoder=server');
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  await page.setInputFiles('[data-testid=file]', join(actas, fallbackFile));
  await page.waitForFunction(() => document.querySelector('[data-testid=capture-msg]').dataset.decoder, null, { timeout: 60000 }).catch(() => {});
  const fbDecoder = await page.getAttribute('[data-testid=capture-msg]', 'data-decoder');
  const fbFirst = await page.$$eval('[data-testid=count]', (tds) => tds.map((td) => td.textContent)[0]);
  check('when the phone cannot read the QR, the server decodes the signed photo and the counts are shown',
    fbDecoder === 'server' && fbFirst === stationOf(expected[fallbackFile]), `${fbDecoder} ${fbFirst}`);
  check('no uncaught page errors', errors.length === 0, errors.join(' | '));
}, { args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${cameraVideo}`] });
