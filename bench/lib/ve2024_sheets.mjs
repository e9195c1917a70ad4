// Shared by the HTTP load scripts of bench/: the sheets of the bundled Venezuela CSV as
// POST /api/v1/sheets bodies, and a keep-alive request helper that never throws.
import http from 'node:http';
import { readFileSync } from 'node:fs';

// Sheets from the bundled CSV: same counts as the published actas, attributed to `source`.
export function ve2024Sheets(csvPath, source) {
  const lines = readFileSync(csvPath, 'utf8').replace(/^\uFEFF/, '').split('\n').filter(Boolean);
  const head = lines[0].split(',');
  const col = (name) => head.indexOf(name);
  const cands = ['EG', 'NM', 'LM', 'JABE', 'JOBR', 'AE', 'CF', 'DC', 'EM', 'BERA'];
  return lines.slice(1).map((l) => {
    const c = l.split(',');
    const centre = c[col('CENTRO')].padStart(9, '0');
    const table = c[col('MESA')].padStart(2, '0');
    const candidates = {};
    for (const k of cands) candidates[k] = Number(c[col(k)]);
    return { station: `${centre}.${table}`, source, candidates,
      fields: { valid: Number(c[col('VOTOS_VALIDOS')]), null: Number(c[col('VOTOS_NULOS')]) } };
  });
}

// request(method, path, body) -> {status, body, ms, headers}; status 0 on a network error.
export function requester(base, token, maxSockets = 64) {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const request = (method, path, body) => new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: url.hostname, port: url.port, method, path, agent,
      headers: body ? { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Content-Length': Buffer.byteLength(body) } : {} },
    (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: data, headers: res.headers,
        ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e), headers: {}, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    if (body) req.write(body);
    req.end();
  });
  return { request, agent };
}
