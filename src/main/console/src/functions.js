// The function list and a function's page: overview (state, instances, aliases, release), versions and rollback,
// scaling, the monitoring report as charts, live logs and invocations with their phases.
import { api, optional, fnPath, qs, ApiError } from './api.js';
import { h, clear, table, ago, field } from './dom.js';
import { errorBox, loading, unavailable, guarded } from './ui.js';
import { lineChart, fmt } from './charts.js';
import { follow } from './sse.js';

const fnHash = (ns, name, tab = '') => `#/fn/${encodeURIComponent(ns)}/${encodeURIComponent(name)}${tab ? '/' + tab : ''}`;

function statusBadge(status) {
  return h('span', { class: `badge ${String(status || '').replace(/\s+/g, '-')}` }, status || 'unknown');
}

export async function functionList(root) {
  const body = h('div', {}, loading('functions'));
  clear(root, h('div', { class: 'row' }, h('h1', {}, 'Functions'), h('span', { class: 'spacer' }),
    h('a', { class: 'button primary', href: '#/new' }, 'New function')), body);
  await guarded(body, async () => {
    const [fns, instances, namespaces] = await Promise.all([
      api('/api/v1/functions'),
      api('/api/v1/instances').catch(() => null),
      api('/api/v1/namespaces').catch(() => null),
    ]);
    const count = {};
    const list = Array.isArray(instances) ? instances : (instances && instances.instances) || [];
    for (const i of list) count[i.function] = (count[i.function] || 0) + (i.state === 'READY' || i.state === 'BUSY' ? 1 : 0);
    const byNs = {};
    for (const f of fns.functions) (byNs[f.namespace] ||= []).push(f);
    for (const n of (namespaces && namespaces.namespaces) || []) byNs[n.namespace] ||= [];
    clear(body);
    if (!fns.functions.length) {
      body.append(h('p', { class: 'muted' }, 'No functions yet. ', h('a', { href: '#/new' }, 'Create one from a template'), '.'));
    }
    const nsInfo = Object.fromEntries(((namespaces && namespaces.namespaces) || []).map((n) => [n.namespace, n]));
    for (const ns of Object.keys(byNs).sort()) {
      const usage = nsInfo[ns] && nsInfo[ns].usage;
      body.append(h('section', { class: 'card', 'aria-label': `Namespace ${ns}` },
        h('h2', {}, 'Namespace ', h('code', {}, ns),
          usage ? h('small', { class: 'muted' }, ` ${usage.instances} instances, ${usage.memoryMb ?? usage.memory ?? 0} MiB in the region`) : ''),
        table(['Function', 'Status', 'Runtime', 'Live version', 'Versions', 'Instances here', 'Updated'],
          byNs[ns].map((f) => [
            h('a', { href: fnHash(f.namespace, f.name), class: 'fn-link' }, f.name),
            h('span', {}, statusBadge(f.status), f.error ? h('small', { class: 'error-text' }, ' ' + f.error) : ''),
            f.runtime || '-',
            f.live ? `v${f.live}` : '-',
            String(f.versions ?? '-'),
            String(count[`${f.namespace}/${f.name}`] || 0),
            ago(f.updatedAt),
          ]), `Functions in ${ns}`)));
    }
  });
}

const TABS = [['overview', 'Overview'], ['versions', 'Versions'], ['scaling', 'Scaling'], ['report', 'Report'],
  ['logs', 'Live logs'], ['invocations', 'Invocations']];

export function functionPage(root, ns, name, tab, setLeave) {
  const panel = h('section', { class: 'panel', id: 'panel', role: 'tabpanel', 'aria-label': tab });
  const tabs = h('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Function views' },
    TABS.map(([key, label]) => h('a', { href: fnHash(ns, name, key), role: 'tab', 'aria-selected': String(key === tab), class: key === tab ? 'active' : '' }, label)));
  clear(root,
    h('div', { class: 'row' },
      h('h1', {}, h('small', { class: 'muted' }, ns + ' / '), name),
      h('span', { class: 'spacer' }),
      h('a', { class: 'button primary', href: `#/ide/${encodeURIComponent(ns)}/${encodeURIComponent(name)}` }, 'Open in WebIDE')),
    tabs, panel);
  const controller = new AbortController();
  setLeave(() => controller.abort());
  const views = { overview, versions, scaling, report, logs, invocations };
  (views[tab] || overview)(panel, ns, name, controller.signal);
}

async function overview(panel, ns, name) {
  clear(panel, loading('the function'));
  await guarded(panel, async () => {
    const f = await api(fnPath(ns, name));
    const release = await api(fnPath(ns, name, '/releases/current')).catch((e) => (e.status === 404 ? null : Promise.reject(e)));
    clear(panel,
      h('div', { class: 'grid' },
        h('div', { class: 'card' }, h('h2', {}, 'State'),
          h('dl', { class: 'facts' },
            h('dt', {}, 'Status'), h('dd', {}, statusBadge(f.status)),
            h('dt', {}, 'Live version'), h('dd', { class: 'live-version' }, `v${f.live}`),
            h('dt', {}, 'Latest version'), h('dd', {}, `v${f.latest}`),
            h('dt', {}, 'Runtime'), h('dd', {}, f.runtime),
            h('dt', {}, 'URL'), h('dd', {}, h('code', {}, f.url)),
            h('dt', {}, 'Origin'), h('dd', {}, f.origin),
            h('dt', {}, 'Updated'), h('dd', {}, ago(f.updatedAt))),
          f.error ? h('div', { class: 'error' }, f.error) : ''),
        h('div', { class: 'card' }, h('h2', {}, 'Aliases'),
          table(['Alias', 'Versions', 'Sticky'], (f.aliases || []).map((a) => [a.name,
            Object.entries(a.versions || {}).map(([v, p]) => `v${v}: ${p}%`).join(', '), a.sticky || '-']))),
        h('div', { class: 'card' }, h('h2', {}, 'Release'), releaseView(release))),
      h('div', { class: 'card' }, h('h2', {}, 'Instances on this node'),
        table(['Instance', 'Version', 'State', 'In flight', 'Served', 'CPU', 'Memory'], (f.instances || []).map((i) => [
          h('code', {}, i.id), `v${i.version}`, i.state, String(i.inFlight), String(i.served),
          i.cpuCores >= 0 ? i.cpuCores.toFixed(2) : '-', i.memoryBytes >= 0 ? `${Math.round(i.memoryBytes / 1048576)} MiB` : '-']))),
      h('div', { class: 'card' }, h('h2', {}, 'Live spec'), h('pre', { class: 'code' }, JSON.stringify(f.spec, null, 2))));
  });
}

function releaseView(r) {
  if (!r) return h('p', { class: 'muted' }, 'No release has run.');
  const pct = Math.max(0, Math.min(100, r.percent || 0));
  return h('div', {},
    h('p', {}, statusBadge(r.state), ` v${r.from} -> v${r.to}, step ${r.step} of ${(r.steps || []).length}`),
    h('progress', { max: 100, value: pct, 'aria-label': `Canary share ${pct}%` }), ` ${pct}% on v${r.to}`,
    r.reason ? h('p', { class: 'muted' }, r.reason) : '',
    table(['Check', 'Passed', 'Canary', 'Stable', 'Limit'], (r.checks || []).map((c) => [c.name, c.passed ? 'yes' : 'no',
      fmt(c.canary), fmt(c.stable), fmt(c.limit)])));
}

async function versions(panel, ns, name, signal, message) {
  clear(panel, loading('versions'));
  const status = h('div', { 'aria-live': 'polite' }, message || '');
  await guarded(panel, async () => {
    const v = await api(fnPath(ns, name, '/versions'));
    const rows = [...v.versions].reverse().map((x) => [
      `v${x.version}`, x.live ? statusBadge('live') : '', ago(x.createdAt), x.source, h('code', { title: x.digest }, x.digest.slice(0, 19)),
      x.live ? '' : h('button', {
        type: 'button', class: 'small', 'aria-label': `Roll back to version ${x.version}`,
        onclick: async (ev) => {
          ev.target.disabled = true;
          try {
            const r = await api(fnPath(ns, name, '/rollback'), { method: 'POST', body: { to: x.version } });
            versions(panel, ns, name, signal, h('p', { class: 'ok', role: 'status' }, `Version ${r.version} is live.`));
          } catch (e) {
            clear(status, errorBox(e));
            ev.target.disabled = false;
          }
        },
      }, `Roll back to v${x.version}`)]);
    clear(panel, h('p', {}, 'Live version: ', h('strong', { class: 'live-version' }, `v${v.live}`)), status,
      table(['Version', '', 'Created', 'Source', 'Package', ''], rows, 'Versions, newest first'));
  });
}

async function scaling(panel, ns, name) {
  clear(panel, loading('scaling'));
  await guarded(panel, async () => {
    const s = await api(fnPath(ns, name, '/scaling'));
    const inst = s.instances || {};
    clear(panel,
      h('div', { class: 'grid' },
        h('div', { class: 'card' }, h('h2', {}, 'Now'),
          h('dl', { class: 'facts' },
            h('dt', {}, 'Desired'), h('dd', {}, String(s.desired ?? '-')),
            h('dt', {}, 'Decided here'), h('dd', {}, s.active ? 'yes (this node leads)' : 'no (the leader decides)'),
            h('dt', {}, 'Rule'), h('dd', {}, String(s.rule ?? '-')),
            h('dt', {}, 'Reason'), h('dd', {}, String(s.reason ?? '-')),
            ...['ready', 'busy', 'starting', 'inFlight', 'queued', 'served'].flatMap((k) => [h('dt', {}, k), h('dd', {}, String(inst[k] ?? '-'))]))),
        h('div', { class: 'card' }, h('h2', {}, 'Settings'), h('pre', { class: 'code' }, JSON.stringify(s.config, null, 2)))),
      h('div', { class: 'card' }, h('h2', {}, "The scaler's decisions"),
        table(['When', 'From', 'To', 'Rule', 'Reason'], (s.decisions || []).map((d) => [ago(d.at), String(d.from), String(d.to), d.rule, d.reason]))),
      s.placement ? h('div', { class: 'card' }, h('h2', {}, 'Placement'), h('pre', { class: 'code' }, JSON.stringify(s.placement, null, 2))) : '');
  });
}

async function report(panel, ns, name, signal) {
  const windowSel = h('select', { name: 'window' }, ['5m', '1h', '6h', '24h', '7d'].map((w) => h('option', { value: w, selected: w === '1h' }, w)));
  const body = h('div', {}, loading('the report'));
  clear(panel, h('div', { class: 'row' }, field('Window', windowSel)), body);
  const load = () => guarded(body, async () => {
    const r = await optional(fnPath(ns, name, '/report') + '&' + qs({ window: windowSel.value }).slice(1), { signal });
    if (r === null) { clear(body, unavailable('The monitoring report')); return; }
    const t = r.totals || {};
    const series = r.series || [];
    clear(body,
      r.partial ? h('p', { class: 'notice' }, 'Partial: some nodes did not answer.') : '',
      h('dl', { class: 'totals' }, ...[['Requests', t.requests], ['Errors', t.errors], ['Error rate', fmt(t.errorRate, '%')],
        ['Throttles', t.throttles], ['p50', fmt(t.p50, 'ms')], ['p95', fmt(t.p95, 'ms')], ['p99', fmt(t.p99, 'ms')],
        ['Cold starts', t.coldStarts], ['Cold-start rate', fmt(t.coldStartRate, '%')], ['Init p50', fmt(t.initP50, 'ms')],
        ['Max concurrency', t.maxConcurrency], ['Instances', t.instances], ['Queue depth', t.queueDepth],
        ['Oldest queued', t.queueAgeSeconds !== undefined ? `${t.queueAgeSeconds} s` : '-']]
        .flatMap(([k, v]) => [h('div', {}, h('dt', {}, k), h('dd', {}, String(v ?? '-')))])),
      h('div', { class: 'charts' },
        lineChart({ title: 'Requests and errors', points: series, lines: [
          { key: 'requests', label: 'requests', cls: 's1' }, { key: 'errors', label: 'errors', cls: 's3' }, { key: 'throttles', label: 'throttles', cls: 's4' }] }),
        lineChart({ title: 'Duration', unit: 'ms', points: series, lines: [
          { key: 'p50', label: 'p50', cls: 's1' }, { key: 'p95', label: 'p95', cls: 's2' }, { key: 'p99', label: 'p99', cls: 's3' }] }),
        lineChart({ title: 'Concurrency and instances', points: series, lines: [
          { key: 'maxConcurrency', label: 'max concurrency', cls: 's1' }, { key: 'instances', label: 'instances', cls: 's2' },
          { key: 'coldStarts', label: 'cold starts', cls: 's4' }] })));
  });
  windowSel.addEventListener('change', load);
  await load();
}

function logLine(l) {
  return h('li', { class: `log ${l.stream || l.level || ''}` },
    h('time', { datetime: l.at }, new Date(l.at).toLocaleTimeString()), ' ',
    h('span', { class: 'tag' }, `v${l.version}`), ' ',
    l.node ? h('span', { class: 'tag' }, l.node) : '', ' ',
    h('span', { class: 'text' }, l.line ?? l.text ?? ''));
}

async function logs(panel, ns, name, signal) {
  const list = h('ol', { class: 'logs', 'aria-label': 'Log lines', 'aria-live': 'off' });
  const state = h('p', { class: 'muted', role: 'status' }, 'Connecting...');
  clear(panel, state, list);
  const add = (l) => {
    list.append(logLine(l));
    while (list.children.length > 1000) list.firstChild.remove();
    list.lastChild.scrollIntoView({ block: 'nearest' });
  };
  const result = await follow(`/api/v1/logs${qs({ function: `${ns}/${name}`, follow: 'true' })}`, {
    signal,
    onEvent: (e) => { try { add(JSON.parse(e.data)); } catch { /* not a log line */ } },
    onState: (s, e) => {
      if (s === 'open') state.textContent = 'Following the logs of every node (live).';
      else if (s === 'retrying') state.textContent = `Connection lost (${e && e.message || e}); reconnecting...`;
    },
  });
  if (result instanceof ApiError) {
    if (result.status === 404 && result.error === 'no such endpoint') {
      clear(state, unavailable('Following logs live'), ' Recent lines from this node:');
      await guarded(list, async () => {
        const r = await api(fnPath(ns, name, '/logs') + '&limit=200', { signal });
        clear(list, r.logs.slice().reverse().map(logLine));
      });
    } else {
      clear(state, errorBox(result));
    }
  }
}

async function invocations(panel, ns, name, signal) {
  const detail = h('div', { class: 'card', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Choose an invocation to see its phases and logs.'));
  const body = h('div', {}, loading('invocations'));
  clear(panel, body, detail);
  await guarded(body, async () => {
    const r = await api(`/api/v1/invocations${qs({ function: `${ns}/${name}`, limit: 50 })}`, { signal });
    clear(body, table(['Started', 'Version', 'Status', 'Duration', 'Cold', 'Phases', ''], r.invocations.map((i) => [
      ago(i.startedAt), `v${i.version}`, statusBadge(String(i.status)), `${Math.round(i.durationMs)} ms`, i.cold ? 'cold' : '',
      phases(i.phases),
      h('button', { type: 'button', class: 'small', 'aria-label': `Show invocation ${i.id}`, onclick: () => showInvocation(detail, i.id) }, 'Details'),
    ]), 'Recent invocations'));
  });
}

export function phases(p) {
  const entries = Object.entries(p || {});
  const total = entries.reduce((n, [, v]) => n + v, 0) || 1;
  return h('div', { class: 'phases', role: 'img', 'aria-label': entries.map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ') },
    entries.map(([k, v]) => {
      const seg = h('span', { class: `phase ${k}`, title: `${k}: ${v.toFixed(1)} ms` }, k);
      seg.style.flexGrow = String(Math.max(v / total, 0.04));
      return seg;
    }));
}

async function showInvocation(box, id) {
  clear(box, loading('the invocation'));
  await guarded(box, async () => {
    const r = await api(`/api/v1/invocations/${encodeURIComponent(id)}`);
    const i = r.invocation || {};
    clear(box, h('h2', {}, 'Invocation ', h('code', {}, id)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Status'), h('dd', {}, String(i.status ?? '-')),
        h('dt', {}, 'Duration'), h('dd', {}, `${Math.round(i.durationMs || 0)} ms`),
        h('dt', {}, 'Cold'), h('dd', {}, i.cold ? 'yes' : 'no'),
        h('dt', {}, 'Instance'), h('dd', {}, i.instance || '-'),
        i.error ? [h('dt', {}, 'Error'), h('dd', { class: 'error-text' }, i.error)] : ''),
      table(['Phase', 'ms'], Object.entries(i.phases || {}).map(([k, v]) => [k, v.toFixed(1)]), 'Phases'),
      h('ol', { class: 'logs' }, (r.logs || []).map(logLine)));
  });
}
