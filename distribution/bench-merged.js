'use strict';
// Merged pods against dedicated pods, at the level of the runtime hosts (distribution/bench-merged.sh runs it):
// N idle Node.js functions, each loaded and invoked once, either each in a host.js process of its own (dedicated)
// or 16 to a merged-host.js process (merged, a worker thread each). Memory: the sum over the host processes of
// VmRSS (shared pages counted in every process) and of Pss (shared pages split between the processes that map
// them: the machine's real cost), divided by N. Latency: with the merged pods already running, the first request
// of each function as the node agent makes it: /load into its merged pod, then the first /invoke; p50/p99 over
// N. Hosts are started as the process driver starts them (secret on stdin) but without its uid separation.
// Writes the section "Merged pods (Node.js, host level)" of docs/BENCHMARKS.md when NEST_BENCH_DOCS=1.

const { spawn, execSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const N = Number(process.env.NEST_BENCH_FUNCTIONS || 200);
const PER_POD = 16; // runtimes/nodejs/runtime.yaml max-functions
const IDLE_MS = Number(process.env.NEST_BENCH_IDLE_MS || 3000);
const DOCS = process.env.NEST_BENCH_DOCS === '1';
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const children = [];
let nextPort = 31000 + Math.floor(Math.random() * 2000);

function start(script) {
  const port = nextPort++;
  const secret = 'bench-' + Math.random().toString(36).slice(2);
  const child = spawn(process.execPath, [path.join(ROOT, 'runtimes/nodejs', script)], {
    env: { ...process.env, NEST_HOST_PORT: String(port), NEST_HOST_SECRET_STDIN: '1', NEST_POD_ID: 'bench' },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  child.stdin.write(secret + '\n');
  children.push(child);
  return { child, port, secret };
}

function call(h, method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { 'X-Nest-Secret': h.secret, 'X-Nest-Deadline': String(Date.now() + 30000) };
    if (data !== undefined) { headers['Content-Type'] = 'application/json'; headers['Content-Length'] = Buffer.byteLength(data); }
    const req = http.request({ host: '127.0.0.1', port: h.port, method, path: p, headers, agent }, (res) => {
      let t = '';
      res.on('data', (c) => { t += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(t) : reject(new Error(`${method} ${p}: ${res.statusCode} ${t}`))));
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

async function healthy(h) {
  for (let k = 0; k < 1000; k++) {
    try { await call(h, 'GET', '/health'); return; } catch { await new Promise((r) => setTimeout(r, 10)); }
  }
  throw new Error('host on port ' + h.port + ' did not start');
}

function codeDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-bench-merged-'));
  fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async (event, context) => ({ ok: true, fn: context.functionName });\n');
  return dir;
}

function load(h, i, dir) {
  return call(h, 'POST', '/load', { id: 'i' + i, function: 'default/f' + i, version: '1', codeDir: dir,
    handler: 'index.handler', env: {}, limits: { memoryMb: 128, timeoutMs: 30000, concurrency: 1 } });
}

function memory(pids) {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    rss += Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    pss += Number(/Pss:\s+(\d+)/.exec(rollup)[1]) * 1024;
  }
  return { rss, pss };
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

const mib = (b) => (b / 1048576).toFixed(1);

async function dedicated(dir) {
  const hosts = [];
  for (let i = 0; i < N; i++) hosts.push(start('host.js'));
  for (const h of hosts) await healthy(h);
  for (let i = 0; i < N; i++) { await load(hosts[i], i, dir); await call(hosts[i], 'GET', `/invoke/i${i}/`); }
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const m = memory(hosts.map((h) => h.child.pid));
  for (const h of hosts) h.child.kill('SIGKILL');
  return m;
}

async function merged(dir) {
  const pods = Math.ceil(N / PER_POD);
  const hosts = [];
  for (let p = 0; p < pods; p++) hosts.push(start('merged-host.js'));
  for (const h of hosts) await healthy(h);
  const base = memory(hosts.map((h) => h.child.pid));
  const first = [];
  for (let i = 0; i < N; i++) {
    const h = hosts[Math.floor(i / PER_POD)];
    const t0 = process.hrtime.bigint();
    await load(h, i, dir);
    await call(h, 'GET', `/invoke/i${i}/`);
    first.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const m = memory(hosts.map((h) => h.child.pid));
  const warm = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await call(hosts[Math.floor(i / PER_POD)], 'GET', `/invoke/i${i}/`);
    warm.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  for (const h of hosts) h.child.kill('SIGKILL');
  first.sort((a, b) => a - b);
  warm.sort((a, b) => a - b);
  return { pods, base, m, first, warm };
}

function commit() {
  try {
    const c = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    const dirty = execSync('git status --porcelain -- src runtimes distribution', { cwd: ROOT }).toString().trim();
    return c + (dirty ? ' (with uncommitted changes)' : '');
  } catch { return 'unknown'; }
}

(async () => {
  const dir = codeDir();
  try {
    const d = await dedicated(dir);
    const m = await merged(dir);
    const rows = [
      ['dedicated: a host.js per function', N, mib(d.rss / N), mib(d.pss / N), mib(d.pss), '', ''],
      [`merged: ${PER_POD} per merged-host.js (${m.pods} pods)`, N, mib(m.m.rss / N), mib(m.m.pss / N), mib(m.m.pss),
        `${pct(m.first, 0.5).toFixed(1)} / ${pct(m.first, 0.99).toFixed(1)}`,
        `${pct(m.warm, 0.5).toFixed(2)} / ${pct(m.warm, 0.99).toFixed(2)}`],
    ];
    const perWorker = (m.m.pss - m.base.pss) / N;
    const lines = [];
    lines.push('| placement | functions | RSS per function (MiB) | PSS per function (MiB) | PSS total (MiB) | first request with its merged pod running: p50 / p99 (ms) | warm request p50 / p99 (ms) |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const r of rows) lines.push('| ' + r.join(' | ') + ' |');
    const text = lines.join('\n');
    console.log(text);
    console.log(`merged: ${mib(m.base.pss / m.pods)} MiB PSS per empty merged host, ${mib(perWorker)} MiB PSS per loaded worker`);
    if (DOCS) {
      const cpus = os.cpus().length;
      const section = `## Merged pods (Node.js, host level)

Command: \`distribution/bench-merged.sh\` (${N} functions). Measured ${new Date().toISOString()} at commit ${commit()}, Node.js ${process.version}, ${cpus} cores. The machine is shared with other work while it runs: latencies are indicative, memory is not affected.

${text}

- Targets (issue 17): at most 4 MiB per idle function: ${mib(m.m.pss / N)} MiB PSS per merged function -> ${m.m.pss / N <= 4 * 1048576 ? 'MET' : 'MISSED'}; the first request of a function whose merged pod runs within 50 ms p99: ${pct(m.first, 0.99).toFixed(1)} ms -> ${pct(m.first, 0.99) <= 50 ? 'MET' : 'MISSED'}.
- Merged against dedicated: ${(100 * (1 - m.m.pss / d.pss)).toFixed(0)}% less PSS in total, ${(100 * (1 - m.m.rss / d.rss)).toFixed(0)}% less RSS. An empty merged host holds ${mib(m.base.pss / m.pods)} MiB (PSS); each function loaded into it adds ${mib(perWorker)} MiB: a worker thread is a V8 isolate with its own heap and its own Node.js environment, which is also what its first request pays for (starting the worker). On the \`process\` driver dedicated hosts share the \`node\` binary's pages, which PSS splits between them; container drivers charge each pod's cgroup on its own (about 16 MiB per idle Node.js pod, *Pod start* above), not measured here.
- What was run: the hosts alone, started as the \`process\` driver starts them (secret on standard input) but without its per-pod uid, each function loaded and invoked once, then ${IDLE_MS} ms idle before reading memory. Memory: the sum over the host processes of \`Pss\` (\`/proc/PID/smaps_rollup\`: shared pages split between the processes that map them, so the \`node\` binary counts once in total) and of \`VmRSS\` (shared pages counted in every process). "First request": \`/load\` into the already running merged pod plus the first \`/invoke\`, as the node agent does on a merged cold start, without the agent and gateway (each adds well under a millisecond on the warm path; see *Warm path and cold start*).
`;
      const doc = path.join(ROOT, 'docs/BENCHMARKS.md');
      let s = fs.readFileSync(doc, 'utf8');
      const at = s.indexOf('## Merged pods (Node.js, host level)');
      if (at >= 0) {
        const next = s.indexOf('\n## ', at + 10);
        s = s.slice(0, at) + section + (next >= 0 ? s.slice(next + 1) : '');
      } else {
        s = s.replace(/\n*$/, '\n\n') + section;
      }
      fs.writeFileSync(doc, s);
      console.log('wrote the section "Merged pods (Node.js, host level)" of docs/BENCHMARKS.md');
    }
  } finally {
    for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
    agent.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => { console.error('bench-merged: ' + (e && e.stack || e)); for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } process.exit(1); });
