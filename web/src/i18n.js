// Spanish and English labels. The choice is kept in localStorage; default from the browser.
const STRINGS = {
  es: {
    title: 'Resultados verificables', nav_results: 'Resultados', nav_discrepancies: 'Discrepancias',
    nav_export: 'Descargar datos (CSV)', loading: 'Cargando…', national: 'Nacional',
    footer: 'Cada acta está en un registro público de solo adición (Merkle, C2SP tlog-tiles).',
    tables_counted: 'Mesas contadas', coverage: 'Cobertura', valid: 'Votos válidos', null: 'Votos no válidos',
    turnout: 'Participación', candidate: 'Candidato', votes: 'Votos', share: '% válidos', source: 'Fuente',
    share_of: (b) => `% de ${b}`, base_valid: 'los votos válidos', base_cast: 'los votos emitidos',
    base_candidates: 'los votos por candidatos', party: 'Partido (tarjeta)', cards_title: 'Votos por tarjeta (partido)',
    cards_note: (n, m) => `Sobre las ${n} de ${m} mesas contadas cuyas actas dan los votos por tarjeta.`,
    nav_flags: 'Alertas', flags_title: 'Actas con alertas',
    flags_intro: (n, m) => `${n} de ${m} actas rompen una regla de alerta de la elección. Están aceptadas y contadas.`,
    flags_no_rules: 'La elección no tiene reglas de alerta.', flags_sheets: 'actas', flags_reason: 'Regla y cifras',
    all_sources: 'todas (sin conflictos)', area: 'Área', tables: 'Mesas', drill: 'Desglose por',
    leader: 'Ventaja', decided_full: 'Decidido aun si votara todo elector de las mesas faltantes',
    decided_observed: 'Decidido con la participación más alta observada', yes: 'sí', no: 'no',
    max_remaining: 'Votos máximos por contar',
    missing_tables: '{n} mesas no figuran en el registro; se supone un máximo de {cap} electores cada una', lead_over: 'ventaja sobre', table: 'Mesa',
    turnout_excluded: (n) => `sin ${n} mesas de electores desconocidos`, registered_unknown: 'desconocidos',
    registered: 'Electores', status: 'Estado', counted: 'contada', unreported: 'sin acta', conflicted: 'en conflicto',
    sheets_side: 'Actas de cada fuente', log_index: 'Índice en el log', superseded: 'reemplazada',
    verified: (i, s) => `Verificada en el log en el índice ${i}, tamaño del checkpoint firmado ${s}`,
    not_verified: (r) => `Prueba NO verificada: ${r}`, pending: 'Registrada; aún no está en un checkpoint firmado',
    verifying: 'Verificando prueba…', image: 'Imagen del acta', no_image: 'Sin imagen',
    disc_title: 'Discrepancias entre fuentes', disc_none: 'No hay mesas con diferencias.',
    difference: 'Diferencia', fields: 'Campos (A → B)', compare: 'Comparar', matching: 'Coinciden',
    differing: 'Difieren', only_a: 'Solo en A', only_b: 'Solo en B', no_sheets: 'Ninguna fuente ha enviado esta acta.',
    error: 'Error', back: 'Volver',
    log_key: 'Clave pública del log (compárela con la publicada por otros medios)', no_log_key: 'el servidor no publica la clave del log',
    sig_ok: (k) => `Checkpoint firmado por ${k}: firma Ed25519 verificada`,
    sig_bad: (r) => `Firma del checkpoint NO verificada (${r}): ninguna prueba de esta página vale`,
    not_signed: 'la firma del checkpoint no es válida',
    registry_cap: 'Registro electoral oficial: {total} electores; las mesas fuera del registro suman a lo sumo {cap}',
    nav_forensics: 'Forense', forensics_title: 'Análisis forense estadístico',
    fingerprint_title: 'Huella electoral (participación × voto del líder)', integer_title: 'Porcentajes redondos',
    shpilkin_title: 'Votos según participación (método de Shpilkin)', digits_title: 'Dígitos',
    stands_out: 'Destacan', none_stand_out: 'Ningún área ni fuente destaca.', declared_title: 'Resultados anunciados frente a las actas',
    no_declarations: 'No hay resultados anunciados registrados.', contradicted: 'contradice las actas',
    forensics_note: 'Pruebas y supuestos: docs/forensics.md. Una prueba con pocas mesas lo dice en lugar de dar un número.',
    mem_first: (n) => `Primera visita: este navegador recuerda el checkpoint de tamaño ${n} y comprobará que cada checkpoint futuro lo extiende`,
    mem_same: (n, d) => `Mismo checkpoint (tamaño ${n}) que este navegador vio el ${d}`,
    mem_consistent: (n, m, d) => `Checkpoint de tamaño ${n} verificado: extiende el de tamaño ${m} que este navegador vio el ${d} (prueba de consistencia comprobada aquí)`,
    mem_bad: (r) => `✘ El log NO es consistente con lo que este navegador vio antes: ${r}. Ambos checkpoints firmados quedan guardados en este navegador como evidencia; no confíe en estos resultados.`,
    mem_unverified: (r) => `✘ El checkpoint del servidor no tiene una firma válida (${r})`,
    mem_error: (r) => `No se pudo comprobar la consistencia con el checkpoint visto antes (${r})`,
    mem_evidence: 'Evidencia: los dos checkpoints firmados',
    witnesses: 'Testigos', no_witnesses: 'Este servidor no declara testigos independientes',
    witness_ok: (w, n, t) => `${w} cofirmó el tamaño ${n} (${t})`, witness_missing: (w) => `${w} no cofirmó este checkpoint`,
    quorum: (k, q) => `${k} de ${q} cofirmas requeridas`,
    decided_per: (l) => `Esta elección se decide por ${l}: cada candidato compite en uno solo, así que no se suman votos por encima de ese nivel.`,
    races: 'Contiendas', race_leader: 'Adelante', race_lead: 'Ventaja', race_decided: 'Decidida', tied: 'empate',
    search_placeholder: 'Buscar centro, código o lugar (estado, municipio, parroquia)', search_none: 'Sin resultados',
    search_more: (n) => `Se muestran los primeros ${n}: escriba más para acotar`, search_error: (r) => `La búsqueda falló: ${r}`,
    map_title: 'Mapa: quién va adelante en cada estado', map_hint: 'Toque un estado para ver su desglose.',
    map_leads: (c) => `adelante ${c}`, map_no_leader: 'sin votos o empate',
    map_unmatched: (l) => `Sin forma en el mapa: ${l}`,
    map_source: 'Límites: Natural Earth (dominio público), simplificados.',
    images_title: 'Imagen del acta', image_open: 'Abrir la imagen completa',
  },
  en: {
    title: 'Verifiable results', nav_results: 'Results', nav_discrepancies: 'Discrepancies',
    nav_export: 'Download data (CSV)', loading: 'Loading…', national: 'National',
    footer: 'Every tally sheet is in a public append-only log (Merkle, C2SP tlog-tiles).',
    tables_counted: 'Tables counted', coverage: 'Coverage', valid: 'Valid votes', null: 'Invalid votes',
    turnout: 'Turnout', candidate: 'Candidate', votes: 'Votes', share: '% of valid', source: 'Source',
    share_of: (b) => `% of ${b}`, base_valid: 'valid votes', base_cast: 'votes cast', base_candidates: 'candidate votes',
    party: 'Party (card)', cards_title: 'Votes per card (party)',
    cards_note: (n, m) => `Over the ${n} of ${m} counted tables whose sheets give votes per card.`,
    nav_flags: 'Flags', flags_title: 'Flagged sheets',
    flags_intro: (n, m) => `${n} of ${m} sheets break a flag rule of the election. They are accepted and counted.`,
    flags_no_rules: 'The election has no flag rules.', flags_sheets: 'sheets', flags_reason: 'Rule and numbers',
    all_sources: 'all (non-conflicting)', area: 'Area', tables: 'Tables', drill: 'Breakdown by',
    leader: 'Lead', decided_full: 'Decided even if every voter of the missing tables voted',
    decided_observed: 'Decided at the highest observed turnout', yes: 'yes', no: 'no',
    max_remaining: 'Most votes still uncounted',
    missing_tables: '{n} tables are missing from the registry; assumed at most {cap} voters each', lead_over: 'lead over', table: 'Table',
    turnout_excluded: (n) => `excludes ${n} tables whose registered voters are unknown`, registered_unknown: 'unknown',
    registered: 'Voters', status: 'Status', counted: 'counted', unreported: 'no sheet', conflicted: 'conflicted',
    sheets_side: 'Every source’s sheet', log_index: 'Log index', superseded: 'superseded',
    verified: (i, s) => `Verified in the log at index ${i}, signed checkpoint size ${s}`,
    not_verified: (r) => `Proof NOT verified: ${r}`, pending: 'Logged; not yet in a signed checkpoint',
    verifying: 'Checking proof…', image: 'Sheet image', no_image: 'No image',
    disc_title: 'Discrepancies between sources', disc_none: 'No tables differ.',
    difference: 'Difference', fields: 'Fields (A → B)', compare: 'Compare', matching: 'Matching',
    differing: 'Differing', only_a: 'Only in A', only_b: 'Only in B', no_sheets: 'No source has sent this sheet yet.',
    error: 'Error', back: 'Back',
    log_key: 'Log public key (compare it with the one published elsewhere)', no_log_key: 'the server does not publish the log key',
    sig_ok: (k) => `Checkpoint signed by ${k}: Ed25519 signature verified`,
    sig_bad: (r) => `Checkpoint signature NOT verified (${r}): no proof on this page counts`,
    not_signed: 'the checkpoint signature is not valid',
    registry_cap: 'Official voter registry: {total} voters; the tables outside the registry hold at most {cap}',
    nav_forensics: 'Forensics', forensics_title: 'Statistical forensics',
    fingerprint_title: 'Election fingerprint (turnout × leader’s share)', integer_title: 'Round percentages',
    shpilkin_title: 'Votes by turnout (Shpilkin’s method)', digits_title: 'Digits',
    stands_out: 'Stand out', none_stand_out: 'No area or source stands out.', declared_title: 'Announced results against the sheets',
    no_declarations: 'No announced results are logged.', contradicted: 'contradicted by the sheets',
    forensics_note: 'Tests and assumptions: docs/forensics.md. A test with too few tables says so instead of giving a number.',
    mem_first: (n) => `First visit: this browser remembers the checkpoint of size ${n} and will check that every later checkpoint extends it`,
    mem_same: (n, d) => `Same checkpoint (size ${n}) this browser saw on ${d}`,
    mem_consistent: (n, m, d) => `Checkpoint of size ${n} verified: it extends the one of size ${m} this browser saw on ${d} (consistency proof checked here)`,
    mem_bad: (r) => `✘ The log is NOT consistent with what this browser saw before: ${r}. Both signed checkpoints are kept in this browser as evidence; do not trust these results.`,
    mem_unverified: (r) => `✘ The server's checkpoint has no valid signature (${r})`,
    mem_error: (r) => `Could not check consistency with the checkpoint seen before (${r})`,
    mem_evidence: 'Evidence: the two signed checkpoints',
    witnesses: 'Witnesses', no_witnesses: 'This server declares no independent witnesses',
    witness_ok: (w, n, t) => `${w} cosigned size ${n} (${t})`, witness_missing: (w) => `${w} did not cosign this checkpoint`,
    quorum: (k, q) => `${k} of ${q} required cosignatures`,
    decided_per: (l) => `This contest is decided per ${l}: each candidate stands in one only, so votes are not summed above that level.`,
    races: 'Races', race_leader: 'Leader', race_lead: 'Lead', race_decided: 'Decided', tied: 'tied',
    search_placeholder: 'Search a centre, code or place (state, municipality, parish)', search_none: 'No results',
    search_more: (n) => `Showing the first ${n}: type more to narrow`, search_error: (r) => `Search failed: ${r}`,
    map_title: 'Map: who leads in each state', map_hint: 'Tap a state to see its breakdown.',
    map_leads: (c) => `${c} leads`, map_no_leader: 'no votes or tied',
    map_unmatched: (l) => `No shape on the map: ${l}`,
    map_source: 'Boundaries: Natural Earth (public domain), simplified.',
    images_title: 'Sheet image', image_open: 'Open the full image',
  },
};

let lang = (() => {
  try { const s = localStorage.getItem('tallylog.lang'); if (s === 'es' || s === 'en') return s; } catch (_) {}
  return ((typeof navigator !== 'undefined' && navigator.language) || 'es').toLowerCase().startsWith('en') ? 'en' : 'es';
})();

export const getLang = () => lang;
export function setLang(l) {
  lang = l;
  try { localStorage.setItem('tallylog.lang', l); } catch (_) {}
}
export function t(key, ...args) {
  const v = STRINGS[lang][key] ?? STRINGS.es[key] ?? key;
  return typeof v === 'function' ? v(...args) : v;
}
export function fmt(n) {
  if (n === null || n === undefined) return '–';
  return new Intl.NumberFormat(lang === 'es' ? 'es-VE' : 'en-US').format(n);
}
export function pct(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  return new Intl.NumberFormat(lang === 'es' ? 'es-VE' : 'en-US', { style: 'percent', maximumFractionDigits: 2 }).format(x);
}
