'use strict';
// Merged pods against dedicated pods for idle Node.js functions, at the level of the runtime hosts
// (distribution/bench-merged.sh runs it). Several designs in one run, on the same machine:
//
//   dedicated       a host.js process per function
//   worker          merged-host.js, a worker thread per function started on its /load, never parked
//                   (--warm-workers=0 --idle-unload-ms=0: the first design)
//   worker+pool     the same with one pre-started empty worker per pod (--warm-workers=1), never parked
//   worker+pool+v8  the same with the process-wide V8 flags --max-semi-space-size=1 --single-threaded-gc
//   parked (shipped) --warm-workers=1 and a short --idle-unload-ms: idle functions keep no worker; each request
//                   after idleness takes a pre-started worker
//   vm contexts     a prototype, not in the host: N functions as vm contexts in one worker thread (memory per
//                   context, first request with a synchronous timeout), and what happens to the neighbours when
//                   one context loops or blows the heap
//
// The first four run on a sample (NEST_BENCH_SAMPLE, default 200: every function keeps a worker or a process, so
// the cost per function does not depend on N); "parked" and "vm contexts" on all N functions.
// Memory: the sum over the host processes of Pss from /proc/PID/smaps_rollup (shared pages split between the
// processes mapping them) and of VmRSS, divided by the functions. "First request": /load into the already running
// merged pod plus the first /invoke, as the node agent does on a merged cold start; functions in a random order
// across pods, one at a time, NEST_BENCH_GAP_MS apart. Hosts are started as the process driver starts them (secret
// on stdin) but without its uid separation. Writes "Merged pods (Node.js, host level)" of docs/BENCHMARKS.md when
// NEST_BENCH_DOCS=1.

const { spawn, execSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const N = int('NEST_BENCH_FUNCTIONS', 1000);
const SAMPLE = Math.min(N, int('NEST_BENCH_SAMPLE', 200));
const PER_POD = int('NEST_BENCH_PER_POD', 16); // runtimes/nodejs/runtime.yaml max-functions
const IDLE_MS = int('NEST_BENCH_IDLE_MS', 3000);
const UNLOAD_MS = int('NEST_BENCH_UNLOAD_MS', 2000);
const GAP_MS = int('NEST_BENCH_GAP_MS', 20);
// the CPU quota of a merged container, in hundredths of a CPU (the driver's: PodSpec cpus of a merged pod); 0: none
const CPU_CENTIS = int('NEST_BENCH_CPU_CENTIS', 100);
// cpu.shares of the merged containers' parent cgroup: the containerd driver gives its /nest the node's cores
// (PodsCgroup: 1024 each); the benchmark makes a parent of its own with the same weight, and one with the default
// weight (1024: all pods together weigh one process, as before) to compare in the same run
const PARENT_SHARES = int('NEST_BENCH_PARENT_SHARES', 1024 * os.cpus().length);
const DOCS = process.env.NEST_BENCH_DOCS === '1';
// a file to write the section's guarded ratios to (distribution/bench.sh --check): runs only what they need
const RESULTS = process.env.NEST_BENCH_RESULTS || '';
const HEADING = '## Merged pods (Node.js, host level)';
// the Node.js hosts mounted into the containerd pods (another checkout's, to compare two versions of the host)
const NODEJS_DIR = process.env.NEST_BENCH_NODEJS_DIR || path.join(ROOT, 'runtimes/nodejs');
const VM_HEAP_MB = 1024;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const children = [];
// below the ephemeral range (32768+), where the benchmark's own connections take their local ports
let nextPort = 24000 + Math.floor(Math.random() * 4000);
let seed = 17;

function int(name, dflt) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} is ${JSON.stringify(raw)}; it must be a whole number >= 0`);
  return n;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (b) => (b / 1048576).toFixed(1);

/** A seeded shuffle, so runs visit functions in the same order. */
function shuffled(n) {
  const a = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function start(script, args = [], nodeFlags = []) {
  const port = nextPort++;
  const secret = 'bench-' + Math.random().toString(36).slice(2);
  const child = spawn(process.execPath, [...nodeFlags, path.join(ROOT, 'runtimes/nodejs', script), ...args], {
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
  for (let k = 0; k < 3000; k++) {
    try { await call(h, 'GET', '/health'); return; } catch { await sleep(10); }
  }
  throw new Error('host on port ' + h.port + ' did not start');
}

function codeDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-bench-merged-'));
  fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async (event, context) => ({ ok: true, fn: context.functionName });\n');
  fs.chmodSync(dir, 0o755); // containers run the host as an unprivileged user
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

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const pct = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { p50: pct(0.5), p99: pct(0.99), n: s.length };
}

const ms = (st) => `${st.p50.toFixed(1)} / ${st.p99.toFixed(1)}`;

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function dedicated(dir, n) {
  const hosts = [];
  for (let i = 0; i < n; i++) hosts.push(start('host.js'));
  for (const h of hosts) await healthy(h);
  for (let i = 0; i < n; i++) { await load(hosts[i], i, dir); await call(hosts[i], 'GET', `/invoke/i${i}/`); }
  await sleep(IDLE_MS);
  const m = memory(hosts.map((h) => h.child.pid));
  for (const h of hosts) h.child.kill('SIGKILL');
  return { n, m };
}

/** Waits until every merged host's warm pool is full (or 10 s). */
async function poolsReady(hosts, target) {
  if (target === 0) return;
  for (let k = 0; k < 200; k++) {
    let ready = true;
    for (const h of hosts) {
      const s = JSON.parse(await call(h, 'GET', '/status'));
      if (s.warmWorkers.ready < target) { ready = false; break; }
    }
    if (ready) return;
    await sleep(50);
  }
}

/**
 * Merged pods of `n` functions with the host's `args`: empty hosts' memory, the first request of each function
 * (/load + /invoke), idle memory, then (when the host parks) the first request of each after it was parked.
 */
async function merged(dir, n, args, nodeFlags, warm) {
  const pods = Math.ceil(n / PER_POD);
  const hosts = [];
  for (let p = 0; p < pods; p++) hosts.push(start('merged-host.js', args, nodeFlags));
  for (const h of hosts) await healthy(h);
  await poolsReady(hosts, warm);
  await sleep(500);
  const pids = hosts.map((h) => h.child.pid);
  const base = memory(pids);
  const first = [];
  for (const i of shuffled(n)) {
    const h = hosts[Math.floor(i / PER_POD)];
    first.push(await timed(async () => { await load(h, i, dir); await call(h, 'GET', `/invoke/i${i}/`); }));
    if (GAP_MS > 0) await sleep(GAP_MS);
  }
  await sleep(IDLE_MS);
  const idle = memory(pids);
  let afterPark = null;
  let warmAgain = null;
  let idleAgain = null;
  if (!args.includes('--idle-unload-ms=0')) {
    afterPark = [];
    warmAgain = [];
    for (const i of shuffled(n)) {
      const h = hosts[Math.floor(i / PER_POD)];
      afterPark.push(await timed(() => call(h, 'GET', `/invoke/i${i}/`)));
      warmAgain.push(await timed(() => call(h, 'GET', `/invoke/i${i}/`)));
      if (GAP_MS > 0) await sleep(GAP_MS);
    }
    await sleep(IDLE_MS);
    idleAgain = memory(pids);
  }
  let parked = 0;
  let misses = 0;
  for (const h of hosts) {
    const s = JSON.parse(await call(h, 'GET', '/status'));
    parked += s.instances.filter((x) => !x.running).length;
    misses += s.warmWorkers.misses;
  }
  for (const h of hosts) h.child.kill('SIGKILL');
  console.error(`  ${n} functions in ${pods} pods: PSS ${mib(idle.pss / n)} MiB per function (empty hosts ${mib(base.pss / pods)} MiB ` +
    `each); first ${ms(stats(first))} ms` + (afterPark ? `; after parked ${ms(stats(afterPark))} ms, ${parked} parked` : ''));
  return { n, pods, base, idle, first: stats(first), firstRaw: first, afterPark: afterPark && stats(afterPark),
    warmAgain: warmAgain && stats(warmAgain), idleAgain, parked, misses };
}

/**
 * The vm-context prototype: one worker thread (a VM_HEAP_MB heap: every context lives in it) holding `n` functions, each a vm context of its own
 * (microtaskMode 'afterEvaluate') with the handler compiled in it; its first request creates the context, compiles
 * the code and runs the handler under a synchronous timeout. Then one context loops (the timeout must stop it, the
 * others must answer) and one blows the heap (the worker, with every context in it, is lost).
 */
function vmPrototype(dir, n) {
  const code = `
    const { parentPort, workerData } = require('worker_threads');
    const vm = require('vm'); const fs = require('fs');
    const src = fs.readFileSync(workerData.file, 'utf8');
    const fns = [];
    function create(i, body) {
      const ctx = vm.createContext({ console }, { microtaskMode: 'afterEvaluate' });
      const wrapper = new vm.Script('(function (exports, module) {' + body + '\\n})', { filename: 'f' + i + '.js' });
      const module = { exports: {} };
      wrapper.runInContext(ctx, { timeout: 1000 })(module.exports, module);
      ctx.__h = module.exports.handler;
      return ctx;
    }
    function invoke(ctx, timeout = 1000) {
      ctx.__ev = { path: '/' };
      ctx.__out = undefined;
      vm.runInContext('__h(__ev, { functionName: "f" }).then((v) => { __out = v; })', ctx, { timeout });
      return ctx.__out;
    }
    parentPort.on('message', (m) => {
      if (m.type === 'first') {
        const t0 = performance.now();
        const ctx = create(m.i, src);
        const out = invoke(ctx);
        fns[m.i] = ctx;
        parentPort.postMessage({ type: 'done', ms: performance.now() - t0, ok: out && out.ok === true });
      } else if (m.type === 'loop') {
        const ctx = create(-1, 'exports.handler = async () => { for (;;) {} };');
        let stopped = false;
        try { invoke(ctx); } catch (e) { stopped = /timed out/.test(e.message); }
        const neighbour = invoke(fns[0]);
        parentPort.postMessage({ type: 'done', stopped, neighbourOk: neighbour && neighbour.ok === true });
      } else if (m.type === 'blow') {
        const ctx = create(-2, 'exports.handler = async () => { const a = []; for (;;) a.push(new Array(1e5).fill(1)); };');
        try { invoke(ctx, 120000); } catch (e) { parentPort.postMessage({ type: 'done', caught: e.message }); }
      }
    });
    parentPort.postMessage({ type: 'ready' });`;
  const { Worker } = require('worker_threads');
  return new Promise((resolve, reject) => {
    const pss = () => Number(/Pss:\s+(\d+)/.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]) * 1024;
    const w = new Worker(code, { eval: true, workerData: { file: path.join(dir, 'index.js') },
      resourceLimits: { maxOldGenerationSizeMb: VM_HEAP_MB, maxYoungGenerationSizeMb: 4, stackSizeMb: 4 } });
    const ask = (m) => new Promise((res) => { w.once('message', res); w.postMessage(m); });
    let result = null;
    w.on('error', (e) => { if (result !== null) { result.blowKilledWorker = e.code || e.message; resolve(result); } else reject(e); });
    w.once('message', async () => {
      await sleep(500);
      const before = pss();
      const first = [];
      for (let i = 0; i < n; i++) {
        const r = await ask({ type: 'first', i });
        if (!r.ok) { reject(new Error('vm context ' + i + ' did not answer')); return; }
        first.push(r.ms);
        if (GAP_MS > 0 && i % 10 === 0) await sleep(GAP_MS);
      }
      await sleep(IDLE_MS);
      const after = pss();
      const loop = await ask({ type: 'loop' });
      result = { n, perContext: (after - before) / n, first: stats(first), loopStopped: loop.stopped,
        neighbourAfterLoop: loop.neighbourOk, blowKilledWorker: null };
      w.once('message', (m) => { result.blowCaught = m.caught; w.terminate(); resolve(result); });
      w.postMessage({ type: 'blow' });
    });
  });
}

/**
 * Where the slowest 5% of first requests spend their time, against the other 95%: the mean of each phase (client
 * /load, of which the host's part and the worker's code load; the first /invoke), where the worker came from, and
 * how long before the request its pod last served one (a pod that served just before may be refilling its pool).
 */
function tailBreakdown(rows, name) {
  const sorted = [...rows].sort((a, b) => b.ms - a.ms);
  const k = Math.max(1, Math.ceil(sorted.length * 0.05));
  const mean = (xs, f) => xs.reduce((a, x) => a + f(x), 0) / Math.max(1, xs.length);
  const part = (xs) => `first ${mean(xs, (x) => x.ms).toFixed(1)}: /load ${mean(xs, (x) => x.load).toFixed(1)} ` +
    `(host ${mean(xs, (x) => x.host).toFixed(1)}, worker ${mean(xs, (x) => x.inWorker).toFixed(1)}), /invoke ` +
    `${mean(xs, (x) => x.invoke).toFixed(1)}; pod served within 2 s before: ` +
    `${xs.filter((x) => x.podGap >= 0 && x.podGap < 2000).length}/${xs.length}; not from a started pool worker: ` +
    `${xs.filter((x) => x.worker !== 'pool').length}`;
  const summary = `the slowest ${k} (5%), mean ms: ${part(sorted.slice(0, k))}; the other ${sorted.length - k}: ${part(sorted.slice(k))}`;
  console.error(`  tail (${name}): ${summary}`);
  console.error(`  tail (${name}): slowest at ms into the run: ${sorted.slice(0, k).map((x) => `${x.at.toFixed(0)}:${x.ms.toFixed(0)}` +
    `(l${x.load.toFixed(0)}/h${x.host.toFixed(0)}/w${x.inWorker.toFixed(0)}/i${x.invoke.toFixed(0)})`).join(' ')}`);
  return summary;
}

const CTR_ADDRESS = process.env.NEST_CONTAINERD_ADDRESS || '/run/nest/containerd/containerd.sock';
const CTR_IMAGE = process.env.NEST_BENCH_IMAGE || 'docker.io/nest/runtime-nodejs:latest';
// the merged containers' --warm-workers (NEST_MERGED_WARM_WORKERS): the host's default, as the container drivers run it
const CTR_WARM = int('NEST_BENCH_CTR_WARM_WORKERS', 2);
// a Node.js binary mounted over the image's /usr/bin/node (a self-contained build: the official one, or nodesource's),
// to measure the host on another Node.js than the image's; empty: the image's
const CTR_NODE = process.env.NEST_BENCH_CTR_NODE || '';

function ctr(args, quiet = true) {
  return execSync(['ctr', '-a', CTR_ADDRESS, '-n', 'nest', ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' '),
    { stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', timeout: 60000 }).toString();
}

/** Whether containerd answers here and this user may use it (root: the memory cgroups are read as well). */
function containerdHere() {
  if (process.env.NEST_BENCH_CONTAINERD === '0') return false;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  try { ctr(['version']); ctr(['images', 'check', `name==${CTR_IMAGE}`]); } catch { return false; }
  return ctr(['images', 'ls', '-q']).split('\n').includes(CTR_IMAGE);
}

/** A container's memory as its cgroup (v1) is charged: usage less inactive page cache (what docker stats shows). */
function cgroupMemory(id, parent = 'nest') {
  const cg = `/sys/fs/cgroup/memory/${parent}/${id}`;
  const usage = Number(fs.readFileSync(`${cg}/memory.usage_in_bytes`, 'utf8').trim());
  const stat = fs.readFileSync(`${cg}/memory.stat`, 'utf8');
  const field = (name) => Number((new RegExp(`^${name} (\\d+)$`, 'm').exec(stat) || [0, 0])[1]);
  return { ws: usage - field('total_inactive_file'), anon: field('total_rss') };
}

/**
 * The shipped design on containerd: merged pods as containers of the runtime image (its entrypoint, host.js with
 * NEST_HOST_MODE=merged, as the containerd driver starts them), this checkout's runtimes/nodejs mounted over the
 * image's so the host measured is this one, host network, the code folder mounted read-only. Memory: the sum of
 * the containers' cgroups.
 */
async function mergedContainerd(dir, n, shares = PARENT_SHARES, variant = {}) {
  const nodejsDir = variant.nodejsDir || NODEJS_DIR;
  const warm = variant.warm === undefined ? CTR_WARM : variant.warm;
  const nodeBinary = variant.nodeBinary || CTR_NODE;
  const pods = Math.ceil(n / PER_POD);
  const run = Date.now().toString(36);
  const hosts = [];
  const parent = `nest-bench-${run}`;
  fs.mkdirSync(`/sys/fs/cgroup/cpu/${parent}`, { recursive: true });
  fs.writeFileSync(`/sys/fs/cgroup/cpu/${parent}/cpu.shares`, String(shares));
  try {
    for (let p = 0; p < pods; p++) {
      const port = nextPort++;
      const secret = 'bench-' + Math.random().toString(36).slice(2);
      const id = `bench-merged-${run}-${p}`;
      const cpu = CPU_CENTIS > 0 ? ['--cpu-quota', String(CPU_CENTIS * 1000), '--cpu-period', '100000'] : [];
      ctr(['run', '-d', '--net-host', '--cgroup', `/${parent}/${id}`, ...cpu, '--memory-limit', String((PER_POD * 128 + 64) * 1048576),
        '--mount', `type=bind,src=${nodejsDir},dst=/nest/runtime,options=rbind:ro`,
        '--mount', `type=bind,src=${dir},dst=${dir},options=rbind:ro`,
        // another Node.js binary over the image's (a self-contained build, such as the official one)
        ...(nodeBinary ? ['--mount', `type=bind,src=${nodeBinary},dst=/usr/bin/node,options=rbind:ro`] : []),
        '--env', 'NEST_HOST_MODE=merged', '--env', `NEST_HOST_PORT=${port}`, '--env', `NEST_HOST_SECRET=${secret}`,
        '--env', `NEST_POD_ID=${id}`, '--env', `NEST_MERGED_IDLE_UNLOAD_MS=${variant.unloadMs === undefined ? UNLOAD_MS : variant.unloadMs}`, '--env', `NEST_MERGED_WARM_WORKERS=${warm}`,
        CTR_IMAGE, id]);
      hosts.push({ id, port, secret });
    }
    for (const h of hosts) await healthy(h);
    await poolsReady(hosts, warm);
    await sleep(500);
    const sum = () => hosts.map((h) => cgroupMemory(h.id, parent)).reduce((a, m) => ({ ws: a.ws + m.ws, anon: a.anon + m.anon }), { ws: 0, anon: 0 });
    const base = sum();
    const throttled = () => hosts.map((h) => {
      try {
        const st = fs.readFileSync(`/sys/fs/cgroup/cpu/${parent}/${h.id}/cpu.stat`, 'utf8');
        return { n: Number(/nr_throttled (\d+)/.exec(st)[1]), ns: Number(/throttled_time (\d+)/.exec(st)[1]) };
      } catch { return { n: 0, ns: 0 }; }
    }).reduce((a, t) => ({ n: a.n + t.n, ns: a.ns + t.ns }), { n: 0, ns: 0 });
    const throttledBefore = throttled();
    const first = [];
    const phases = { load: [], worker: [], invoke: [] };
    const from = {}; // where each first request's worker came from (the /load answer's timings.worker) -> first request ms
    const slowest = [];
    const t0run = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - t0run) / 1e6;
    const lastEndInPod = new Map();
    for (const i of shuffled(n)) {
      const h = hosts[Math.floor(i / PER_POD)];
      let answer = null;
      let loadMs = 0;
      let invokeMs = 0;
      const at = since();
      first.push(await timed(async () => {
        loadMs = await timed(async () => { answer = JSON.parse(await load(h, i, dir)); });
        phases.load.push(loadMs);
        phases.worker.push((answer.timings.loadMs || 0) + (answer.timings.initMs || 0));
        invokeMs = await timed(() => call(h, 'GET', `/invoke/i${i}/`));
        phases.invoke.push(invokeMs);
      }));
      const src = answer.timings.worker || 'unknown';
      (from[src] = from[src] || []).push(first[first.length - 1]);
      slowest.push({ ms: first[first.length - 1], load: loadMs, invoke: invokeMs, worker: src, pod: h.id.slice(-3),
        inWorker: (answer.timings.loadMs || 0) + (answer.timings.initMs || 0), host: answer.timings.hostMs || 0, at,
        podGap: lastEndInPod.has(h.id) ? at - lastEndInPod.get(h.id) : -1 });
      lastEndInPod.set(h.id, since());
      if (GAP_MS > 0) await sleep(GAP_MS);
    }
    const tail = tailBreakdown(slowest, variant.name || 'this host');
    const throttledRun = { n: throttled().n - throttledBefore.n, ms: (throttled().ns - throttledBefore.ns) / 1e6 };
    const bySource = Object.fromEntries(Object.entries(from).map(([k, v]) => [k, { n: v.length, ...stats(v) }]));
    slowest.sort((a, b) => b.ms - a.ms);
    console.error(`  containerd (${variant.name || 'this host'}, ${warm} warm): first request by where its worker came from: ` +
      Object.entries(bySource).map(([k, v]) => `${k} ${v.n}x ${v.p50.toFixed(1)} / ${v.p99.toFixed(1)} ms`).join(', ') +
      `; slowest: ${slowest.slice(0, 6).map((x) => `${x.ms.toFixed(0)} (load ${x.load.toFixed(0)}, invoke ${x.invoke.toFixed(0)}, ${x.worker})`).join(', ')}`);
    console.error(`  containerd phases p50 / p99: /load ${ms(stats(phases.load))} ms (in the worker ${ms(stats(phases.worker))} ms), ` +
      `first /invoke ${ms(stats(phases.invoke))} ms; CPU quota throttling: ${throttled().n - throttledBefore.n} periods, ` +
      `${((throttled().ns - throttledBefore.ns) / 1e6).toFixed(1)} ms (parent cgroup ${parent}, cpu.shares ${shares})`);
    await sleep(IDLE_MS);
    const idle = sum();
    let parked = 0;
    for (const h of hosts) parked += JSON.parse(await call(h, 'GET', '/status')).instances.filter((x) => !x.running).length;
    console.error(`  containerd: ${n} functions in ${pods} containers: ${mib(idle.ws / n)} MiB per function (cgroups; ` +
      `anonymous ${mib(idle.anon / n)}), empty ${mib(base.ws / pods)} MiB each; first ${ms(stats(first))} ms; ${parked} parked`);
    const nodeVersion = JSON.parse(await call(hosts[0], 'GET', '/status')).node;
    return { n, pods, base, idle, first: stats(first), parked, nodeVersion, shares, warm, bySource, name: variant.name, tail,
      phases: { load: stats(phases.load), worker: stats(phases.worker), invoke: stats(phases.invoke) }, throttled: throttledRun };
  } finally {
    for (const h of hosts) {
      try { ctr(['task', 'kill', '-s', 'SIGKILL', h.id]); } catch { /* gone */ }
    }
    await sleep(1000);
    for (const h of hosts) {
      try { ctr(['task', 'delete', '-f', h.id]); } catch { /* gone */ }
      try { ctr(['container', 'delete', h.id]); } catch { /* gone */ }
    }
    for (const c of fs.readdirSync('/sys/fs/cgroup')) {
      try { fs.rmdirSync(`/sys/fs/cgroup/${c}/${parent}`); } catch { /* not made in this hierarchy */ }
    }
  }
}

/**
 * The section's guarded ratio (ADR 0026), against a baseline measured in the same run: the idle memory per function
 * of the shipped design over a dedicated host's (noise: the spread between the two idle readings of the shipped run).
 * `recorded` maps a ratio id to the floor the doc holds: a floor only moves by hand.
 */
function ratioLines(d, w0, shipped, recorded) {
  const dedicatedPerFn = d.m.pss / d.n;
  const mem = (shipped.idle.pss / shipped.n) / dedicatedPerFn;
  const memAgain = shipped.idleAgain === null ? mem : (shipped.idleAgain.pss / shipped.n) / dedicatedPerFn;
  const half = (xs, k) => stats(k === 0 ? xs.slice(0, Math.floor(xs.length / 2)) : xs.slice(Math.floor(xs.length / 2))).p99;
  const lat = shipped.first.p99 / w0.first.p99;
  const halves = [0, 1].map((k) => half(shipped.firstRaw, k) / half(w0.firstRaw, k));
  const out = [];
  const line = (id, value, noise) => {
    const floor = recorded.has(id) ? recorded.get(id) : value;
    out.push(`ratio ${id} ${value.toFixed(4)} floor ${floor.toFixed(4)} noise ${Math.max(noise, 0.01).toFixed(4)} lower`);
  };
  line('merged.nodejs.idle-pss-over-dedicated', mem, Math.abs(mem - memAgain));
  // not a ratio line: the first request's p99 over the first design's measures the machine more than the design
  // (0.46 on a quiet machine, 1.10 and 1.46 at load averages of 22 and 26; ADR 0025, addendum)
  console.error(`  first-request p99 over a worker start's: ${lat.toFixed(2)} (halves ${halves.map((h) => h.toFixed(2)).join(', ')})`);
  return out;
}

const GUARD_LINE = 'guard 385 | merged.nodejs.idle-pss-over-dedicated';

/** The floors of the ratios the doc's section records (id -> floor). */
function recordedFloors() {
  const floors = new Map();
  try {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
    const at = doc.indexOf(HEADING);
    if (at < 0) return floors;
    const next = doc.indexOf('\n## ', at + 10);
    const section = doc.slice(at, next < 0 ? doc.length : next);
    for (const m of section.matchAll(/^ratio (\S+) \S+ floor (\S+) noise \S+ (?:higher|lower)$/gm)) floors.set(m[1], Number(m[2]));
  } catch { /* no doc: the floors are the values */ }
  return floors;
}

/**
 * distribution/bench.sh --check: the dedicated hosts and the first design on NEST_BENCH_SAMPLE functions, the shipped
 * design on NEST_BENCH_FUNCTIONS; writes the section's ratio lines to NEST_BENCH_RESULTS (a few minutes).
 */
async function check(dir) {
  const step = (name) => console.error(`bench-merged --check: ${name} (${new Date().toISOString()})`);
  step(`dedicated, ${SAMPLE} functions`);
  const d = await dedicated(dir, SAMPLE);
  step(`worker per function, ${SAMPLE} functions`);
  const w0 = await merged(dir, SAMPLE, ['--warm-workers=0', '--idle-unload-ms=0'], [], 0);
  step(`parked (shipped), ${N} functions`);
  const shipped = await merged(dir, N, ['--warm-workers=1', `--idle-unload-ms=${UNLOAD_MS}`], [], 1);
  const text = `${HEADING}\n\nMeasured by \`distribution/bench.sh --check\` (${N} functions, ${SAMPLE} for the baselines).\n\n` +
    '```nest-bench\n' + ratioLines(d, w0, shipped, recordedFloors()).join('\n') + '\n```\n';
  fs.writeFileSync(RESULTS, text);
  console.log(text);
}

function commit() {
  try {
    const c = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    const dirty = execSync('git status --porcelain -- runtimes distribution', { cwd: ROOT }).toString().trim();
    return c + (dirty ? ' (with uncommitted changes)' : '');
  } catch { return 'unknown'; }
}

(async () => {
  const dir = codeDir();
  try {
    if (process.env.NEST_BENCH_CONTAINERD_ONLY === '1') {
      if (!containerdHere()) throw new Error(`containerd at ${CTR_ADDRESS} with ${CTR_IMAGE} is not usable here (root needed)`);
      // NEST_BENCH_CONTAINERD_VARIANTS="name=DIR,WARM;name=DIR,WARM": designs compared in one run, alternating, each
      // NEST_BENCH_ROUNDS times (2), with the driver's weight
      const variants = (process.env.NEST_BENCH_CONTAINERD_VARIANTS || '').split(';').filter((x) => x !== '').map((v) => {
        const m = /^([^=]+)=([^,]+),(\d+)(?:,(\d*))?(?:,([^,]+))?$/.exec(v);
        if (m === null) throw new Error(`NEST_BENCH_CONTAINERD_VARIANTS: ${JSON.stringify(v)} is not name=DIR,WARM[,UNLOAD_MS[,NODE]]`);
        return { name: m[1], nodejsDir: m[2], warm: Number(m[3]), unloadMs: m[4] === undefined || m[4] === '' ? UNLOAD_MS : Number(m[4]),
          nodeBinary: m[5] };
      });
      if (variants.length !== 0) {
        const results = [];
        for (let r = 0; r < int('NEST_BENCH_ROUNDS', 2); r++) {
          for (const v of variants) {
            console.error(`bench-merged: containerd, ${v.name}, round ${r + 1} (${new Date().toISOString()}, load ${os.loadavg()[0].toFixed(1)})`);
            const x = await mergedContainerd(dir, N, PARENT_SHARES, v);
            results.push({ name: v.name, round: r + 1, first: x.first, load: x.phases.load, invoke: x.phases.invoke,
              perFnMiB: Number(mib(x.idle.ws / x.n)), bySource: x.bySource, loadavg: os.loadavg()[0] });
          }
        }
        console.log(JSON.stringify(results));
        return;
      }
      // NEST_BENCH_CONTAINERD_WEIGHTS=node: only the driver's weight
      const before = process.env.NEST_BENCH_CONTAINERD_WEIGHTS === 'node' ? null : await mergedContainerd(dir, N, 1024);
      const after = await mergedContainerd(dir, N);
      console.log(JSON.stringify({ before, after }));
      return;
    }
    if (RESULTS !== '') return await check(dir);
    const unload = `--idle-unload-ms=${UNLOAD_MS}`;
    const runs = [];
    const step = (name) => console.error(`bench-merged: ${name} (${new Date().toISOString()})`);
    step(`dedicated, ${SAMPLE} functions`);
    const d = await dedicated(dir, SAMPLE);
    step(`worker per function, ${SAMPLE} functions`);
    runs.push(['a worker per function, started on /load (the first design)',
      await merged(dir, SAMPLE, ['--warm-workers=0', '--idle-unload-ms=0'], [], 0)]);
    step(`worker + warm pool, ${SAMPLE} functions`);
    runs.push(['(a) + one pre-started worker per pod', await merged(dir, SAMPLE, ['--warm-workers=1', '--idle-unload-ms=0'], [], 1)]);
    step(`worker + warm pool + V8 flags, ${SAMPLE} functions`);
    runs.push(['(c) + `node --max-semi-space-size=1 --single-threaded-gc`',
      await merged(dir, SAMPLE, ['--warm-workers=1', '--idle-unload-ms=0'], ['--max-semi-space-size=1', '--single-threaded-gc'], 1)]);
    step(`parked (shipped), ${N} functions`);
    const shipped = await merged(dir, N, ['--warm-workers=1', unload], [], 1);
    runs.push([`shipped, (a) + (c): one pre-started worker per pod, workers parked after ${UNLOAD_MS} ms idle`, shipped]);
    step(`vm contexts, ${N} functions`);
    const v = await vmPrototype(dir, N);
    console.error(`  vm contexts: ${JSON.stringify(v)}`);
    let c = null;
    let c0 = null;
    let cNode = null;
    if (containerdHere()) {
      step(`parked (shipped) on containerd, the pods' parent cgroup at the default weight (1024), ${N} functions`);
      c0 = await mergedContainerd(dir, N, 1024);
      step(`parked (shipped) on containerd, the pods' parent cgroup with the node's cores (${PARENT_SHARES}), ${N} functions`);
      c = await mergedContainerd(dir, N);
      // the same host on this machine's Node.js, when it differs from the image's (ADR 0025: a worker start's CPU,
      // which is what the first request's tail waits behind, depends on the Node.js version)
      if (CTR_NODE === '' && process.env.NEST_BENCH_CTR_NODE_COMPARE !== '0' && c.nodeVersion !== process.version) {
        step(`parked (shipped) on containerd with this machine's Node.js ${process.version} mounted over the image's, ${N} functions`);
        cNode = await mergedContainerd(dir, N, PARENT_SHARES, { name: 'this machine\'s Node.js', nodeBinary: process.execPath });
      }
    } else {
      step(`containerd: not usable here (${CTR_ADDRESS}, ${CTR_IMAGE}, root needed); skipped`);
    }

    const lines = [];
    lines.push('| design | functions (pods) | PSS per idle function (MiB) | RSS per idle function (MiB) | PSS total (MiB) | first request, pod running: /load + /invoke p50 / p99 (ms) | first request after idle (parked) p50 / p99 (ms) |');
    lines.push('|---|---|---|---|---|---|---|');
    lines.push(`| dedicated: a host.js per function | ${d.n} | ${mib(d.m.pss / d.n)} | ${mib(d.m.rss / d.n)} | ${mib(d.m.pss)} | | |`);
    for (const [name, r] of runs) {
      lines.push(`| ${name} | ${r.n} (${r.pods}) | ${mib(r.idle.pss / r.n)} | ${mib(r.idle.rss / r.n)} | ${mib(r.idle.pss)} | ` +
        `${ms(r.first)} | ${r.afterPark ? ms(r.afterPark) : ''} |`);
    }
    lines.push(`| (b) prototype: a vm context per function, all in one worker | ${v.n} (1 worker) | ${mib(v.perContext)} (the contexts only) | | | ${ms(v.first)} (create, compile, run) | |`);
    if (c0 !== null) {
      lines.push(`| the same on containerd, the pods' parent cgroup at the default CPU weight (cpu.shares 1024: all pods weigh one process) | ${c0.n} (${c0.pods}) | ${mib(c0.idle.ws / c0.n)} (cgroup) | | ${mib(c0.idle.ws)} | ${ms(c0.first)} | |`);
    }
    if (c !== null) {
      lines.push(`| shipped, on containerd: a container of the runtime image per merged pod (its Node.js ${c.nodeVersion}), memory as its cgroup is charged | ${c.n} (${c.pods}) | ${mib(c.idle.ws / c.n)} (cgroup; ${mib(c.idle.anon / c.n)} anonymous) | | ${mib(c.idle.ws)} | ${ms(c.first)} | |`);
    }
    const text = lines.join('\n');
    console.log(text);
    const perWorker = (r) => (r.idle.pss - r.base.pss) / r.n;
    const [w0, wPool, wFlags] = runs.map((x) => x[1]);
    const perFn = shipped.idle.pss / shipped.n;
    const facts = {
      perWorker: mib(perWorker(w0)), perWorkerFlags: mib(perWorker(wFlags)),
      basePerPod: mib(w0.base.pss / w0.pods), basePerPodPool: mib(shipped.base.pss / shipped.pods),
      parked: shipped.parked, misses: shipped.misses, idleAgain: mib(shipped.idleAgain.pss / shipped.n),
      warmAgain: ms(shipped.warmAgain),
    };
    console.log(JSON.stringify({ facts, vm: v }));
    if (DOCS) {
      const memOk = perFn <= 4 * 1048576;
      const latOk = shipped.first.p99 <= 50 && shipped.afterPark.p99 <= 50;
      const section = `## Merged pods (Node.js, host level)

Command: \`distribution/bench-merged.sh\` (${N} functions; the never-parked designs on ${SAMPLE}, which is enough as each of their functions keeps its own worker or process). Measured ${new Date().toISOString()} at commit ${commit()}, Node.js ${process.version}, ${os.cpus().length} cores, every design in the same run. The machine is shared with other work while it runs: latencies are indicative, memory is not affected.

${text}

- Targets (issue 17), shipped design: at most 4 MiB per idle function: **${mib(perFn)} MiB** PSS (${N} functions, ${mib(shipped.idle.pss)} MiB in total with the hosts and their warm workers) -> ${memOk ? 'MET' : 'MISSED'}; the first request of a function whose merged pod runs within 50 ms p99: **${shipped.first.p99.toFixed(1)} ms** (/load + /invoke), **${shipped.afterPark.p99.toFixed(1)} ms** after it was parked -> ${latOk ? 'MET' : 'MISSED'}.
- Why: a worker thread is a V8 isolate with its own Node.js environment: ${facts.perWorker} MiB PSS each here (${facts.perWorkerFlags} MiB with the process-wide V8 flags; Node 20 refuses V8 flags in a worker's \`execArgv\`, and \`resourceLimits\` only caps heaps), so no design that keeps a worker per idle function reaches 4 MiB. The shipped host terminates a worker after \`--idle-unload-ms\` without an invocation (the instance stays loaded, "parked"); ${facts.parked} of ${N} instances were parked when memory was read, and after a second round of requests and idleness the figure was ${facts.idleAgain} MiB per function. An empty merged host holds ${facts.basePerPod} MiB, ${facts.basePerPodPool} MiB with its pre-started worker.
- First request: starting a worker is what the first design paid; with a pre-started worker per pod the request only loads the function's code. The pool is refilled after each take; a request that finds it empty starts its own worker (${facts.misses} of ${2 * N} here). Requests were made one at a time in a random order across pods, ${GAP_MS} ms apart; a burst of first requests into one pod exceeds the pool (\`--warm-workers\` sizes it). Warm requests right after: ${facts.warmAgain} ms p50 / p99.
- (b) vm contexts: ${mib(v.perContext)} MiB per context and ${v.first.p50.toFixed(1)} / ${v.first.p99.toFixed(1)} ms for a first request, but one V8 heap for all: a context that loops is stopped by the synchronous timeout (${v.loopStopped ? 'it was' : 'it was NOT'}; a neighbour answered afterwards: ${v.neighbourAfterLoop ? 'yes' : 'no'}), a context that blows the heap ends the worker with every context in it (${v.blowKilledWorker ? 'it did: ' + v.blowKilledWorker : 'not observed'}), and \`timeout\` covers only a synchronous entry with its microtasks: a loop in a callback the event loop runs later (a timer or I/O the context was given) runs outside it (the documented behaviour of \`vm\`, not measured here). Not shipped: parking gives idle functions less memory than a context and keeps a worker's isolation for every request (ADR 0025).
- containerd: ${c === null ? `not run (containerd at ${CTR_ADDRESS} with ${CTR_IMAGE} not usable by this user).` : `the shipped design in containers of \`${CTR_IMAGE}\` (its entrypoint with \`NEST_HOST_MODE=merged\`, as the containerd driver starts a merged pod; this checkout's \`runtimes/nodejs\` mounted over the image's; host network; a limit of ${PER_POD} x 128 + 64 MiB): ${mib(c.idle.ws / c.n)} MiB per idle function as the pods' cgroups are charged (usage less inactive page cache), ${mib(c.idle.anon / c.n)} MiB of it anonymous memory; an empty container ${mib(c.base.ws / c.pods)} MiB. A container's cgroup is charged for its host's whole heap, so the memory a terminated worker leaves in the allocator stays on the pod; ${c.parked} of ${c.n} functions were parked. ${c.warm} pre-started workers per pod (the host's default where the driver gives no argument). First request ${ms(c.first)} ms p50 / p99 (by where its worker came from: ${Object.entries(c.bySource).map(([k, v]) => `${k === 'pool' ? 'a started pool worker' : k === 'pool-starting' ? 'a pool worker still starting' : 'started for it'} ${v.n}x, ${v.p50.toFixed(1)} / ${v.p99.toFixed(1)} ms`).join('; ')}; its phases: \`/load\` ${ms(c.phases.load)} ms, of which ${ms(c.phases.worker)} ms in the worker loading the code; the first \`/invoke\` ${ms(c.phases.invoke)} ms; ${c.tail}), each container with the driver's CPU quota of ${CPU_CENTIS / 100} CPU (throttled ${c.throttled.n} periods, ${c.throttled.ms.toFixed(1)} ms in all) under a parent cgroup with \`cpu.shares\` ${c.shares}, as the containerd driver gives its \`/nest\` (the node's cores; ADR 0025, addendum). ${c0 === null ? '' : `With that parent at the default weight (1024: all pods together weigh one process outside them), the same run measured ${ms(c0.first)} ms (\`/load\` ${ms(c0.phases.load)} ms, first \`/invoke\` ${ms(c0.phases.invoke)} ms).`}${cNode === null ? '' : ` The same host on this machine's Node.js ${cNode.nodeVersion} (its binary mounted over the image's ${c.nodeVersion}; \`NEST_BENCH_CTR_NODE_COMPARE=0\` skips it): first request ${ms(cNode.first)} ms p50 / p99, ${mib(cNode.idle.ws / cNode.n)} MiB per idle function, an empty container ${mib(cNode.base.ws / cNode.pods)} MiB (${cNode.tail}).`}`}
- What was run: the hosts alone, started as the \`process\` driver starts them (secret on standard input) but without its per-pod uid; every function loaded and invoked once, then ${IDLE_MS} ms idle (parking after ${UNLOAD_MS} ms: a short \`--idle-unload-ms\` so the run is short; the default is 60 s) before reading memory. Memory: the sum over the host processes of \`Pss\` (\`/proc/PID/smaps_rollup\`) and of \`VmRSS\` (shared pages counted in every process), divided by the functions. On the \`process\` driver dedicated hosts share the \`node\` binary's pages, which PSS splits between them; container drivers charge each pod's cgroup on its own (about 16 MiB per idle dedicated Node.js pod, *Pod start* above; the containerd row above for merged pods). No agent or gateway in the path (each adds well under a millisecond on the warm path; see *Warm path and cold start*).

\`\`\`nest-bench
row 385 | idle Node.js functions in merged pods (\`deploy: merged\`, ${PER_POD} per pod, ${N} functions, host level, \`process\` driver): memory per idle function (PSS); first request into a running merged pod, p99 | <= 4 MiB; <= 50 ms | **${mib(perFn)} MiB** (a worker per function: ${mib(w0.idle.pss / w0.n)} MiB, dedicated ${mib(d.m.pss / d.n)} MiB${c === null ? '' : `; containerd, cgroups, the image's Node.js ${c.nodeVersion}: ${mib(c.idle.ws / c.n)} MiB, first request ${ms(c.first)} ms p50 / p99`}); **${shipped.first.p99.toFixed(1)} ms** p99, ${shipped.first.p50.toFixed(1)} ms p50 (after idle ${ms(shipped.afterPark)} ms p50 / p99; a worker started per function: ${ms(w0.first)} ms; warm requests in the same run ${facts.warmAgain} ms, the noise of the machine): ${memOk && latOk ? 'both met' : (memOk ? 'memory met, latency missed' : (latOk ? 'latency met, memory missed' : 'both missed'))} | \`distribution/bench-merged.sh\`
${ratioLines(d, w0, shipped, recordedFloors()).join('\n')}
${GUARD_LINE}
\`\`\`
`;
      const doc = path.join(ROOT, 'docs/BENCHMARKS.md');
      let s = fs.readFileSync(doc, 'utf8');
      const at = s.indexOf(HEADING);
      if (at >= 0) {
        const next = s.indexOf('\n## ', at + 10);
        s = s.slice(0, at) + section + (next >= 0 ? s.slice(next) : '');
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
