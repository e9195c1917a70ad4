// The witness page's words, Spanish first (the page follows the browser's language; a button switches).
const STRINGS = {
  es: {
    title: 'Testigo de mesa', lang: 'EN',
    intro: 'Fotografíe el código QR del acta, confirme los números y envíelos firmados desde este teléfono.',
    enrol_h: '1. Inscribir este teléfono', code_label: 'Código de invitación (de su organización)',
    enrol: 'Inscribir', enrolling: 'Inscribiendo…',
    enrolled: (org, src) => `Teléfono inscrito por ${org}; envía actas como ${src}.`,
    enrol_failed: (r) => `No se pudo inscribir: ${r}`,
    no_webcrypto: 'Este navegador no puede crear claves Ed25519 (WebCrypto). Use Chromium o Chrome reciente.',
    capture_h: '2. Fotografiar el acta', file_label: 'Elegir o tomar foto',
    camera_open: 'Abrir cámara', camera_take: 'Tomar foto', camera_failed: (r) => `Cámara no disponible: ${r}`,
    decoding: 'Leyendo el código QR…', decoded_device: 'QR leído en este teléfono.', decoded_server: 'QR leído por el servidor (este teléfono no pudo).',
    decode_failed: 'No se encontró un código QR legible. Acérquese, evite reflejos y vuelva a intentar.',
    two_codes: 'La foto tiene dos códigos QR distintos: fotografíe solo el del acta.',
    parse_failed: (r) => `El código QR no es un acta de esta elección: ${r}`,
    confirm_h: '3. Confirmar', station: 'Mesa', valid: 'Votos válidos', null: 'Votos nulos',
    confirm: 'Los números coinciden con el acta: enviar', discard: 'Descartar',
    outbox_h: 'Actas enviadas', queued: 'En cola (sin conexión): se enviará sola',
    logged: (i) => `Registrada en el registro público, posición ${i}; recibo verificado`,
    duplicate: (i) => `Ya estaba registrada (posición ${i}); recibo verificado`,
    rejected: (r) => `Rechazada: ${r}`, receipt: 'Descargar recibo',
    receipt_bad: (r) => `¡El recibo NO verifica! ${r}`, retry: 'Reintentar ahora', offline: 'Sin conexión',
  },
  en: {
    title: 'Table witness', lang: 'ES',
    intro: 'Photograph the tally sheet\'s QR code, confirm the numbers and send them signed from this phone.',
    enrol_h: '1. Enrol this phone', code_label: 'Invite code (from your organisation)',
    enrol: 'Enrol', enrolling: 'Enrolling…',
    enrolled: (org, src) => `Phone enrolled by ${org}; submits sheets as ${src}.`,
    enrol_failed: (r) => `Could not enrol: ${r}`,
    no_webcrypto: 'This browser cannot create Ed25519 keys (WebCrypto). Use a recent Chromium or Chrome.',
    capture_h: '2. Photograph the sheet', file_label: 'Choose or take a photo',
    camera_open: 'Open camera', camera_take: 'Take photo', camera_failed: (r) => `Camera unavailable: ${r}`,
    decoding: 'Reading the QR code…', decoded_device: 'QR code read on this phone.', decoded_server: 'QR code read by the server (this phone could not).',
    decode_failed: 'No readable QR code found. Move closer, avoid glare and try again.',
    two_codes: 'The photo holds two different QR codes: photograph the sheet\'s only.',
    parse_failed: (r) => `The QR code is not a sheet of this election: ${r}`,
    confirm_h: '3. Confirm', station: 'Table', valid: 'Valid votes', null: 'Null votes',
    confirm: 'The numbers match the sheet: send', discard: 'Discard',
    outbox_h: 'Sent sheets', queued: 'Queued (offline): will be sent automatically',
    logged: (i) => `Logged in the public log at index ${i}; receipt verified`,
    duplicate: (i) => `Already logged (index ${i}); receipt verified`,
    rejected: (r) => `Rejected: ${r}`, receipt: 'Download receipt',
    receipt_bad: (r) => `The receipt does NOT verify! ${r}`, retry: 'Retry now', offline: 'Offline',
  },
};

let lang = (() => {
  try { const s = localStorage.getItem('tallylog.lang'); if (s === 'es' || s === 'en') return s; } catch (_) {}
  return (navigator.language || 'es').toLowerCase().startsWith('en') ? 'en' : 'es';
})();
export const getLang = () => lang;
export function setLang(l) { lang = l; try { localStorage.setItem('tallylog.lang', l); } catch (_) {} }
export function t(key, ...args) {
  const v = STRINGS[lang][key] ?? STRINGS.es[key] ?? key;
  return typeof v === 'function' ? v(...args) : v;
}
