// GET /api/v1/search answered in the page, for a static copy of the site (static.js): the same
// rules and the same answer as the server's route (src/tallylog/http/results_routes.cc, search)
// over tally::search_areas (src/tallylog/tally/search.cc), from the index the server publishes
// (GET /api/v1/search-index, api/v1/search-index.json). The index carries each area's folded text
// wherever ASCII lowercasing its "name code" does not give it, so only the query is folded here
// (the Latin-1 table below, as fold_for_search folds it). Loaded by static.js on the first search
// only (a chunk of its own): the first view does not carry it. Pure: no I/O.

// Base letters of U+00C0..U+00FF ('\0' for × and ÷, kept as they are): search.cc's kLatin1Base.
const LATIN1 = 'aaaaaaaceeeeiiii' + 'dnooooo\0ouuuuyts' + 'aaaaaaaceeeeiiii' + 'dnooooo\0ouuuuyty';
const DEFAULT_LIMIT = 20, MAX_LIMIT = 50;

// A 400 answer, as the server words it ({"error": message, "field": field}).
function refused(message, field) {
  const e = new Error(message);
  e.status = 400;
  e.field = field;
  return e;
}

// fold_for_search over UTF-8 bytes: the folded text as a string, or null for ill-formed UTF-8
// (overlong forms, surrogates, truncation, above U+10FFFF).
export function foldForSearch(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const c = bytes[i];
    if (c < 0x80) {
      out += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 32 : c);
      i++;
      continue;
    }
    const len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (len === 0 || c > 0xf4 || i + len > bytes.length) return null;
    let cp = c & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
    for (let k = 1; k < len; k++) {
      const b = bytes[i + k];
      if ((b & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (b & 0x3f);
    }
    const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    if (cp >= 0xc0 && cp <= 0xff && LATIN1[cp - 0xc0] !== '\0') {
      out += LATIN1[cp - 0xc0];
      if (cp === 0xc6 || cp === 0xe6) out += 'e';  // Æ æ
      if (cp === 0xdf) out += 's';                 // ß
    } else if (cp < 0x300 || cp > 0x36f) {         // a combining mark is dropped
      out += String.fromCodePoint(cp);
    }
    i += len;
  }
  return out;
}

// Words of folded text: runs of a-z, 0-9 and anything not ASCII.
export const wordsOf = (folded) => folded.match(/[a-z0-9\u0080-\uffff]+/g) || [];

const latin1 = (bytes) => { let s = ''; for (const b of bytes) s += String.fromCharCode(b); return s; };
const asciiLower = (s) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
const prepared = new WeakMap();

// The index's areas with their depth, level and matching text, computed once per index.
function prepare(index) {
  let p = prepared.get(index);
  if (p) return p;
  const depth = [], level = [];
  let at = 0;
  for (const l of index.levels) {
    for (let k = 0; k < l.areas; k++, at++) { depth[at] = l.depth; level[at] = l.level; }
  }
  if (at !== index.areas.length) throw new Error('search index: the level counts do not add up to its areas');
  const own = index.areas.map((a) => (a.length > 4 ? a[4] : asciiLower(`${a[2]} ${a[1]}`)));
  p = { areas: index.areas, depth, level, own,
    maxBytes: index.max_query_bytes ?? 200, maxWords: index.max_words ?? 8 };
  prepared.set(index, p);
  return p;
}

// tally::search_areas: [{i (index of the area), place (found through an enclosing area)}], own-name
// matches first, then in index order (outer levels first, then code order), at most `limit`.
// Throws (status 400) what search_areas refuses, with its message.
export function searchAreas(index, queryBytes, limit) {
  const p = prepare(index);
  if (queryBytes.length > p.maxBytes) throw refused(`the query is longer than ${p.maxBytes} bytes`);
  const folded = foldForSearch(queryBytes);
  if (folded === null) throw refused('ill-formed UTF-8');
  const words = wordsOf(folded);
  if (words.length === 0) throw refused('the query has no letter or digit');
  if (words.length > p.maxWords) throw refused(`the query has more than ${p.maxWords} words`);
  const ownHits = [], placeHits = [];
  for (let i = 0; i < p.areas.length; i++) {
    let allOwn = true, all = true;
    for (const w of words) {
      if (p.own[i].includes(w)) continue;
      allOwn = false;
      let found = false;
      for (let up = p.areas[i][0]; up >= 0 && !found; up = p.areas[up][0]) found = p.own[up].includes(w);
      if (!found) { all = false; break; }
    }
    if (allOwn) {
      if (ownHits.length < limit) ownHits.push({ i, place: false });
    } else if (all && placeHits.length < limit) {
      placeHits.push({ i, place: true });
    }
  }
  for (const h of placeHits) {
    if (ownHits.length >= limit) break;
    ownHits.push(h);
  }
  return ownHits;
}

// The server's query parsing (http::parse_query, percent_decode with '+' as space): parameter ->
// its bytes, the first of a repeated name winning. `search` is a URL's query, with or without '?'.
export function parseQuery(search) {
  const raw = new TextEncoder().encode(search.replace(/^\?/, ''));
  const hex = (h) => (h >= 0x30 && h <= 0x39 ? h - 0x30 : h >= 0x61 && h <= 0x66 ? h - 0x57 : h >= 0x41 && h <= 0x46 ? h - 0x37 : -1);
  const decode = (s) => {
    const out = [];
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === 0x2b) out.push(0x20);
      else if (c === 0x25 && i + 2 < s.length && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
        out.push(hex(s[i + 1]) * 16 + hex(s[i + 2]));
        i += 2;
      } else out.push(c);
    }
    return Uint8Array.from(out);
  };
  const params = new Map();
  let start = 0;
  while (start <= raw.length) {
    let amp = raw.indexOf(0x26, start);
    if (amp < 0) amp = raw.length;
    const part = raw.subarray(start, amp);
    if (part.length) {
      const eq = part.indexOf(0x3d);
      const key = latin1(decode(eq < 0 ? part : part.subarray(0, eq)));
      if (!params.has(key)) params.set(key, eq < 0 ? new Uint8Array(0) : decode(part.subarray(eq + 1)));
    }
    start = amp + 1;
  }
  return params;
}

// The parameters of GET /api/v1/search?q=&limit=, checked as the server checks them before it
// searches: {q (bytes), limit}. Throws (status 400, with the field) on a parameter that is not
// UTF-8, a bad limit or no q.
export function searchRequest(search) {
  const params = parseQuery(search);
  // Api::handle first refuses any parameter, name or value, that is not UTF-8 (in name order).
  for (const key of [...params.keys()].sort()) {
    const name = Uint8Array.from(key, (ch) => ch.charCodeAt(0));
    if (foldForSearch(name) === null) throw refused('query: a parameter name is not valid UTF-8', 'query');
    if (foldForSearch(params.get(key)) === null) {
      const k = new TextDecoder().decode(name);
      throw refused(`${k}: not valid UTF-8`, k);
    }
  }
  let limit = DEFAULT_LIMIT;
  const l = latin1(params.get('limit') || []);
  if (l !== '') {
    if (l.length > 2 || !/^[0-9]+$/.test(l) || Number(l) < 1 || Number(l) > MAX_LIMIT)
      throw refused(`limit: a number from 1 to ${MAX_LIMIT}`, 'limit');
    limit = Number(l);
  }
  const q = params.get('q') || new Uint8Array(0);
  if (q.length === 0) throw refused('q: required', 'q');
  return { q, limit };
}

// The answer of GET /api/v1/search for `request` (searchRequest), as the server gives it.
export function searchAnswer(index, request) {
  const p = prepare(index);
  let hits;
  try {
    hits = searchAreas(index, request.q, request.limit + 1);  // one more, to say whether there were more
  } catch (e) {
    if (e.status === 400) throw refused(`q: ${e.message}`, 'q');
    throw e;
  }
  const truncated = hits.length > request.limit;
  if (truncated) hits.pop();
  const area = (i) => ({ level: p.level[i], depth: p.depth[i], code: p.areas[i][1], name: p.areas[i][2] });
  const results = hits.map(({ i, place }) => {
    const within = [];
    for (let up = p.areas[i][0]; up >= 0; up = p.areas[up][0]) within.unshift(area(up));
    return { ...area(i), within, match: place ? 'place' : 'name', tables_registered: p.areas[i][3] };
  });
  // ignoreBOM: a leading U+FEFF is part of the query, as the server echoes it.
  return { q: new TextDecoder('utf-8', { ignoreBOM: true }).decode(request.q), results, truncated };
}
