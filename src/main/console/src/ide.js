// The WebIDE: a function's code in CodeMirror 6, deployed as a new version (zip -> POST /api/v1/artifacts ->
// POST .../versions, as 'nest fn deploy' does), invoked with a test event through the gateway, with the response
// and the invocation's log lines; and new functions from the templates 'nest fn init' writes.
import { EditorView, basicSetup } from 'codemirror';
import { EditorState } from '@codemirror/state';
import { keymap } from '@codemirror/view';
import { indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { java } from '@codemirror/lang-java';
import { json } from '@codemirror/lang-json';
import { api, fnPath, qs, session, ApiError } from './api.js';
import { h, clear, field } from './dom.js';
import { errorBox, loading, guarded } from './ui.js';
import { zip } from './zip.js';
import { TEMPLATES } from './templates.js';
import { phases } from './functions.js';

/** How much code the editor loads: beyond these the function is edited with the CLI. */
const MAX_FILES = 200;
const MAX_TOTAL_BYTES = 4 << 20;

/** The page's Content-Security-Policy nonce: CodeMirror puts it on the style elements it creates. */
const NONCE = (document.querySelector('meta[name="nest-csp-nonce"]') || {}).content || '';
const cspNonce = NONCE && !NONCE.startsWith('%') ? [EditorView.cspNonce.of(NONCE)] : [];

function language(path) {
  if (/\.(m?js|cjs|ts)$/.test(path)) return [javascript()];
  if (path.endsWith('.java')) return [java()];
  if (path.endsWith('.json')) return [json()];
  return [];
}

function invokePath(ns, name) {
  return ns === 'default' ? `/fn/${encodeURIComponent(name)}` : `/ns/${encodeURIComponent(ns)}/fn/${encodeURIComponent(name)}`;
}

function b64ToBytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Uploads files as a package and deploys them with spec as a new version of ns/name (created when absent). */
export async function deployFiles(ns, name, spec, files, create) {
  const bytes = zip(files);
  const up = await api(`/api/v1/artifacts${qs({ runtime: spec.runtime })}`, {
    method: 'POST', body: new Blob([bytes], { type: 'application/zip' }), headers: { 'Content-Type': 'application/zip' },
  });
  const body = { spec: { ...spec, name, namespace: ns }, digest: up.digest };
  return create
    ? api('/api/v1/functions', { method: 'POST', body })
    : api(fnPath(ns, name, '/versions'), { method: 'POST', body });
}

export async function ide(root, ns, name, setLeave) {
  const controller = new AbortController();
  setLeave(() => controller.abort());
  clear(root, loading('the code'));
  const fn = await guarded(root, () => api(fnPath(ns, name)));
  if (!fn) return;
  const status = h('div', { class: 'status', 'aria-live': 'polite', id: 'ide-status' });
  const fileList = h('ul', { class: 'files', 'aria-label': 'Files' });
  const editorHost = h('div', { class: 'editor', id: 'editor' });
  const fileLabel = h('div', { class: 'file-label', id: 'file-label' });
  const deployBtn = h('button', { type: 'button', class: 'primary', disabled: true }, 'Deploy as new version');
  const base = h('span', { class: 'muted', id: 'ide-base' });
  const files = new Map(); // path -> {state?: EditorState, bytes?: Uint8Array, original}
  let current = null;
  let view = null;

  const invokeBox = invokePanel(ns, name, fn);
  clear(root,
    h('div', { class: 'row' },
      h('h1', {}, h('small', { class: 'muted' }, 'WebIDE: '), h('a', { href: `#/fn/${encodeURIComponent(ns)}/${encodeURIComponent(name)}` }, `${ns} / ${name}`)),
      base, h('span', { class: 'spacer' }), deployBtn),
    status,
    h('div', { class: 'ide' },
      h('aside', { class: 'card' }, h('h2', {}, 'Files'), fileList),
      h('section', { class: 'card editor-card', 'aria-label': 'Editor' }, fileLabel, editorHost),
      invokeBox));

  async function load(version) {
    base.textContent = `editing version ${version} (live: ${fn.live})`;
    const listing = await api(fnPath(ns, name, `/versions/${version}/code`), { signal: controller.signal });
    if (listing.truncated || listing.files.length > MAX_FILES
        || listing.files.reduce((n, f) => n + f.bytes, 0) > MAX_TOTAL_BYTES) {
      throw new ApiError(0, 'Too much code for the WebIDE', `this version has ${listing.files.length}${listing.truncated ? '+' : ''} files;`
        + ` edit it with the CLI (nest fn deploy DIR)`);
    }
    const contents = await Promise.all(listing.files.map((f) => api(
      fnPath(ns, name, `/versions/${version}/code`) + '&' + qs({ path: f.path }).slice(1), { signal: controller.signal })));
    files.clear();
    for (const c of contents) {
      if (c.encoding === 'utf-8') {
        files.set(c.path, { original: c.content, state: EditorState.create({ doc: c.content, extensions: [cspNonce, basicSetup, keymap.of([indentWithTab]), language(c.path), EditorView.updateListener.of(changed)] }) });
      } else {
        files.set(c.path, { bytes: b64ToBytes(c.content) });
      }
    }
    renderFiles();
    const first = [...files.keys()].find((p) => files.get(p).state && /(index\.m?js|Handler\.java)$/.test(p))
      || [...files.keys()].find((p) => files.get(p).state);
    if (first) open(first);
    deployBtn.disabled = false;
  }

  function changed(update) {
    if (update.docChanged) renderFiles();
  }

  function dirty(path) {
    const f = files.get(path);
    if (!f.state) return false;
    const doc = path === current && view ? view.state.doc.toString() : f.state.doc.toString();
    return doc !== f.original;
  }

  function renderFiles() {
    clear(fileList, [...files.keys()].sort().map((p) => h('li', {},
      files.get(p).state
        ? h('button', { type: 'button', class: `file${p === current ? ' active' : ''}`, 'aria-current': p === current ? 'true' : false, onclick: () => open(p) },
          p, dirty(p) ? h('span', { class: 'dirty', 'aria-label': 'changed' }, ' *') : '')
        : h('span', { class: 'muted', title: 'binary file: deployed as it is' }, p))));
  }

  function open(path) {
    if (view && current) files.get(current).state = view.state;
    current = path;
    const st = files.get(path).state;
    if (!view) {
      view = new EditorView({ state: st, parent: editorHost });
      view.contentDOM.setAttribute('aria-label', `Code of ${path}`);
    } else {
      view.setState(st);
      view.contentDOM.setAttribute('aria-label', `Code of ${path}`);
    }
    fileLabel.textContent = path;
    renderFiles();
    view.focus();
  }

  deployBtn.addEventListener('click', async () => {
    if (view && current) files.get(current).state = view.state;
    deployBtn.disabled = true;
    clear(status, h('p', { class: 'muted' }, 'Uploading and deploying...'));
    const enc = new TextEncoder();
    const out = [...files.entries()].map(([path, f]) => ({ path, bytes: f.state ? enc.encode(f.state.doc.toString()) : f.bytes }));
    try {
      const spec = fn.spec || { runtime: fn.runtime };
      const d = await deployFiles(ns, name, spec, out, false);
      clear(status, h('p', { class: 'ok', role: 'status' }, d.changed === false
        ? `Nothing changed: version ${d.version} is live.` : `Deployed version ${d.version}; it is live.`));
      fn.live = d.live ?? d.version;
      for (const f of files.values()) if (f.state) f.original = f.state.doc.toString();
      base.textContent = `editing version ${d.version} (live: ${fn.live})`;
      renderFiles();
    } catch (e) {
      clear(status, errorBox(e));
    } finally {
      deployBtn.disabled = false;
    }
  });

  await guarded(status, () => load(fn.live));
}

function invokePanel(ns, name, fn) {
  const method = h('select', { name: 'method' }, ['POST', 'GET', 'PUT', 'DELETE'].map((m) => h('option', { value: m }, m)));
  const path = h('input', { type: 'text', name: 'path', value: '?name=Nest', spellcheck: 'false' });
  const body = h('textarea', { name: 'event', rows: 6, spellcheck: 'false' }, '{\n  "hello": "world"\n}');
  const result = h('div', { class: 'result', 'aria-live': 'polite', id: 'invoke-result' });
  const btn = h('button', { type: 'submit', class: 'primary' }, 'Invoke');
  const form = h('form', {
    class: 'card invoke', 'aria-label': 'Invoke with a test event',
    onsubmit: async (ev) => {
      ev.preventDefault();
      btn.disabled = true;
      clear(result, h('p', { class: 'muted' }, 'Invoking...'));
      const headers = { 'Content-Type': 'application/json' };
      // the token goes only to functions that need one (a public function sees every header, so it would see it)
      if (fn.spec && fn.spec.auth === 'token') headers.Authorization = 'Bearer ' + session.token();
      const t0 = performance.now();
      try {
        const res = await fetch(invokePath(ns, name) + (path.value.startsWith('?') || path.value === '' ? path.value : '/' + path.value.replace(/^\//, '')), {
          method: method.value, headers, body: method.value === 'GET' ? undefined : body.value, cache: 'no-store',
        });
        const ms = Math.round(performance.now() - t0);
        const text = await res.text();
        let shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
        const id = res.headers.get('x-nest-invocation-id');
        const logs = h('ol', { class: 'logs', 'aria-label': 'Log lines of the invocation' }, h('li', { class: 'muted' }, 'Loading logs...'));
        clear(result,
          h('p', {}, h('strong', { class: res.ok ? 'ok' : 'error-text', id: 'invoke-status' }, `HTTP ${res.status}`), ` in ${ms} ms`,
            res.headers.get('x-nest-cold') === 'true' ? ' (cold start)' : '', id ? h('small', { class: 'muted' }, ` ${id}`) : ''),
          h('pre', { class: 'code response', id: 'invoke-response', 'aria-label': 'Response body' }, shown),
          h('h3', {}, 'Logs'), logs);
        if (id) showLogs(ns, name, id, logs);
      } catch (e) {
        clear(result, errorBox(e));
      } finally {
        btn.disabled = false;
      }
    },
  },
  h('h2', {}, 'Test event'),
  h('div', { class: 'row' }, field('Method', method), field('Path and query', path)),
  field('Request body (the event)', body),
  btn, result);
  return form;
}

async function showLogs(ns, name, id, list) {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const r = await api(fnPath(ns, name, '/logs') + '&' + qs({ invocation: id, limit: 200 }).slice(1));
      if (r.logs.length || attempt === 4) {
        clear(list, r.logs.length ? r.logs.slice().reverse().map((l) => h('li', { class: `log ${l.level || ''}` },
          h('span', { class: 'tag' }, l.level || 'log'), ' ', l.text)) : h('li', { class: 'muted' }, 'no log lines'));
        break;
      }
    } catch (e) {
      clear(list, h('li', {}, errorBox(e)));
      break;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
  try {
    const inv = await api(`/api/v1/invocations/${encodeURIComponent(id)}`);
    if (inv.invocation) list.before(h('div', { class: 'muted' }, 'Phases: ', phases(inv.invocation.phases)));
  } catch { /* the record may live on another node */ }
}

export function newFunction(root) {
  const name = h('input', { type: 'text', name: 'name', required: true, pattern: '[a-z0-9\\-]{1,63}', placeholder: 'hello', spellcheck: 'false' });
  const ns = h('input', { type: 'text', name: 'namespace', value: 'default', required: true, spellcheck: 'false' });
  const tpl = h('select', { name: 'template' }, Object.entries(TEMPLATES).map(([k, t]) => h('option', { value: k }, t.label)));
  const status = h('div', { 'aria-live': 'polite' });
  const btn = h('button', { type: 'submit', class: 'primary' }, 'Create function');
  clear(root, h('h1', {}, 'New function'), h('form', {
    class: 'card narrow', 'aria-label': 'New function from a template',
    onsubmit: async (ev) => {
      ev.preventDefault();
      btn.disabled = true;
      clear(status, h('p', { class: 'muted' }, 'Creating...'));
      const t = TEMPLATES[tpl.value];
      const enc = new TextEncoder();
      try {
        await deployFiles(ns.value.trim(), name.value.trim(), t.spec,
          Object.entries(t.files).map(([path, text]) => ({ path, bytes: enc.encode(text) })), true);
        location.hash = `#/ide/${encodeURIComponent(ns.value.trim())}/${encodeURIComponent(name.value.trim())}`;
      } catch (e) {
        clear(status, errorBox(e));
        btn.disabled = false;
      }
    },
  },
  field('Name', name, 'lower-case letters, digits and -'),
  field('Namespace', ns),
  field('Template', tpl),
  btn, status));
  name.focus();
}
