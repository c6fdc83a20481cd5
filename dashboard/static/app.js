// The dashboard's shell: the API client (api-key kept in memory only),
// small DOM helpers and the hash router. The pages are in pages.js.
import { pages } from './pages.js';

let apiKey = '';

// api calls the server's API and returns the envelope's result, or throws
// an Error carrying the server's message.
export async function api(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (apiKey) headers['api-key'] = apiKey;
  const resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await resp.text();
  if (!resp.ok) {
    let msg = text;
    try { msg = JSON.parse(text).status.error; } catch { /* not JSON */ }
    throw new Error(`${resp.status}: ${msg}`);
  }
  const json = JSON.parse(text);
  return 'result' in json ? json.result : json;
}

// text fetches a raw (non-envelope) route such as /metrics.
export async function text(path) {
  const resp = await fetch(path, { headers: apiKey ? { 'api-key': apiKey } : {} });
  if (!resp.ok) throw new Error(`${resp.status}: ${path}`);
  return resp.text();
}

// curl is the command that repeats a request, to copy into a terminal.
export function curl(method, path, body) {
  const key = apiKey ? " -H 'api-key: $QUIVER_API_KEY'" : '';
  const data = body === undefined ? '' : ` -H 'Content-Type: application/json' -d '${JSON.stringify(body).replaceAll("'", "'\\''")}'`;
  return `curl -s -X ${method} '${location.origin}${path}'${key}${data}`;
}

// h builds an element: h('td', {class: 'x'}, 'text', child...).
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== false && v !== undefined) e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...children.flat().filter((c) => c !== null && c !== undefined));
  return e;
}

// field is a labelled control: the label wraps it, which names it.
export function field(label, control) {
  return h('label', {}, label, control);
}

export function table(headers, rows) {
  return h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

export function json(v) {
  return h('pre', {}, JSON.stringify(v, null, 1));
}

export function status(msg, isError = false) {
  const s = document.getElementById('status');
  s.textContent = msg;
  s.className = isError ? 'error' : '';
}

// run shows a page's failure in the status line instead of losing it.
export async function run(fn) {
  try {
    await fn();
  } catch (err) {
    status(err.message, true);
  }
}

async function route() {
  const [, name = 'collections', ...rest] = location.hash.split('/');
  const page = pages[name] || pages.collections;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === `#/${name}`);
  }
  const main = document.getElementById('main');
  main.replaceChildren();
  status('');
  await run(() => page(main, rest.map(decodeURIComponent)));
}

document.getElementById('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  apiKey = document.getElementById('api-key').value;
  route();
});
window.addEventListener('hashchange', route);
route();
