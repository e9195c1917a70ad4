// A static copy of the site (`tallylog publish`, docs/deploy.md "A static site behind a CDN"): its
// site.json says {"static": true} and each API answer is a file (the mapping of
// publish::static_api_path in src/tallylog/publish/publish.h). staticAnswer(path) answers an API
// path from those files, or undefined on a live server (the caller asks the server). A drill-down
// (tally with ?parent=) is built here from the level's tally and the published areas under the
// parent, as the server builds it; a search, from the published search index (search.js); a
// question only the server answers throws, saying so.
let site;
const files = new Map();  // url -> Promise of its JSON (each file fetched once per page load)

async function file(url) {
  if (!files.has(url)) {
    files.set(url, fetch(url, { headers: { Accept: 'application/json' } }).then(async (r) => {
      if (!r.ok) throw new Error(`${r.status} ${url}`);
      return r.json();
    }));
  }
  return files.get(url);
}

const seg = (v) => (v && v !== '.' && v !== '..' && !/[/\\]/.test(v) ? encodeURIComponent(v) : null);
const rule = (v) => seg(!v || v === '*' ? '_all' : v);

// The file that stands for an API path, or null.
export function staticPath(path) {
  const u = new URL(path, location.origin), s = u.searchParams, route = u.pathname.replace('/api/v1/', '');
  if (u.pathname === '/api/v1/log/vkey') return '/api/v1/log/vkey';
  if (u.pathname === '/api/v1/witnesses') return u.search ? null : '/api/v1/witnesses.json';  // one per log
  const sheets = /^stations\/([^/]+)\/sheets$/.exec(route);
  if (sheets && [...s.keys()].every((k) => k === 'contest')) {
    const code = seg(decodeURIComponent(sheets[1]));
    return !s.get('contest') && code ? `/api/v1/stations/${code}/sheets.json` : null;
  }
  const base = '/api/v1/' + (s.get('contest') ? `contest/${seg(s.get('contest'))}/` : '');
  const allowed = ['contest', 'level', 'source', 'a', 'b'];
  if ([...s.keys()].some((k) => !allowed.includes(k) && !(k === 'format' && s.get(k) === 'json') &&
    !(k === 'parent' && route === 'areas'))) return null;
  const level = seg(s.get('level'));
  let f = null;
  if (['election', 'sources', 'conflicts', 'search-index'].includes(route)) f = `${route}.json`;
  else if (route === 'tally' && level) f = `tally/${level}/${rule(s.get('source'))}.json`;
  else if (route === 'areas' && level) f = s.get('parent') ? (seg(s.get('parent')) && `areas/${level}/${seg(s.get('parent'))}.json`) : `areas/${level}.json`;
  else if (route === 'bound' || route === 'flags') f = `${route}/${rule(s.get('source'))}.json`;
  else if (route === 'compare' && level) f = `compare/${rule(s.get('a'))}/${rule(s.get('b'))}/${level}.json`;
  return f ? base + f : null;
}

// GET /api/v1/tally?level=L&parent=P: the level's areas under P, P's own totals and its ancestors.
async function drillDown(u) {
  const s = new URLSearchParams(u.search), parent = s.get('parent');
  s.delete('parent');
  const at = (q) => staticPath(`/api/v1/${q}`);
  const contest = s.get('contest') ? `&contest=${encodeURIComponent(s.get('contest'))}` : '';
  const election = await file(at(`election${contest ? '?' + contest.slice(1) : ''}`));
  const levels = ['national', ...election.levels.map((l) => l.code)];
  const depth = levels.indexOf(s.get('level'));
  if (depth < 1) throw new Error('parent: the national level has no parent');
  const src = `&source=${encodeURIComponent(s.get('source') || '*')}`;
  const [tally, under, above] = await Promise.all([
    file(at(`tally?level=${levels[depth]}${src}${contest}`)),
    depth > 1 ? file(at(`areas?level=${levels[depth]}&parent=${encodeURIComponent(parent)}${contest}`)) : null,
    file(at(`tally?level=${levels[depth - 1]}${src}${contest}`)),
  ]);
  const kept = under ? new Set(under.areas.map((a) => a.code)) : null;
  const p = depth > 1 ? above.areas.find((a) => a.code === parent) : above.total;
  if (!p) throw new Error(`parent: no area '${parent}'`);
  const ancestors = [];
  for (let d = depth - 1, code = parent; d > 1; d--) {
    const list = (await file(at(`areas?level=${levels[d]}${contest}`))).areas;
    const up = (list.find((a) => a.code === code) || {}).parent;
    if (!up) break;
    const named = (await file(at(`areas?level=${levels[d - 1]}${contest}`))).areas.find((a) => a.code === up);
    ancestors.unshift({ depth: d - 1, code: up, name: named ? named.name : up });
    code = up;
  }
  return { ...tally, areas: tally.areas.filter((a) => !kept || kept.has(a.code)), parent,
    parent_name: p.name, parent_total: p, ancestors };
}

// GET /api/v1/search?q=&limit=: answered from the published index (search-index.json), as the
// server answers it (search.js). The index, and the code that reads it, load on the first search.
async function search(u) {
  // Bundled, the module's content-hashed URL (build.mjs); unbundled, the source next to this one.
  const { searchRequest, searchAnswer } = await import(typeof __SEARCH_JS_URL__ === 'undefined' ? './search.js' : __SEARCH_JS_URL__);
  const request = searchRequest(u.search);  // a bad limit or no q: refused before any download
  const contest = u.searchParams.get('contest');
  const index = await file(staticPath(`/api/v1/search-index${contest ? `?contest=${encodeURIComponent(contest)}` : ''}`));
  return searchAnswer(index, request);
}

export async function staticAnswer(path) {
  site ??= await fetch('/site.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  if (!site.static) return undefined;
  const u = new URL(path, location.origin);
  if (u.pathname === '/api/v1/tally' && u.searchParams.get('parent')) return drillDown(u);
  if (u.pathname === '/api/v1/search') return search(u);
  const f = staticPath(path);
  if (!f) throw new Error(`${u.pathname}: not on this static copy of the site (ask the live server)`);
  return f.endsWith('.json') ? file(f) : fetch(f).then((r) => r.text());
}
