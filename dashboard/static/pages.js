// The dashboard's pages: each renders into main from the API's answers.
import { api, text, curl, h, field, table, json, status, run } from './app.js';

// compact is a payload on one line, for tables.
const compact = (v) => h('pre', {}, JSON.stringify(v));

const enc = encodeURIComponent;

// vectorsOf lists a collection's dense vectors as [{name, size, distance, model}].
function vectorsOf(info) {
  const v = info.config.params.vectors || {};
  if (typeof v.size === 'number') return [{ name: '', ...v }];
  return Object.entries(v).map(([name, c]) => ({ name, ...c }));
}

function bytes(n) {
  if (!n) return '—'; // not yet measured (nothing flushed)
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return `${n.toFixed(1)} ${u[i]}`;
}

async function collectionNames() {
  return (await api('GET', '/collections')).collections.map((c) => c.name).sort();
}

// collectionPicker is a select of the collections, on `current`.
async function collectionPicker(current) {
  const names = await collectionNames();
  return h('select', { name: 'collection' }, names.map((n) => h('option', { value: n, selected: n === current }, n)));
}

function parseIds(s) {
  return s.split(',').map((x) => x.trim()).filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

function parseJSON(label, s) {
  if (!s.trim()) return undefined;
  try { return JSON.parse(s); } catch (e) { throw new Error(`${label}: ${e.message}`); }
}

async function collections(main) {
  const names = await collectionNames();
  const infos = await Promise.all(names.map((n) => api('GET', `/collections/${enc(n)}`)));
  const rows = names.map((n, i) => {
    const info = infos[i];
    const del = h('button', { class: 'danger', type: 'button', 'aria-label': `Delete ${n}` }, 'Delete');
    const cell = h('span', {}, del);
    del.addEventListener('click', () => {
      const yes = h('button', { class: 'danger', type: 'button', 'aria-label': `Really delete ${n}` }, `Really delete ${n}?`);
      const no = h('button', { type: 'button', onclick: () => cell.replaceChildren(del) }, 'Keep');
      yes.addEventListener('click', () => run(async () => { await api('DELETE', `/collections/${enc(n)}`); status(`deleted ${n}`); collectionsAgain(main); }));
      cell.replaceChildren(yes, ' ', no);
    });
    return [h('a', { href: `#/collection/${enc(n)}` }, n), String(info.points_count),
      vectorsOf(info).map((v) => `${v.name || '(unnamed)'}: ${v.size} ${v.distance}${v.model ? ' · ' + v.model : ''}`).join('; '),
      bytes(info.disk_bytes || 0), info.status, cell];
  });
  const name = h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9_.\\-]{1,255}' });
  const model = h('input', { name: 'model', value: 'all-MiniLM-L6-v2' });
  const size = h('input', { name: 'size', type: 'number', min: 1, placeholder: 'from the model' });
  const distance = h('select', { name: 'distance' }, ['Cosine', 'Dot', 'Euclid', 'Manhattan'].map((d) => h('option', {}, d)));
  const form = h('form', { class: 'panel' }, h('h3', {}, 'New collection'), field('Name', name), field('Text model', model),
    field('Size', size), field('Distance', distance), h('button', { type: 'submit' }, 'Create'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run(async () => {
      const vectors = size.value ? { size: Number(size.value), distance: distance.value } : { model: model.value, distance: distance.value };
      await api('PUT', `/collections/${enc(name.value)}`, { vectors });
      status(`created ${name.value}`);
      location.hash = `#/collection/${enc(name.value)}`;
    });
  });
  main.append(h('h2', {}, 'Collections'), table(['Name', 'Points', 'Vectors', 'Disk', 'Status', ''], rows), h('p'), form);
}

function collectionsAgain(main) {
  main.replaceChildren();
  run(() => collections(main));
}

// filterBuilder edits the must conditions of a Qdrant filter and shows
// its JSON; value() returns the filter (undefined when empty).
function filterBuilder() {
  const rows = h('div', {});
  const out = h('pre', { class: 'curl', 'aria-label': 'filter JSON' }, '');
  const conditions = [];
  function value() {
    const must = conditions.map((c) => c()).filter(Boolean);
    return must.length ? { must } : undefined;
  }
  function show() { out.textContent = JSON.stringify(value() || {}); }
  function addRow() {
    const key = h('input', { name: 'key', placeholder: 'year' });
    const op = h('select', { name: 'op' }, [['match', 'is'], ['any', 'is any of (a,b)'], ['gte', '≥'], ['lte', '≤'], ['text', 'contains text']].map(([v, l]) => h('option', { value: v }, l)));
    const val = h('input', { name: 'value', placeholder: '1995' });
    const scalar = (s) => (s !== '' && !Number.isNaN(Number(s)) ? Number(s) : s);
    conditions.push(() => {
      if (!key.value) return null;
      switch (op.value) {
        case 'match': return { key: key.value, match: { value: scalar(val.value) } };
        case 'any': return { key: key.value, match: { any: val.value.split(',').map((s) => scalar(s.trim())) } };
        case 'text': return { key: key.value, match: { text: val.value } };
        default: return { key: key.value, range: { [op.value]: Number(val.value) } };
      }
    });
    for (const c of [key, op, val]) c.addEventListener('input', show);
    rows.append(h('div', { class: 'filter-row' }, field('Key', key), field('Condition', op), field('Value', val)));
  }
  addRow();
  const add = h('button', { type: 'button', onclick: () => addRow() }, 'Add condition');
  show();
  return { el: h('fieldset', {}, h('legend', {}, 'Filter (all must hold)'), rows, add, out), value };
}

async function collection(main, [name]) {
  const info = await api('GET', `/collections/${enc(name)}`);
  const vecs = vectorsOf(info);
  const count = h('span', {}, String(info.points_count));
  main.append(h('h2', {}, `Collection ${name}`), h('p', {}, count, ` points · ${bytes(info.disk_bytes) + ' on disk'} · `,
    h('a', { href: `#/search/${enc(name)}` }, 'search'), ' · ', h('a', { href: `#/vectors/${enc(name)}` }, 'map')));

  const id = h('input', { name: 'id', required: true, placeholder: '1' });
  const doc = h('textarea', { name: 'text', required: true, placeholder: 'a text the server encodes' });
  const payload = h('textarea', { name: 'payload', placeholder: '{"title": "..."}' });
  const using = vecs.find((v) => v.model) || vecs[0] || { name: '' };
  const add = h('form', { class: 'panel' }, h('h3', {}, 'Add a text document'), field('Id', id), field('Text', doc), field('Payload (JSON)', payload),
    h('button', { type: 'submit' }, 'Add point'));
  add.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run(async () => {
      const document = { text: doc.value, model: using.model || 'all-MiniLM-L6-v2' };
      const point = { id: parseIds(id.value)[0], vector: using.name ? { [using.name]: document } : document, payload: parseJSON('payload', payload.value) || {} };
      await api('PUT', `/collections/${enc(name)}/points?wait=true`, { points: [point] });
      status(`added point ${id.value}`);
      id.value = ''; doc.value = ''; payload.value = '';
      count.textContent = String((await api('GET', `/collections/${enc(name)}`)).points_count);
      await page(null);
    });
  });

  const fb = filterBuilder();
  const apply = h('button', { type: 'button', onclick: () => run(() => page(null)) }, 'Apply filter');
  const list = h('div', {});
  const offsets = [];
  async function page(offset) {
    const body = { limit: 10, with_payload: true, filter: fb.value() };
    if (offset !== null) body.offset = offset;
    const res = await api('POST', `/collections/${enc(name)}/points/scroll`, body);
    const rows = res.points.map((p) => [h('a', { href: `#/point/${enc(name)}/${enc(p.id)}` }, String(p.id)), compact(p.payload)]);
    const prev = h('button', { type: 'button', disabled: offsets.length === 0, onclick: () => run(() => page(offsets.pop() ?? null)) }, 'Previous page');
    const next = h('button', { type: 'button', disabled: res.next_page_offset == null, onclick: () => run(() => { offsets.push(offset); return page(res.next_page_offset); }) }, 'Next page');
    list.replaceChildren(table(['Id', 'Payload'], rows), h('p', {}, prev, ' ', next));
  }
  main.append(add, h('div', { class: 'panel' }, fb.el, apply), h('h3', {}, 'Points'), list);
  await page(null);
}

async function point(main, [name, id]) {
  const p = await api('GET', `/collections/${enc(name)}/points/${enc(id)}`);
  const vecs = Array.isArray(p.vector) ? [['(unnamed)', p.vector]] : Object.entries(p.vector || {});
  main.append(h('h2', {}, `Point ${id} of `, h('a', { href: `#/collection/${enc(name)}` }, name)),
    h('h3', {}, 'Payload'), json(p.payload),
    h('h3', {}, 'Vectors'), table(['Name', 'Size', 'First values'], vecs.map(([n, v]) => [n, String(v.length ?? (v.indices || []).length),
      Array.isArray(v) ? v.slice(0, 6).map((x) => x.toFixed(4)).join(', ') + ' …' : 'sparse'])));
}

// results shows scored points and the curl command of the request.
function results(name, points, cmd) {
  return h('div', {}, table(['Id', 'Score', 'Payload', 'Explanation'], points.map((p) => [
    h('a', { href: `#/point/${enc(name)}/${enc(p.id)}` }, String(p.id)), p.score.toFixed(4), compact(p.payload),
    p.explanation ? p.explanation.map((e) => `${e.id}: ${e.contribution.toFixed(3)}`).join(', ') : ''])),
  h('h3', {}, 'The request, as curl'), h('pre', { class: 'curl' }, cmd),
  h('button', { type: 'button', onclick: () => navigator.clipboard.writeText(cmd).then(() => status('copied')) }, 'Copy curl'));
}

async function search(main, [name]) {
  const pick = await collectionPicker(name);
  const mode = h('select', { name: 'mode' }, [['text', 'text'], ['vector', 'vector (JSON array)'], ['id', 'point id']].map(([v, l]) => h('option', { value: v }, l)));
  const input = h('input', { name: 'query', required: true, placeholder: 'space adventure' });
  const using = h('input', { name: 'using', placeholder: '(unnamed)' });
  const limit = h('input', { name: 'limit', type: 'number', min: 1, max: 100, value: 5 });
  const filter = h('textarea', { name: 'filter', placeholder: '{"must": [{"key": "year", "range": {"gte": 2000}}]}' });
  const out = h('div', {});
  const form = h('form', { class: 'panel' }, field('Collection', pick), field('Search by', mode), field('Query', input), field('Vector name', using),
    field('Limit', limit), field('Filter (JSON)', filter), h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run(async () => {
      const info = await api('GET', `/collections/${enc(pick.value)}`);
      const vec = vectorsOf(info).find((v) => v.name === using.value) || vectorsOf(info)[0];
      const query = mode.value === 'text' ? { text: input.value, model: vec.model || 'all-MiniLM-L6-v2' }
        : mode.value === 'vector' ? parseJSON('query', input.value) : parseIds(input.value)[0];
      const body = { query, limit: Number(limit.value), with_payload: true, filter: parseJSON('filter', filter.value), using: using.value || undefined };
      const path = `/collections/${enc(pick.value)}/points/query`;
      const res = await api('POST', path, body);
      out.replaceChildren(h('h3', {}, `${res.points.length} results`), results(pick.value, res.points, curl('POST', path, body)));
    });
  });
  main.append(h('h2', {}, 'Search'), form, out);
}

async function recommend(main) {
  const pick = await collectionPicker();
  const positive = h('input', { name: 'positive', placeholder: '1, 4' });
  const negative = h('input', { name: 'negative', placeholder: '2' });
  const user = h('input', { name: 'user', placeholder: 'or a user id' });
  const using = h('input', { name: 'using', placeholder: '(unnamed; cf for users)' });
  const limit = h('input', { name: 'limit', type: 'number', min: 1, max: 100, value: 5 });
  const out = h('div', {});
  const form = h('form', { class: 'panel' }, field('Collection', pick), field('Positive ids', positive), field('Negative ids', negative),
    field('User', user), field('Vector name', using), field('Limit', limit), h('button', { type: 'submit' }, 'Recommend'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run(async () => {
      const rec = user.value ? { user: parseIds(user.value)[0] } : { positive: parseIds(positive.value), negative: parseIds(negative.value) };
      const body = { query: { recommend: rec }, limit: Number(limit.value), with_payload: true, using: using.value || undefined };
      if (user.value) body.with_explanation = true;
      const path = `/collections/${enc(pick.value)}/points/query`;
      const res = await api('POST', path, body);
      out.replaceChildren(h('h3', {}, `${res.points.length} results`), results(pick.value, res.points, curl('POST', path, body)));
    });
  });
  main.append(h('h2', {}, 'Recommend'), h('p', {}, 'Like the positive examples and unlike the negative ones, or for a user from their interactions (each result explained by the items of theirs that contributed most).'), form, out);
}

const palette = ['#2b5fd9', '#d9822b', '#2ba84a', '#c2185b', '#7b1fa2', '#00838f', '#8d6e63', '#9e9d24', '#546e7a', '#e53935'];

async function vectors(main, [name]) {
  const pick = await collectionPicker(name);
  const using = h('input', { name: 'using', placeholder: '(unnamed)' });
  const colorBy = h('input', { name: 'color_by', placeholder: 'payload key' });
  const limit = h('input', { name: 'limit', type: 'number', min: 1, max: 1000, value: 500 });
  const q = h('input', { name: 'highlight', placeholder: 'text whose results to highlight' });
  const out = h('div', {});
  const form = h('form', { class: 'panel' }, field('Collection', pick), field('Vector name', using), field('Colour by', colorBy),
    field('Sample', limit), field('Highlight a search', q), h('button', { type: 'submit' }, 'Draw'));
  async function draw() {
    const path = `/collections/${enc(pick.value)}/points/projection`;
    const m = await api('POST', path, { using: using.value, color_by: colorBy.value || undefined, limit: Number(limit.value) });
    let hits = new Set();
    if (q.value) {
      const info = await api('GET', `/collections/${enc(pick.value)}`);
      const vec = vectorsOf(info).find((v) => v.name === using.value) || vectorsOf(info)[0];
      const res = await api('POST', `/collections/${enc(pick.value)}/points/query`, { query: { text: q.value, model: vec.model || 'all-MiniLM-L6-v2' }, limit: 5, using: using.value || undefined });
      hits = new Set(res.points.map((p) => String(p.id)));
    }
    out.replaceChildren(mapSVG(m, hits), h('p', {}, `${m.points.length} points; variance explained: x ${(m.explained_variance[0] * 100).toFixed(1)}%, y ${(m.explained_variance[1] * 100).toFixed(1)}%`));
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); run(draw); });
  main.append(h('h2', {}, 'Vectors'), form, out);
  if (name) await draw();
}

// mapSVG draws the projection: a circle a point, coloured by value,
// results of the highlighted search ringed.
function mapSVG(m, hits) {
  const ns = 'http://www.w3.org/2000/svg';
  // The drawing is as wide as the page, so that marks keep their size
  // on a narrow window.
  const W = Math.max(280, Math.min(800, document.getElementById('main').clientWidth - 4));
  const H = Math.round(W * 0.625), pad = 12;
  const xs = m.points.map((p) => p.x), ys = m.points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => pad + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * pad);
  const sy = (y) => H - pad - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * pad);
  const colours = new Map();
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'map');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `map of ${m.points.length} points`);
  for (const p of m.points) {
    const key = p.value == null ? '' : typeof p.value === 'string' ? p.value : JSON.stringify(p.value);
    if (!colours.has(key)) colours.set(key, key === '' ? '#888' : palette[colours.size % palette.length]);
    const c = document.createElementNS(ns, 'circle');
    c.setAttribute('cx', sx(p.x).toFixed(1));
    c.setAttribute('cy', sy(p.y).toFixed(1));
    c.setAttribute('r', hits.has(String(p.id)) ? 7 : 4);
    c.setAttribute('fill', colours.get(key));
    c.setAttribute('class', hits.has(String(p.id)) ? 'mark hit' : 'mark');
    const t = document.createElementNS(ns, 'title');
    t.textContent = `${p.id}${key ? ' · ' + key : ''}`;
    c.append(t);
    svg.append(c);
  }
  const legend = h('p', { class: 'legend' }, [...colours].filter(([k]) => k).map(([k, col]) => {
    const dot = h('i');
    dot.style.background = col;
    return h('span', {}, dot, k);
  }));
  return h('div', {}, svg, legend);
}

let lastTelemetry = null;

async function server(main) {
  const [info, tel] = await Promise.all([api('GET', '/'), api('GET', '/telemetry')]);
  const now = Date.now();
  const started = new Date(tel.app.startup);
  const up = Math.max(0, Math.round((now - started) / 1000));
  const prev = lastTelemetry;
  lastTelemetry = { at: now, tel };
  const rows = Object.entries(tel.requests.rest.responses).sort().map(([routeName, codes]) => {
    const count = Object.values(codes).reduce((a, c) => a + c.count, 0);
    const before = prev ? Object.values(prev.tel.requests.rest.responses[routeName] || {}).reduce((a, c) => a + c.count, 0) : 0;
    const rate = prev ? ((count - before) / ((now - prev.at) / 1000)).toFixed(2) : '—';
    const avg = Object.values(codes)[0].avg_duration_micros;
    return [routeName, String(count), rate, `${(avg / 1000).toFixed(2)} ms`, Object.keys(codes).join(', ')];
  });
  const names = tel.collections.collections.map((c) => c.id);
  const infos = await Promise.all(names.map((n) => api('GET', `/collections/${enc(n)}`)));
  let metricsNote = '';
  await text('/metrics').then((m) => { metricsNote = `${m.split('\n').filter((l) => l && !l.startsWith('#')).length} samples`; }).catch(() => {});
  main.append(h('h2', {}, 'Server'),
    h('div', { class: 'stats' }, h('div', {}, 'Version', h('b', {}, info.version)), h('div', {}, 'Uptime', h('b', {}, `${Math.floor(up / 3600)}h ${Math.floor(up / 60) % 60}m ${up % 60}s`)),
      h('div', {}, 'Collections', h('b', {}, String(names.length))), h('div', {}, 'Metrics', h('b', {}, metricsNote || 'key needed'))),
    h('button', { type: 'button', onclick: () => run(async () => { main.replaceChildren(); await server(main); }) }, 'Refresh (rates since the last refresh)'),
    h('h3', {}, 'Collections'), table(['Name', 'Points', 'Disk'], names.map((n, i) => [n, String(infos[i].points_count), bytes(infos[i].disk_bytes || 0)])),
    h('h3', {}, 'Requests'), table(['Route', 'Requests', 'Per second', 'Mean latency', 'Statuses'], rows));
}

export const pages = { collections, collection, point, search, recommend, vectors, server };
