// The witness page (issue 14): enrol this phone with a one-time code, photograph a sheet's QR code
// (file input or live camera), decode it on the device with zxing-cpp compiled to WebAssembly
// (bundled, never from a CDN), show the counts for the witness to confirm, sign the sheet with the
// device's non-extractable Ed25519 key (WebCrypto), queue it in IndexedDB and send it when online;
// verify and keep the receipt. Protocol: docs/formats/devices.md; routes: docs/api.md.
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import { sha256 } from '@noble/hashes/sha2.js';
import { b64decode, b64encode, verifySheet } from '../verify.js';
import { deviceVerifierKey, enrolmentMessage, parsePayload, sheetMessage, sourceFor } from './sheet.js';
import { getKV, putKV, outbox, putItem } from './store.js';
import { t, getLang, setLang } from './strings.js';

/* global __ZXING_WASM_URL__ */
prepareZXingModule({
  overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? __ZXING_WASM_URL__ : prefix + path) },
});

const $ = (id) => document.getElementById(id);
const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const enc = new TextEncoder();
const RETRY_MS = 15000;
let election = null;   // /api/v1/election
let device = null;     // {privateKey, publicKey, vkey, org, sources, source, logVkey}
let pending = null;    // the parsed, not yet confirmed sheet
let pendingImage = null;  // its photo (a Blob)

function applyStrings() {
  document.documentElement.lang = getLang();
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('lang').textContent = t('lang');
  $('net').textContent = navigator.onLine ? '' : t('offline');
}

function say(id, text, error = false) {
  $(id).textContent = text;
  $(id).classList.toggle('error', error);
}

async function getJSON(path, init) {
  const r = await fetch(path, init);
  let body = null;
  try { body = await r.json(); } catch (_) { /* not JSON */ }
  return { status: r.status, body };
}

const reasonOf = (body, status) => (body && (body.field ? `${body.field}: ${body.reason || body.error}` : body.reason || body.error)) || `HTTP ${status}`;

// ---- receipts -----------------------------------------------------------------------------------
// The receipt's checkpoint is signed by the log key the phone learnt when it enrolled, its proof
// includes the entry at log_index, and the entry is `expect` (the bytes the phone meant to log:
// its signed sheet or its enrolment). Returns '' or the reason it fails.
function checkReceipt(receipt, check) {
  if (!receipt || receipt.receipt !== 'tallylog receipt v1') return 'no receipt';
  if (!receipt.proof || receipt.proof.leaf_index !== receipt.log_index) return 'proof for another index';
  const v = verifySheet({ log_index: receipt.log_index, entry: receipt.entry, proof: receipt.proof }, receipt.checkpoint, device.logVkey);
  if (!v.ok) return v.reason || 'not included';
  let entry;
  try { entry = JSON.parse(new TextDecoder().decode(b64decode(receipt.entry))); } catch (_) { return 'entry is not JSON'; }
  return check(entry);
}

// ---- enrolment ----------------------------------------------------------------------------------
async function enrol() {
  const code = $('code').value.trim();
  if (!code) return;
  $('enrol-btn').disabled = true;
  say('enrol-msg', t('enrolling'));
  try {
    if (!crypto.subtle) throw new Error(t('no_webcrypto'));
    let keys;
    try {
      keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    } catch (_) { throw new Error(t('no_webcrypto')); }
    const pub = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey));
    const vkey = deviceVerifierKey('witness-phone', pub);
    const inv = await getJSON('/api/v1/devices/invites/' + hex(sha256(enc.encode(code))));
    if (inv.status !== 200) throw new Error(reasonOf(inv.body, inv.status));
    const { org, sources } = inv.body;
    const sig = new Uint8Array(await crypto.subtle.sign('Ed25519', keys.privateKey, enrolmentMessage({ code, deviceKey: vkey, org, sources })));
    const r = await getJSON('/api/v1/devices/enrol', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, device_key: vkey, device_signature: b64encode(sig) }),
    });
    if (r.status !== 201) throw new Error(reasonOf(r.body, r.status));
    device = { privateKey: keys.privateKey, publicKey: keys.publicKey, vkey, org, sources, source: sourceFor(sources, org), logVkey: election.log_vkey };
    // The server could have enrolled another key with our code: the logged record must name ours.
    const bad = checkReceipt(r.body.receipt, (e) => (e.device_key === vkey && e.code === code ? '' : 'the logged enrolment names another key'));
    if (bad) throw new Error(t('receipt_bad', bad));
    await putKV('device', { ...device, enrolment: r.body.receipt });
    showDevice();
  } catch (e) {
    say('enrol-msg', t('enrol_failed', e.message || String(e)), true);
  } finally {
    $('enrol-btn').disabled = false;
  }
}

function showDevice() {
  say('enrol-msg', t('enrolled', device.org, device.source));
  $('code').hidden = true;
  $('enrol-btn').hidden = true;
  document.querySelector('label[for=code]').hidden = true;
  $('capture').hidden = false;
  // Fetch the decoder (~950 KB, cached as immutable) now, while there is signal, not on election night.
  fetch(__ZXING_WASM_URL__).catch(() => {});
}

// ---- capture and decode -------------------------------------------------------------------------
async function decode(blob) {
  say('capture-msg', t('decoding'));
  delete $('capture-msg').dataset.decoder;
  $('confirm').hidden = true;
  pending = null;
  let results = [];
  // ?decoder=server: skip the phone's decoder (a phone too old for WebAssembly; the tests).
  const onDevice = new URLSearchParams(location.search).get('decoder') !== 'server';
  if (onDevice) {
    try {
      results = await readBarcodes(blob, { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 4 });
    } catch (e) {
      console.error('zxing', e);
    }
  }
  let texts = [...new Set(results.filter((r) => r.isValid && r.text).map((r) => r.text))];
  if (texts.length > 1) return say('capture-msg', t('two_codes'), true);
  let by = 'decoded_device';
  if (texts.length === 0 && navigator.onLine) {
    // The server's decoder as the fallback (POST /api/v1/devices/decode): the photo signed by this
    // device's key, nothing logged or stored.
    const text = await serverDecode(blob).catch((e) => { console.error('server decode', e); return null; });
    if (text) { texts = [text]; by = 'decoded_server'; }
  }
  if (texts.length === 0) return say('capture-msg', t('decode_failed'), true);
  const parsed = parsePayload(texts[0], election);
  if (parsed.error) return say('capture-msg', t('parse_failed', parsed.error), true);
  say('capture-msg', t(by));
  $('capture-msg').dataset.decoder = by === 'decoded_device' ? 'device' : 'server';
  pending = { ...parsed.sheet, source: device.source };
  pendingImage = blob;
  showCounts(blob, pending);
}

async function serverDecode(blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const message = new TextEncoder().encode('tallylog decode v1\n' + hex(sha256(bytes)));
  const sig = new Uint8Array(await crypto.subtle.sign('Ed25519', device.privateKey, message));
  const r = await fetch('/api/v1/devices/decode', {
    method: 'POST', body: bytes,
    headers: { 'X-Tallylog-Device-Key': device.vkey, 'X-Tallylog-Device-Signature': b64encode(sig) },
  });
  if (!r.ok) return null;
  return (await r.json()).qr_payload || null;
}

function showCounts(blob, s) {
  $('photo').src = URL.createObjectURL(blob);
  const rows = [[t('station'), s.station]];
  const names = Object.fromEntries((election.candidates || []).map((c) => [c.code, c.name]));
  for (const [code, n] of Object.entries(s.candidates)) rows.push([names[code] || code, n]);
  rows.push([t('valid'), s.fields.valid], [t('null'), s.fields.null]);
  const table = $('counts');
  table.textContent = '';
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    const td = tr.insertCell();
    td.textContent = String(v);
    td.className = 'n';
    td.dataset.testid = 'count';
  }
  $('confirm').hidden = false;
  $('confirm').scrollIntoView?.({ block: 'start' });
}

let stream = null;
async function openCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment', width: { ideal: 1920 } }, audio: false });
    $('video').srcObject = stream;
    await $('video').play();
    $('camera').hidden = false;
  } catch (e) {
    say('capture-msg', t('camera_failed', e.message || e.name), true);
  }
}

async function takePhoto() {
  const v = $('video');
  const c = document.createElement('canvas');
  c.width = v.videoWidth;
  c.height = v.videoHeight;
  c.getContext('2d').drawImage(v, 0, 0);
  const blob = await new Promise((res) => c.toBlob(res, 'image/jpeg', 0.92));
  for (const tr of stream.getTracks()) tr.stop();
  $('camera').hidden = true;
  await decode(blob);
}

// ---- sign, queue, send --------------------------------------------------------------------------
async function confirmSheet() {
  if (!pending) return;
  // The photo goes with the sheet, named (and so signed) by its SHA-256.
  const image = pendingImage;
  const sheet = { ...pending, image_sha256: hex(sha256(new Uint8Array(await image.arrayBuffer()))), device_key: device.vkey };
  const sig = new Uint8Array(await crypto.subtle.sign('Ed25519', device.privateKey, sheetMessage(sheet)));
  sheet.device_signature = b64encode(sig);
  // One outbox item per signed sheet: its id is the signature, so confirming the same sheet twice
  // keeps one item (Ed25519 signatures are deterministic).
  await putItem({ id: sheet.device_signature, sheet, image, state: 'pending', created: Date.now() });
  pending = null;
  $('confirm').hidden = true;
  say('capture-msg', '');
  await renderOutbox();
  await flush();
}

let flushing = false;
async function flush() {
  if (flushing || !device) return;
  flushing = true;
  try {
    for (const item of await outbox()) {
      if (item.state !== 'pending') continue;
      let r;
      try {
        const form = new FormData();
        form.append('sheet', new Blob([JSON.stringify(item.sheet)], { type: 'application/json' }), 'sheet.json');
        form.append('image', item.image, 'acta.jpg');
        r = await getJSON('/api/v1/sheets/with-image', { method: 'POST', body: form });
      } catch (_) {
        break;  // offline: the 'online' event or the timer tries again
      }
      if (r.status === 201 || r.status === 200) {
        const sig = item.sheet.device_signature;
        const bad = checkReceipt(r.body.receipt, (e) => (e.device_signature === sig ? '' : 'the logged entry is not this sheet'));
        Object.assign(item, bad ? { state: 'bad-receipt', reason: bad } : { state: 'logged', verdict: r.body.verdict, receipt: r.body.receipt });
      } else if (r.status === 400 || r.status === 409 || r.status === 403 || r.status === 401) {
        Object.assign(item, { state: 'rejected', reason: reasonOf(r.body, r.status) });
      } else {
        continue;  // 429, 5xx: kept pending
      }
      await putItem(item);
    }
  } finally {
    flushing = false;
    await renderOutbox();
  }
}

async function renderOutbox() {
  const ul = $('outbox');
  const items = (await outbox()).sort((a, b) => b.created - a.created);
  ul.textContent = '';
  for (const it of items) {
    const li = document.createElement('li');
    li.dataset.testid = 'outbox-item';
    li.dataset.state = it.state;
    const text = it.state === 'pending' ? t('queued')
      : it.state === 'logged' ? t(it.verdict === 'duplicate' ? 'duplicate' : 'logged', it.receipt.log_index)
      : it.state === 'rejected' ? t('rejected', it.reason) : t('receipt_bad', it.reason);
    li.append(`${t('station')} ${it.sheet.station}: `);
    const span = document.createElement('span');
    span.textContent = text;
    if (it.state === 'rejected' || it.state === 'bad-receipt') span.className = 'error';
    li.append(span);
    if (it.receipt) {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([JSON.stringify(it.receipt) + '\n'], { type: 'application/json' }));
      a.download = `receipt-${it.sheet.station}-${it.receipt.log_index}.json`;
      a.textContent = t('receipt');
      a.dataset.testid = 'receipt';
      li.append(a);
    }
    ul.append(li);
  }
}

// ---- start --------------------------------------------------------------------------------------
async function main() {
  applyStrings();
  $('lang').onclick = () => { setLang(getLang() === 'es' ? 'en' : 'es'); applyStrings(); renderOutbox(); if (device) showDevice(); };
  $('enrol-btn').onclick = enrol;
  $('file').onchange = () => { const f = $('file').files[0]; if (f) decode(f); };
  $('camera-open').onclick = openCamera;
  $('camera-take').onclick = takePhoto;
  $('confirm-btn').onclick = confirmSheet;
  $('discard-btn').onclick = () => { pending = null; $('confirm').hidden = true; };
  $('retry').onclick = flush;
  addEventListener('online', () => { applyStrings(); flush(); });
  addEventListener('offline', applyStrings);
  setInterval(flush, RETRY_MS);
  const saved = await getKV('device');
  if (saved) { device = saved; showDevice(); }
  await renderOutbox();
  try {
    const e = await getJSON('/api/v1/election');
    if (e.status === 200) election = e.body;
  } catch (_) { /* offline at start: the election is kept from the last visit */ }
  if (election) await putKV('election', election);
  else election = await getKV('election');
  document.body.dataset.ready = '1';
  flush();
}
main();
