// The static site's search (web/src/search.js over the published api/v1/search-index.json)
// against `tallylog serve`'s GET /api/v1/search, query by query: the same status and the same
// JSON (refusals: the same error and field). Queries: fixed ones (accents, codes, refusals) and
// words taken from the published areas' names. Prints one line per difference and
// "search: N queries, N differ" last; exits non-zero when any differs.
//   node search_diff.mjs <server base url> <published dir> <source root>
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const [base, site, root] = process.argv.slice(2);
const { searchRequest, searchAnswer } = await import(pathToFileURL(resolve(root, 'web/src/search.js')).href);
const index = JSON.parse(readFileSync(join(site, 'api/v1/search-index.json'), 'utf8'));

const queries = [
  'q=pq', 'q=PQ&limit=50', 'q=pq&limit=1', 'q=liceo', 'q=escuela+bolivariana', 'q=Bol%C3%ADvar', 'q=BOLIVAR',
  'q=san+jos%C3%A9', 'q=SANTA+ROSAL%C3%8DA', 'q=010113042.01', 'q=010113042', 'q=01', 'q=u.e.', 'q=%C3%B1',
  'q=soublette', 'q=Carlos+Soubl%C3%A9tte', 'q=pe%C3%B1a', 'q=Pen%CC%83a', 'q=nowhere', 'q=caracas+libertador', 'q=%EF%BB%BFliceo', 'q=a&q=b', 'q=edo&limit=05',
  // refused
  '', 'q=', 'q=...', 'q=%C3', 'q=%ED%A0%80', 'q=%C0%AF', 'q=r&x=%FF', 'q=r&%FF=1', 'limit=0&q=%C3', 'q=r&limit=0', 'q=r&limit=51', 'q=r&limit=-1', 'q=r&limit=x',
  'q=r&limit=99999999999999999999', 'q=a+b+c+d+e+f+g+h+i', `q=${'a'.repeat(201)}`, `q=${'a'.repeat(200)}`,
  `q=${'%C3%A9'.repeat(101)}`,
];
// A word of every 97th area's name (the longest), and its name's first two words.
for (let i = 0; i < index.areas.length; i += 97) {
  const words = index.areas[i][2].split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (!words.length) continue;
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a));
  queries.push(`q=${encodeURIComponent(longest)}`, `q=${encodeURIComponent(words.slice(0, 2).join(' '))}&limit=50`);
}

function pageAnswer(query) {
  try {
    return { status: 200, body: searchAnswer(index, searchRequest(query)) };
  } catch (e) {
    if (e.status !== 400) throw e;
    return { status: 400, body: { error: e.message, field: e.field } };
  }
}

let differ = 0;
for (const query of queries) {
  const r = await fetch(`${base}/api/v1/search${query ? '?' + query : ''}`);
  const server = { status: r.status, body: await r.json() };
  const page = pageAnswer(query);
  if (!isDeepStrictEqual(server, page)) {
    differ++;
    console.log(`differs: ${query.slice(0, 80)}\n  server ${JSON.stringify(server).slice(0, 400)}\n  page   ${JSON.stringify(page).slice(0, 400)}`);
  }
}
console.log(`search: ${queries.length} queries, ${differ} differ`);
process.exit(differ === 0 && queries.length > 40 ? 0 : 1);
