// The tallylog results page: a small hash-routed app over the JSON API (docs/api.md).
//   #/                      national totals, outcome bound, first level
//   #/area/<depth>/<code>   one area: its totals (sum of its children) and its children
//   #/table/<code>          one table: every source's sheet side by side, image, proofs checked here
//   #/discrepancies         tables where two sources differ, largest difference first
//   #/forensics             fingerprint, round percentages, Shpilkin plot with one-line readings;
//                           areas and sources that stand out; announced results against the sheets
// An election with several contests: a selector in the header (hidden otherwise); every view and
// every API request follows it (?contest=<id>, docs/api.md "Contests"), kept in the address's
// ?contest= so a reload or a shared link shows the same contest.
// Text from the data is inserted as text nodes only (never as HTML).
import { t, fmt, pct, getLang, setLang } from './i18n.js';
import { verifySheet } from './verify.js';
import { staticAnswer } from './static.js';
import { verifyNote, parseVerifierKey } from './note.js';
import { checkCheckpointHistory, evidenceKey } from './memory.js';
import { verifyCosignatures } from './cosignature.js';
import { searchBox, resultsMap, loadGeo } from './citizen.js';

const app = document.getElementById('app');
let election = null;
let source = '*';
let contest = '';  // the contest shown ('' for a single-contest election)
// A contest decided per area (a mayor's race, `decided_at`): the depth of the decided level (0 for a
// national race). /api/v1/election does not say it (yet), so it comes from /api/v1/bound's
// `decided_at`, which answers one race per area for such a contest.
let decidedDepth = 0;

// Routes of the election as a whole (one log for every contest) take no contest.
const electionWide = (path) => !path.startsWith('/api/v1/') || path.startsWith('/api/v1/log/') ||
  path.startsWith('/api/v1/witnesses');
function withContest(path) {
  if (!contest || electionWide(path)) return path;
  return `${path}${path.includes('?') ? '&' : '?'}contest=${encodeURIComponent(contest)}`;
}

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function api(path) {
  path = withContest(path);
  const answer = await staticAnswer(path);  // a static copy of the site (static.js); undefined: a live server
  if (answer !== undefined) return answer;
  const r = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${r.status} ${path}`);
  return body;
}

const q = (params) => new URLSearchParams(params).toString();
const levelCode = (depth) => election.levels[depth - 1].code;
const levelName = (depth) => (depth === 0 ? t('national') : election.levels[depth - 1].name);
const tableDepth = () => election.levels.length;
const candName = (code) => (election.candidates.find((c) => c.code === code) || { name: code }).name;

function sourceControl(sources, onchange) {
  const sel = h('select', { 'data-testid': 'source', onchange: (e) => onchange(e.target.value) },
    h('option', { value: '*' }, t('all_sources')),
    ...sources.map((s) => h('option', { value: s }, s)));
  sel.value = source;
  return h('label', {}, t('source') + ': ', sel);
}

// A figure the election declares (valid, invalid, turnout, share base) or "?" with the reason the
// server gives when it cannot compute it (never 0).
function figure(tot, key, value, format = fmt) {
  const why = tot.unknown && tot.unknown[key];
  if (value === null || value === undefined) return h('span', { class: 'muted', title: why || '', 'data-unknown': key }, '?');
  return format(value);
}

function summaryCards(tot) {
  const card = (k, v, id) => h('div', { class: 'card' }, h('div', { class: 'k' }, k), h('div', { class: 'v', 'data-testid': id }, v));
  return h('div', { class: 'cards' },
    card(t('tables_counted'), `${fmt(tot.tables_reported)} / ${fmt(tot.tables_registered)}`, 'tables-counted'),
    card(t('coverage'), pct(tot.coverage), 'coverage'),
    card(t('valid'), figure(tot, 'valid', tot.valid), 'total-valid'),
    card(t('null'), figure(tot, 'null', tot.null), 'total-null'),
    card(t('turnout'), tot.turnout_excluded_tables
      ? h('span', {}, figure(tot, 'turnout', tot.turnout, pct),
        h('div', { class: 'muted', 'data-testid': 'turnout-excluded' }, t('turnout_excluded', fmt(tot.turnout_excluded_tables))))
      : figure(tot, 'turnout', tot.turnout, pct), 'turnout'));
}

// Candidate votes with their share of the base the election declares (figures.shares).
function candidateTable(tot) {
  const rows = areaCandidates(tot).map((c) => ({ code: c.code, name: c.name, votes: tot.candidates[c.code] || 0 }))
    .sort((a, b) => b.votes - a.votes);
  const max = Math.max(1, ...rows.map((r) => r.votes));
  const base = tot.share_base;
  return h('div', { class: 'scroll' }, h('table', { 'data-testid': 'candidates' },
    h('thead', {}, h('tr', {}, h('th', {}, t('candidate')), h('th', {}, t('votes')), h('th', {}, t('share_of', shareBaseName())), h('th', { class: 'hide-sm' }, ''))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('td', {}, r.name),
      h('td', { 'data-testid': `cand-votes-${r.code}`, 'data-votes': r.votes }, fmt(r.votes)),
      h('td', {}, base ? pct(r.votes / base) : figure(tot, 'share_base', null)),
      h('td', { class: 'hide-sm', style: 'width:30%' }, h('div', { class: 'bar', style: `width:${(100 * r.votes) / max}%` })))))));
}

// The candidates an area's totals list: in a local race the API gives only those standing there.
function areaCandidates(tot) {
  if (!decidedDepth) return election.candidates;
  return election.candidates.filter((c) => Object.prototype.hasOwnProperty.call(tot.candidates || {}, c.code));
}

// Finds the decided level (election.decided_at if the server says it, else the bound's).
// `early`: the bound already asked for (main() asks alongside /api/v1/election, saving a round trip
// on a slow connection).
async function loadDecidedLevel(early = null) {
  let at = election.decided_at;
  if (at === undefined) {
    const b = await (early || api('/api/v1/bound').catch(() => null));
    at = b && b.decided_at;
  }
  const i = at ? election.levels.findIndex((l) => l.code === at) : -1;
  decidedDepth = i >= 0 ? i + 1 : 0;
}

// Above the decided level of a local race: no summed candidate table (a sum of separate races names
// a leader no voter chose between); one line saying so and the races, each linking to its area.
function racesTable(bound, codes) {
  const areas = ((bound && bound.areas) || []).filter((a) => !codes || codes.has(a.code))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  const link = (a) => (decidedDepth === tableDepth() ? `#/table/${encodeURIComponent(a.code)}` : `#/area/${decidedDepth}/${encodeURIComponent(a.code)}`);
  const yn = (x) => h('strong', { class: x ? 'ok' : 'bad' }, x ? t('yes') : t('no'));
  return h('div', {},
    h('p', { 'data-testid': 'decided-per' }, t('decided_per', levelName(decidedDepth).toLowerCase())),
    h('h2', {}, t('races')),
    h('div', { class: 'scroll' }, h('table', { 'data-testid': 'races' },
      h('thead', {}, h('tr', {}, h('th', {}, levelName(decidedDepth)), h('th', {}, t('race_leader')), h('th', {}, t('race_lead')), h('th', {}, t('race_decided')))),
      h('tbody', {}, areas.map((a) => {
        const b = a.bound || {};
        const rival = b.rivals && b.rivals[0];
        return h('tr', { 'data-race': a.code },
          h('td', {}, h('a', { href: link(a), 'data-code': a.code }, a.name || a.code)),
          h('td', { 'data-testid': `race-leader-${a.code}`, 'data-candidate': b.leader ? b.leader.candidate : '' },
            b.leader ? b.leader.name : '–', b.tied ? ` (${t('tied')})` : ''),
          h('td', {}, rival ? fmt(rival.lead) : '–'),
          h('td', {}, yn(b.decided)));
      })))));
}

function shareBaseName() {
  const s = (election.figures && election.figures.shares) || 'valid';
  return t(`base_${s}`);
}

// Per-card (per-party) totals, labelled, wherever candidate totals appear; counted over the
// tables whose sheets carry cards.
function cardTable(tot) {
  if (!tot.cards || !tot.cards.length) return '';
  return h('div', {},
    h('h2', {}, t('cards_title')),
    h('p', { class: 'muted' }, t('cards_note', fmt(tot.tables_with_cards), fmt(tot.tables_reported))),
    h('div', { class: 'scroll' }, h('table', { 'data-testid': 'cards' },
      h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, t('party')), h('th', {}, t('candidate')), h('th', {}, t('votes')))),
      // Labels from the election (position, party, candidate); votes from the tally, in ballot order.
      h('tbody', {}, (election.cards || []).map((c, i) => h('tr', {},
        h('td', {}, String(c.position)),
        h('td', {}, c.party),
        h('td', {}, candName(c.candidate)),
        h('td', { 'data-testid': `card-votes-${c.position}` }, fmt(tot.cards[i]))))))));
}

// The bound's assumption about tables the registry lacks (their voters unknown): say it plainly,
// since it decides the verdict on data such as Venezuela 2024's.
function missingTables(u) {
  const n = u ? (u.count || 0) + (u.in_areas || 0) : 0;
  if (!n) return '';
  return h('div', { class: 'assumption', 'data-testid': 'bound-missing-tables' },
    t('missing_tables').replace('{n}', fmt(n)).replace('{cap}', fmt(u.max_voters_per_table)));
}

function boundBox(b) {
  if (!b || !b.leader) return null;
  const rival = b.rivals && b.rivals[0];
  const yn = (x) => h('strong', { class: x ? 'ok' : 'bad' }, x ? t('yes') : t('no'));
  return h('div', { class: 'bound', 'data-testid': 'bound' },
    h('div', {}, `${t('leader')}: ${b.leader.name} `, rival ? `(${t('lead_over')} ${candName(rival.candidate)}: ${fmt(rival.lead)})` : ''),
    h('div', {}, `${t('max_remaining')}: ${fmt(b.bounds.full.max_votes)}`),
    missingTables(b.unregistered_tables),
    b.registry_total && b.unregistered_basis === 'registry-total'
      ? h('div', { class: 'muted', 'data-testid': 'bound-registry' },
        t('registry_cap').replace('{total}', fmt(b.registry_total.total)).replace('{cap}', fmt(b.registry_total.unregistered_voters)), ' (',
        b.registry_total.source, ')')
      : null,
    h('div', {}, `${t('decided_full')}: `, yn(b.bounds.full.decided)),
    h('div', {}, `${t('decided_observed')}: `, yn(b.bounds.observed.decided)));
}

function crumbs(ancestors) {
  const parts = [h('a', { href: '#/' }, t('national'))];
  for (const a of ancestors) {
    parts.push(' › ');
    parts.push(a.href ? h('a', { href: a.href }, a.name) : h('span', {}, a.name));
  }
  return h('div', { class: 'crumbs', 'data-testid': 'crumbs' }, parts);
}

async function renderArea(depth, code) {
  // Above a local race's decided level, the drill-down goes straight to the decided level's areas.
  const aboveDecided = decidedDepth > 0 && depth < decidedDepth;
  const childDepth = aboveDecided ? decidedDepth : depth + 1;
  const params = { level: levelCode(childDepth), source };
  if (code) params.parent = code;
  const [tally, sources, bound] = await Promise.all([
    api(`/api/v1/tally?${q(params)}`),
    api('/api/v1/sources').then((s) => s.sources).catch(() => []),
    depth === 0 || aboveDecided ? api(`/api/v1/bound?${q({ source })}`).catch(() => null) : Promise.resolve(null),
  ]);
  if (aboveDecided) return renderAboveDecided(depth, code, tally, sources, bound);
  const tot = depth === 0 ? tally.total : tally.parent_total;
  const title = depth === 0 ? election.name : tally.parent_name || code;
  const ancestors = (tally.ancestors || []).map((a) => ({ name: a.name, href: `#/area/${a.depth}/${encodeURIComponent(a.code)}` }));
  if (depth > 0) ancestors.push({ name: title });
  const childLink = (a) => (childDepth === tableDepth() ? `#/table/${encodeURIComponent(a.code)}` : `#/area/${childDepth}/${encodeURIComponent(a.code)}`);
  const top = areaCandidates(tot).slice(0, 2);
  const children = [...tally.areas].sort((a, b) => String(a.name).localeCompare(String(b.name)));
  // The national view of a first level that the map's shapes fit: the leader of each area.
  const map = depth === 0 && childDepth === 1 && childDepth < tableDepth()
    ? await resultsMap(h, tally.areas, election.candidates, candName, (c) => { location.hash = `#/area/1/${encodeURIComponent(c)}`; })
    : '';
  app.replaceChildren(
    depth > 0 ? crumbs(ancestors) : '',
    h('h1', { 'data-testid': 'area-title' }, title),
    h('div', { class: 'controls' }, sourceControl(sources, (s) => { source = s; updateExport(); route(); })),
    summaryCards(tot),
    h('h2', {}, t('votes')),
    candidateTable(tot),
    map || '',
    cardTable(tot),
    depth === 0 ? boundBox(bound) : '',
    h('h2', {}, `${t('drill')} ${levelName(childDepth)}`),
    h('div', { class: 'scroll' }, h('table', { 'data-testid': 'children' },
      h('thead', {}, h('tr', {}, h('th', {}, levelName(childDepth)), h('th', {}, t('coverage')), h('th', {}, t('valid')),
        ...top.map((c) => h('th', { class: 'hide-sm' }, c.code)))),
      h('tbody', {}, children.map((a) => h('tr', {},
        h('td', {}, h('a', { href: childLink(a), 'data-code': a.code }, a.name || a.code)),
        h('td', {}, childDepth === tableDepth() ? (a.tables_reported ? '✓' : '–') : pct(a.coverage)),
        h('td', {}, figure(a, 'valid', a.valid)),
        ...top.map((c) => h('td', { class: 'hide-sm' }, fmt((a.candidates || {})[c.code])))))))));
}

// A view above a local race's decided level: the area's counting figures (tables, valid votes,
// turnout add up across races), the line saying the contest is decided per area, and its races.
function renderAboveDecided(depth, code, tally, sources, bound) {
  const tot = depth === 0 ? tally.total : tally.parent_total;
  const title = depth === 0 ? election.name : tally.parent_name || code;
  const ancestors = (tally.ancestors || []).map((a) => ({ name: a.name, href: `#/area/${a.depth}/${encodeURIComponent(a.code)}` }));
  if (depth > 0) ancestors.push({ name: title });
  app.replaceChildren(
    depth > 0 ? crumbs(ancestors) : '',
    h('h1', { 'data-testid': 'area-title' }, title),
    h('div', { class: 'controls' }, sourceControl(sources, (s) => { source = s; updateExport(); route(); })),
    summaryCards(tot),
    racesTable(bound, new Set(tally.areas.map((a) => a.code))));
}

async function renderTable(code) {
  const data = await api(`/api/v1/stations/${encodeURIComponent(code)}/sheets`);
  const st = data.station;
  const ancestors = st.areas.slice(0, -1).map((a, i) => ({ name: a.name || a.code, href: `#/area/${i + 1}/${encodeURIComponent(a.code)}` }));
  ancestors.push({ name: code });
  const sheets = data.sheets;
  const current = sheets.filter((s) => !s.superseded);
  const fields = election.fields && election.fields.length ? election.fields : ['valid', 'null'];
  // A local race: only the candidates standing in the table's decided-level area (the API's tally
  // of that area lists them), not every race's zeros.
  let standing = election.candidates;
  const decidedArea = decidedDepth > 0 && decidedDepth < tableDepth() ? st.areas[decidedDepth - 1] : null;
  if (decidedArea) {
    const r = await api(`/api/v1/tally?${q({ level: levelCode(tableDepth()), parent: decidedArea.code, source })}`);
    standing = areaCandidates(r.parent_total);
  }
  const rows = [
    ...fields.map((f) => ({ label: t(f) !== f ? t(f) : f, get: (s) => (s.sheet.fields || {})[f] })),
    ...standing.map((c) => ({ label: c.name, get: (s) => (s.sheet.candidates || {})[c.code] })),
  ];
  const differs = (row) => new Set(current.map((s) => row.get(s))).size > 1;
  // "Verified" means both: the checkpoint is signed by the log's key (checked once per page) and
  // the sheet's inclusion proof leads to the root of that signed checkpoint.
  let signature;
  try {
    signature = verifyNote(data.checkpoint && data.checkpoint.text, election.log_vkey);
  } catch (e) {
    signature = { ok: false, reason: e.message };
  }
  const sigBox = h('div', { 'data-testid': 'checkpoint-status', 'data-signature': signature.ok ? 'valid' : 'invalid',
    class: signature.ok ? 'ok sig' : 'bad sig sig-bad' },
  signature.ok ? '✔ ' + t('sig_ok', `${signature.name}+${signature.keyId}`) : '✘ ' + t('sig_bad', signature.reason));
  const proofCell = (s) => {
    const el = h('div', { 'data-testid': 'proof-status', 'data-log-index': s.log_index }, t('verifying'));
    queueMicrotask(() => {
      try {
        const r = verifySheet(s, data.checkpoint.text, election.log_vkey, signature);
        if (r.ok) { el.className = 'ok'; el.dataset.verified = 'true'; el.textContent = '✔ ' + t('verified', r.index, r.size); }
        else if (!signature.ok) { el.className = 'bad'; el.dataset.verified = 'false'; el.textContent = '✘ ' + t('not_verified', t('not_signed')); }
        else if (r.pending) { el.className = 'muted'; el.textContent = t('pending'); }
        else { el.className = 'bad'; el.dataset.verified = 'false'; el.textContent = '✘ ' + t('not_verified', r.reason); }
      } catch (e) { el.className = 'bad'; el.dataset.verified = 'false'; el.textContent = '✘ ' + t('not_verified', e.message); }
    });
    return el;
  };
  app.replaceChildren(
    crumbs(ancestors),
    h('h1', { 'data-testid': 'table-title' }, `${t('table')} ${code}`),
    h('p', { class: 'muted' }, `${t('registered')}: ${st.registered === null ? t('registered_unknown') : fmt(st.registered)}`),
    sheets.length === 0 ? '' : sigBox,
    sheets.length === 0 ? h('p', {}, t('no_sheets')) : h('div', {},
      h('h2', {}, t('sheets_side')),
      // The numbers and the acta images side by side on a wide screen, stacked on a phone
      // (numbers first); images load lazily, only when scrolled near.
      h('div', { class: 'side-by-side', 'data-testid': 'table-with-images' },
      h('div', { class: 'scroll' }, h('table', { 'data-testid': 'sheets-table' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), ...sheets.map((s) => h('th', {}, s.sheet.source, h('br'),
          h('span', { class: 'muted' }, `#${s.log_index}${s.superseded ? ' · ' + t('superseded') : ''}${s.conflicted ? ' · ' + t('conflicted') : ''}`))))),
        h('tbody', {}, rows.map((row) => {
          const d = differs(row);
          return h('tr', {}, h('td', {}, row.label), ...sheets.map((s) => h('td', { class: d && !s.superseded ? 'diff' : '' }, fmt(row.get(s)))));
        })))),
      h('div', { class: 'sheets' }, sheets.map((s) => h('div', { class: 'sheet', 'data-testid': 'sheet' },
        h('div', {}, h('strong', {}, s.sheet.source), ` · ${t('log_index')} ${s.log_index}`),
        proofCell(s),
        s.sheet.image_sha256
          ? h('a', { href: `/blobs/sha256/${s.sheet.image_sha256}`, target: '_blank', rel: 'noopener', title: t('image_open') },
            h('img', { src: `/blobs/sha256/${s.sheet.image_sha256}`, alt: `${t('images_title')} · ${s.sheet.source}`, loading: 'lazy', decoding: 'async', 'data-testid': 'sheet-image' }))
          : h('p', { class: 'muted' }, t('no_image'))))))));
}

// Sheets that break a flag rule of the election: accepted and counted, listed with the rule's note.
async function renderFlags() {
  const r = await api(`/api/v1/flags?${q({ source })}`);
  app.replaceChildren(
    h('h1', {}, t('flags_title')),
    h('p', { class: 'muted' }, t('flags_intro', fmt(r.sheets_flagged), fmt(r.sheets_checked))),
    r.rules.length === 0 ? h('p', {}, t('flags_no_rules')) : h('ul', { 'data-testid': 'flag-rules' },
      r.rules.map((x) => h('li', {}, h('code', {}, x.rule), ` — ${fmt(x.sheets)} `, t('flags_sheets'), x.note ? ` (${x.note})` : ''))),
    r.sheets.length === 0 ? '' : h('div', { class: 'scroll' }, h('table', { 'data-testid': 'flagged' },
      h('thead', {}, h('tr', {}, h('th', {}, t('table')), h('th', {}, t('source')), h('th', {}, t('log_index')), h('th', {}, t('flags_reason')))),
      h('tbody', {}, r.sheets.map((s) => h('tr', {},
        h('td', {}, h('a', { href: `#/table/${encodeURIComponent(s.table)}` }, s.table)),
        h('td', {}, s.source),
        h('td', {}, String(s.log_index)),
        h('td', {}, s.flags.map((f) => f.message).join('; '))))))));
}

async function renderDiscrepancies(params) {
  const sources = (await api('/api/v1/sources')).sources;
  const a = params.get('a') || (sources.includes('official') ? 'official' : sources[0] || '*');
  const b = params.get('b') || sources.find((s) => s !== a) || '*';
  const cmp = await api(`/api/v1/compare?${q({ a, b, level: levelCode(1) })}`);
  const diffs = [...cmp.differing].sort((x, y) => y.size - x.size);
  const pick = (value, which) => {
    const sel = h('select', { 'data-testid': `source-${which}`, onchange: (e) => {
      const p = new URLSearchParams({ a, b }); p.set(which, e.target.value); location.hash = `#/discrepancies?${p}`;
    } }, h('option', { value: '*' }, t('all_sources')), ...sources.map((s) => h('option', { value: s }, s)));
    sel.value = value;
    return h('label', {}, `${which.toUpperCase()}: `, sel);
  };
  app.replaceChildren(
    h('h1', {}, t('disc_title')),
    h('div', { class: 'controls' }, pick(a, 'a'), pick(b, 'b')),
    h('div', { class: 'cards' },
      ...[['matching', cmp.matching], ['differing', cmp.differing.length], ['only_a', cmp.only_a], ['only_b', cmp.only_b]]
        .map(([k, v]) => h('div', { class: 'card' }, h('div', { class: 'k' }, t(k)), h('div', { class: 'v' }, fmt(v))))),
    diffs.length === 0 ? h('p', {}, t('disc_none')) : h('div', { class: 'scroll' }, h('table', { 'data-testid': 'discrepancies' },
      h('thead', {}, h('tr', {}, h('th', {}, t('table')), h('th', {}, t('difference')), h('th', {}, t('fields')))),
      h('tbody', {}, diffs.slice(0, 2000).map((d) => h('tr', {},
        h('td', {}, h('a', { href: `#/table/${encodeURIComponent(d.table)}` }, d.table)),
        h('td', {}, fmt(d.size)),
        h('td', {}, Object.entries(d.fields).map(([f, [x, y]]) => `${f}: ${fmt(x)} → ${fmt(y)}`).join('; '))))))));
}

async function renderForensics(params) {
  const sources = (await api('/api/v1/sources')).sources;
  const src = params.get('source') || '*';
  const qs = q({ source: src });
  const [f, d] = await Promise.all([api(`/api/v1/forensics?${qs}`), api(`/api/v1/declared?${qs}`)]);
  const sel = sourceControl(sources, (v) => { location.hash = `#/forensics?${q({ source: v })}`; });
  sel.querySelector('select').value = src;
  const plot = (name, title, readings) => h('section', { class: 'plot', 'data-testid': `plot-${name}` },
    h('h2', {}, title),
    ...readings.map((r) => h('p', { class: 'reading', 'data-testid': 'reading' }, r)),
    h('img', { src: withContest(`/api/v1/forensics/${name}.svg?${qs}`), alt: title, 'data-testid': `img-${name}` }));
  const standing = [];
  for (const a of f.areas.list) for (const why of a.stands_out) standing.push(`${a.name}: ${why}`);
  for (const s of f.sources) for (const why of s.stands_out) standing.push(`${s.source}: ${why}`);
  const declared = [];
  for (const dc of d.declarations) {
    for (const a of dc.areas) {
      for (const fig of a.figures) {
        if (!fig.contradicted) continue;
        const what = `${dc.title || dc.source} · ${a.name} · ${fig.kind === 'candidate' ? candName(fig.name) : fig.name}`;
        declared.push(fig.below_by > 0
          ? `${what}: declared ${fmt(fig.declared)}; the verified sheets alone give at least ${fmt(fig.lower)} (${t('contradicted')})`
          : `${what}: declared ${fmt(fig.declared)}; at most ${fmt(fig.upper)} is possible (${t('contradicted')})`);
      }
      const r = a.round_percentages;
      if (r && r.decimals !== null && r.decimals !== undefined) {
        declared.push(`${dc.title || dc.source} · ${a.name}: every figure is ${r.base_name} × a ${r.decimals}-decimal percentage; by chance ${r.probability.toExponential(1)}`);
      }
    }
  }
  app.replaceChildren(
    h('h1', {}, t('forensics_title')),
    h('div', { class: 'controls' }, sel),
    h('p', { class: 'muted' }, t('forensics_note')),
    plot('fingerprint', t('fingerprint_title'), [f.readings[0]]),
    plot('integer', t('integer_title'), [f.readings[1], f.readings[2]]),
    plot('shpilkin', t('shpilkin_title'), [f.readings[3]]),
    h('section', {}, h('h2', {}, t('digits_title')), h('p', { class: 'reading', 'data-testid': 'reading' }, f.readings[4]),
      h('p', { class: 'reading', 'data-testid': 'reading' }, f.readings[5])),
    h('section', { 'data-testid': 'stands-out' }, h('h2', {}, t('stands_out')),
      standing.length ? h('ul', {}, standing.map((s) => h('li', {}, s))) : h('p', {}, t('none_stand_out'))),
    h('section', { 'data-testid': 'declared' }, h('h2', {}, t('declared_title')),
      d.declarations.length === 0 ? h('p', {}, t('no_declarations'))
        : h('ul', {}, declared.map((s) => h('li', { 'data-testid': 'declared-line' }, s)))));
}

// The log's verifier key in the footer of every page, so a person can compare it with the one
// published elsewhere (name+id is what the signature lines name; the full key is the public key).
function showLogKey() {
  const el = document.getElementById('log-key');
  if (!el) return;
  const key = parseVerifierKey(election && election.log_vkey);
  el.replaceChildren(`${t('log_key')}: `, key.error
    ? h('span', { class: 'bad', 'data-testid': 'log-key-id' }, election && election.log_vkey ? key.error : t('no_log_key'))
    : h('code', { 'data-testid': 'log-key-id', title: key.text }, `${key.name}+${key.keyId}`),
  key.error ? '' : h('br'), key.error ? '' : h('code', { class: 'vkey', 'data-testid': 'log-vkey' }, key.text));
}

// The checkpoint this browser saw before must be a prefix of today's (memory.js), and the
// witnesses the server names must have cosigned it (cosignature.js): both checked here, not on
// the server's word.
async function checkLogHistory() {
  const box = document.getElementById('log-status');
  if (!box || !election || !election.log_vkey) return;
  let text;
  try {
    const r = await fetch('/log/checkpoint', { cache: 'no-store' });
    text = await r.text();
  } catch (e) {
    box.replaceChildren(h('div', { class: 'muted' }, t('mem_error', e.message)));
    return;
  }
  const result = await checkCheckpointHistory({
    checkpointText: text,
    vkey: election.log_vkey,
    storage: window.localStorage,
    fetchProof: (from, to) => api(`/api/v1/log/consistency?${q({ from, to })}`),
  });
  const when = (iso) => (iso ? new Date(iso).toLocaleString(getLang() === 'es' ? 'es-VE' : 'en-US') : '');
  let line;
  let cls = 'ok';
  switch (result.state) {
    case 'first': line = '✔ ' + t('mem_first', fmt(result.size)); break;
    case 'same': line = '✔ ' + t('mem_same', fmt(result.size), when(result.seenAt)); break;
    case 'consistent': line = '✔ ' + t('mem_consistent', fmt(result.size), fmt(result.previousSize), when(result.seenAt)); break;
    case 'unverified': line = t('mem_unverified', result.reason); cls = 'bad alarm'; break;
    case 'error': line = t('mem_error', result.reason); cls = 'muted'; break;
    default: line = t('mem_bad', result.reason); cls = 'bad alarm';
  }
  const parts = [h('div', { class: cls, 'data-testid': 'log-memory', 'data-state': result.state }, line)];
  if (result.state === 'inconsistent' || result.state === 'rollback') {
    let ev = {};
    try { ev = JSON.parse(localStorage.getItem(evidenceKey(election.log_vkey)) || '{}'); } catch (_) { ev = {}; }
    parts.push(h('details', { 'data-testid': 'fork-evidence' }, h('summary', {}, t('mem_evidence')),
      h('pre', {}, ev.seen || ''), h('pre', {}, ev.now || '')));
  }
  // Witnesses: which of the keys the server declares cosigned this checkpoint.
  let declared = null;
  try { declared = await api('/api/v1/witnesses'); } catch (_) { declared = null; }
  const keys = declared && declared.witnesses ? declared.witnesses.map((w) => w.vkey).filter(Boolean) : [];
  if (keys.length === 0) {
    parts.push(h('div', { class: 'muted', 'data-testid': 'witnesses', 'data-cosigned': 0 }, t('no_witnesses')));
  } else {
    const c = verifyCosignatures(text, keys);
    const size = (result.size !== undefined) ? result.size : '';
    if (!c.ok) {
      parts.push(h('div', { class: 'bad', 'data-testid': 'witnesses', 'data-cosigned': 0 }, `${t('witnesses')}: ✘ ${c.reason}`));
    } else {
      const quorum = declared.quorum || 0;
      parts.push(h('div', { 'data-testid': 'witnesses', 'data-cosigned': c.cosigned.length,
        class: quorum && c.cosigned.length < quorum ? 'bad' : '' },
      h('strong', {}, `${t('witnesses')}: `), quorum ? t('quorum', c.cosigned.length, quorum) : '',
      h('ul', {}, ...c.cosigned.map((w) => h('li', { class: 'ok', 'data-witness': `${w.name}+${w.keyId}` },
        '✔ ' + t('witness_ok', `${w.name}+${w.keyId}`, fmt(size), when(new Date(w.timestamp * 1000).toISOString())))),
      ...c.missing.map((w) => h('li', { class: 'muted', 'data-witness': w }, t('witness_missing', w))))));
    }
  }
  box.replaceChildren(...parts);
  box.dataset.checked = 'true';
}

function updateExport() {
  document.getElementById('export-link').href = withContest(`/api/v1/export?${q({ format: 'csv', source })}`);
}

let search = null;
function applyStaticLabels() {
  document.documentElement.lang = getLang();
  if (search) search.relabel();
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  document.getElementById('lang').textContent = getLang() === 'es' ? 'EN' : 'ES';
  if (election) showLogKey();
}

// Views render one at a time, and a view asked for while another renders waits for it, then only
// the latest asked renders: a slow view (the national one, still loading) can never finish after,
// and replace, the view the visitor moved to meanwhile (a hash change, the language switch).
let routing = Promise.resolve();
let routesAsked = 0;
function route() {
  const n = ++routesAsked;
  routing = routing.then(() => (n === routesAsked ? renderRoute() : undefined));
  return routing;
}

async function renderRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === 'area' && parts.length === 3) await renderArea(Number(parts[1]), parts[2]);
    else if (parts[0] === 'table' && parts.length === 2) await renderTable(parts[1]);
    else if (parts[0] === 'discrepancies') await renderDiscrepancies(new URLSearchParams(query || ''));
    else if (parts[0] === 'forensics') await renderForensics(new URLSearchParams(query || ''));
    else if (parts[0] === 'flags') await renderFlags();
    else await renderArea(0, null);
    app.dataset.ready = 'true';
    app.dataset.rendered = `#${hash}`;
    app.dataset.contest = contest;  // which route the DOM shows (tests wait on it, not on a stale ready flag)
  } catch (e) {
    app.replaceChildren(h('p', { class: 'bad', 'data-testid': 'error' }, `${t('error')}: ${e.message}`));
  }
}

// The contest selector (shown only when the election has several): switching reloads the
// contest's ballot and re-renders the current view for it.
function contestControl(contests) {
  const sel = document.getElementById('contest');
  sel.replaceChildren(...contests.map((c) => h('option', { value: c.id }, c.name)));
  sel.value = contest;
  sel.hidden = false;
  sel.addEventListener('change', async () => {
    contest = sel.value;
    const url = new URL(location.href);
    url.searchParams.set('contest', contest);
    history.replaceState(null, '', url);
    delete app.dataset.ready;
    try {
      election = await api('/api/v1/election');
      await loadDecidedLevel();
    } catch (e) {
      app.replaceChildren(h('p', { class: 'bad', 'data-testid': 'error' }, `${t('error')}: ${e.message}`));
      return;
    }
    updateExport();
    route();
  });
}

async function main() {
  loadGeo();  // the map's shapes, fetched alongside the election (used by the national view)
  document.getElementById('lang').addEventListener('click', () => {
    setLang(getLang() === 'es' ? 'en' : 'es');
    applyStaticLabels();
    route();
  });
  applyStaticLabels();
  try {
    // Asked together: the bound is only for a single-contest election (its decided level).
    const earlyBound = api('/api/v1/bound').catch(() => null);
    election = await api('/api/v1/election');
    const contests = election.contests || [];
    if (contests.length > 1) {
      // Several contests: the one in the address, else the first; then that contest's ballot.
      const asked = new URLSearchParams(location.search).get('contest');
      contest = contests.some((c) => c.id === asked) ? asked : contests[0].id;
      election = await api('/api/v1/election');
      contestControl(contests);
    }
    await loadDecidedLevel(contests.length > 1 ? null : earlyBound);
  } catch (e) {
    app.replaceChildren(h('p', { class: 'bad' }, `${t('error')}: ${e.message}`));
    return;
  }
  updateExport();
  search = searchBox(h, api, levelName, (hit) => (hit.depth === tableDepth()
    ? `#/table/${encodeURIComponent(hit.code)}` : `#/area/${hit.depth}/${encodeURIComponent(hit.code)}`));
  document.getElementById('search-slot').replaceChildren(search);
  document.title = election.name;
  showLogKey();
  checkLogHistory();
  window.addEventListener('hashchange', () => { delete app.dataset.ready; route(); });
  route();
}

main();
