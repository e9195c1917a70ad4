// The citizen view (issue 14): search as you type by centre name, code or place (the server's
// GET /api/v1/search, accent- and case-insensitive), and a map of the first level coloured by
// each area's leader (shapes from Natural Earth, built by web/geo.mjs; inline SVG, no library).
// Text from the data is inserted as text nodes only.
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

// A name folded for matching area names with the map's: no accents, lower case, letters and
// digits only, Venezuelan prefixes and abbreviations ("EDO.", "DTTO.", "NVA.") undone.
export function foldName(s) {
  const words = String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ').trim().split(' ')
    .filter((w) => w && !['edo', 'estado', 'dtto', 'dto', 'distrito', 'territorio', 'federal', 'del', 'de', 'state'].includes(w))
    .map((w) => ({ nva: 'nueva', sta: 'santa', sto: 'santo' }[w] || w));
  const key = words.join('');
  // The state renamed in 2019: Natural Earth still says "Vargas".
  return { vargas: 'laguaira' }[key] || key;
}

// Pairs each election area with at most one map feature: equal folded names, else one a prefix
// of the other (at least 5 letters: "DELTA AMAC" and "Delta Amacuro"). Returns Map(code → feature).
export function matchAreas(areas, features) {
  const keys = features.map((f) => [f.name, ...(f.alt || [])].map(foldName).filter(Boolean));
  const used = new Set();
  const out = new Map();
  const pass = (ok) => {
    for (const a of areas) {
      if (out.has(a.code)) continue;
      const k = foldName(a.name);
      if (!k) continue;
      const i = keys.findIndex((ks, j) => !used.has(j) && ks.some((f) => ok(k, f)));
      if (i >= 0) { used.add(i); out.set(a.code, features[i]); }
    }
  };
  pass((a, b) => a === b);
  pass((a, b) => Math.min(a.length, b.length) >= 5 && (a.startsWith(b) || b.startsWith(a)));
  return out;
}

// Colour of each candidate, in ballot order (colour-blind-safe first).
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#f0e442', '#7f3c8d', '#11a579', '#3969ac', '#f2b701', '#80ba5a'];
export const candidateColour = (candidates, code) => {
  const i = candidates.findIndex((c) => c.code === code);
  return i < 0 ? '#999' : PALETTE[i % PALETTE.length];
};

export function leaderOf(area) {
  let best = null, votes = -1, tied = false;
  for (const [code, v] of Object.entries(area.candidates || {})) {
    if (v > votes) { best = code; votes = v; tied = false; } else if (v === votes) tied = true;
  }
  return votes > 0 && !tied ? best : null;
}

let geoPromise = null;
export function loadGeo() {
  const meta = document.querySelector('meta[name="tallylog-map"]');
  if (!meta) return Promise.resolve(null);
  geoPromise = geoPromise || fetch(meta.content).then((r) => (r.ok ? r.json() : null)).catch(() => null);
  return geoPromise;
}

// The map of the first level's areas (from /api/v1/tally?level=<first level>), or '' when the
// shapes do not fit this election (fewer than half of its areas match a shape by name).
// h: the page's element helper; candidates: the election's; onpick(code): drill down.
export async function resultsMap(h, areas, candidates, candName, onpick) {
  const geo = await loadGeo();
  if (!geo || !areas.length) return '';
  const match = matchAreas(areas, geo.features);
  if (match.size * 2 < areas.length) return '';
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${geo.width} ${geo.height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('map_title'));
  svg.dataset.testid = 'map-svg';
  const matched = new Set([...match.values()]);
  for (const f of geo.features) {
    if (matched.has(f)) continue;
    const p = document.createElementNS(SVG, 'path');  // a shape with no area of this election
    p.setAttribute('d', f.d);
    p.setAttribute('class', 'map-none');
    svg.append(p);
  }
  const leaders = new Set();
  for (const a of areas) {
    const f = match.get(a.code);
    if (!f) continue;
    const leader = leaderOf(a);
    if (leader) leaders.add(leader);
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', f.d);
    p.setAttribute('fill', leader ? candidateColour(candidates, leader) : '#ccc');
    p.setAttribute('class', 'map-area');
    p.setAttribute('tabindex', '0');
    p.setAttribute('role', 'link');
    p.dataset.code = a.code;
    p.dataset.leader = leader || '';
    const label = `${a.name}: ${leader ? t('map_leads', candName(leader)) : t('map_no_leader')}`;
    p.setAttribute('aria-label', label);
    const title = document.createElementNS(SVG, 'title');
    title.textContent = label;
    p.append(title);
    p.addEventListener('click', () => onpick(a.code));
    p.addEventListener('keydown', (e) => { if (e.key === 'Enter') onpick(a.code); });
    svg.append(p);
  }
  const legend = candidates.filter((c) => leaders.has(c.code)).map((c) => h('li', { 'data-candidate': c.code },
    h('span', { class: 'swatch', style: `background:${candidateColour(candidates, c.code)}` }), ' ', t('map_leads', c.name)));
  const unmatched = areas.filter((a) => !match.has(a.code));
  return h('section', { class: 'map', 'data-testid': 'map', 'data-areas': match.size },
    h('h2', {}, t('map_title')),
    h('p', { class: 'muted' }, t('map_hint')),
    svg,
    h('ul', { class: 'legend', 'data-testid': 'map-legend' }, legend),
    unmatched.length ? h('p', { class: 'muted' }, t('map_unmatched', unmatched.map((a) => a.name).join(', '))) : '',
    h('p', { class: 'muted small' }, t('map_source')));
}

// The search box: as the visitor types (2+ characters, 200 ms after the last key), asks
// /api/v1/search and lists the areas found, each linking to its view.
// api(path): the page's JSON fetcher (adds the contest); link(hit): the hit's address.
export function searchBox(h, api, levelName, link) {
  const list = h('ul', { class: 'search-results', 'data-testid': 'search-results', hidden: true });
  const status = h('div', { class: 'muted', 'data-testid': 'search-status', 'aria-live': 'polite' });
  const input = h('input', { type: 'search', 'data-testid': 'search', autocomplete: 'off', spellcheck: 'false',
    placeholder: t('search_placeholder'), 'aria-label': t('search_placeholder') });
  let timer = null, seq = 0;
  const clear = () => { list.replaceChildren(); list.hidden = true; status.textContent = ''; delete list.dataset.q; };
  const query = async (text) => {
    const mine = ++seq;
    let r;
    try {
      r = await api(`/api/v1/search?${new URLSearchParams({ q: text, limit: '20' })}`);
    } catch (e) {
      if (mine === seq) { clear(); status.textContent = t('search_error', e.message); }
      return;
    }
    if (mine !== seq) return;  // a later keystroke's answer wins
    list.replaceChildren(...r.results.map((hit) => {
      const name = hit.name === hit.code ? `${levelName(hit.depth)} ${hit.code}` : hit.name;
      return h('li', {}, h('a', { href: link(hit), 'data-code': hit.code, 'data-level': hit.level,
        onclick: () => { input.value = ''; clear(); } },
      h('strong', {}, name), ' ', h('span', { class: 'muted' }, [levelName(hit.depth), ...hit.within.map((w) => w.name)].join(' · '))));
    }));
    list.hidden = r.results.length === 0;
    list.dataset.q = text;
    status.textContent = r.results.length === 0 ? t('search_none') : r.truncated ? t('search_more', r.results.length) : '';
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if ([...text].length < 2) { seq++; clear(); return; }
    timer = setTimeout(() => query(text), 200);
  });
  input.addEventListener('keydown', (e) => { if (e.key === 'Escape') { input.value = ''; seq++; clear(); } });
  const box = h('div', { class: 'search', role: 'search' }, input, status, list);
  box.relabel = () => { input.placeholder = t('search_placeholder'); input.setAttribute('aria-label', t('search_placeholder')); };
  return box;
}
