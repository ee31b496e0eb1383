'use strict';
// Nest's merged Node.js host: one process that hosts many function instances, each in a worker thread of its
// own (merged-worker.js) with V8 heap limits from the function's memory, its own module cache and its own
// process.env. It speaks runtimes/CONTRACT.md like host.js (/health, /load, /unload, /invoke/{id}/...) plus
// "Merged pods" there (/status, X-Nest-Error: terminated).
//
// The main thread runs no function code, so it always answers: at an invocation's deadline it answers 504
// itself and pings the worker; a worker that does not answer the ping within NEST_MERGED_KILL_GRACE_MS (default
// 500 ms; its event loop is blocked: a runaway) is terminated, its other in-flight invocations get 502, and the instance is
// loaded again in a fresh worker on its next invocation. A worker that runs out of heap ends the same way.
// Neighbours are untouched: they run on their own threads.
//
// Idle memory: a worker thread is a V8 isolate of about 6 MiB, too much for a thousand idle functions. So an
// instance's worker is terminated once it has had no invocation for --idle-unload-ms (the instance stays loaded:
// "parked", a few KiB), and the host keeps --warm-workers empty workers started (merged-worker.js without a
// function); an instance without a worker (its first /load, or parked) takes one of them and only loads its code
// into it, and the pool is refilled in the background once the pod is quiet (no load or invocation in flight). Only when the pool is empty (a burst, or a function whose
// memory differs from the pool's) does a request wait for a worker to start. ADR 0025 has the figures.
//
// Limits: workers share the process, its uid, its file descriptors and libuv's thread pool; heap limits bound
// V8's heap, not native memory (Buffers, addons). See docs/SECURITY.md.

const http = require('http');
const path = require('path');
const crypto = require('crypto');
const { Worker } = require('worker_threads');
const { performance } = require('perf_hooks');
const common = require('./host-common');

const PORT = process.env.NEST_HOST_PORT;
const ADDRESS = process.env.NEST_HOST_ADDRESS || '127.0.0.1';
const SECRET_FROM_STDIN = process.env.NEST_HOST_SECRET_STDIN === '1';
const SECRET = SECRET_FROM_STDIN ? common.readSecretLine() : (process.env.NEST_HOST_SECRET || '');
delete process.env.NEST_HOST_SECRET;
delete process.env.NEST_HOST_SECRET_STDIN;
const POD_ID = process.env.NEST_POD_ID || '';
const KILL_GRACE_MS = positive(process.env.NEST_MERGED_KILL_GRACE_MS, 500);
const STACK_MB = 4;
const DEFAULT_TIMEOUT_MS = 30000;
const DEFAULT_MEMORY_MB = 128;
const ID_RE = /^[A-Za-z0-9._~-]{1,128}$/;
const WORKER = path.join(__dirname, 'merged-worker.js');
const EXIT_PORT_IN_USE = 98;
const MAX_TIMER_MS = 2147483647;
const REFILL_DELAY_MS = 20;
// the pool refills once no request arrived or ran for REFILL_DELAY_MS, or after this long whatever the traffic
const REFILL_MAX_WAIT_MS = 1000;
const OPTIONS = options(process.argv.slice(2), {
  // 2 by default: the container drivers run the host without arguments, and in a container with a CPU quota a worker
  // takes long enough to start that a second first request into the pod soon after often found the only one still
  // starting (ADR 0025, addendum "The first request on containerd, profiled"); runtime.yaml's merged-launch (the
  // process driver) passes --warm-workers=1
  'warm-workers': { env: 'NEST_MERGED_WARM_WORKERS', dflt: 2, min: 0, max: 64 },
  'idle-unload-ms': { env: 'NEST_MERGED_IDLE_UNLOAD_MS', dflt: 60000, min: 0, max: 86400000 },
});
const WARM_WORKERS = OPTIONS['warm-workers'];
const IDLE_UNLOAD_MS = OPTIONS['idle-unload-ms'];

function positive(v, dflt) {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : dflt;
}

/**
 * The host's options: `--name=value` arguments (merged-launch in runtime.yaml), else the environment variable, else
 * the default. A value that is not an integer in range stops the host with a message naming it.
 */
function options(argv, known) {
  const out = {};
  const given = {};
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (m === null || known[m[1]] === undefined) {
      process.stderr.write(`nest-merged-host error: unknown argument ${JSON.stringify(a)}; known: ` +
        Object.keys(known).map((k) => `--${k}=N`).join(', ') + '\n');
      process.exit(2);
    }
    given[m[1]] = m[2];
  }
  for (const [name, o] of Object.entries(known)) {
    const raw = given[name] !== undefined ? given[name] : process.env[o.env];
    if (raw === undefined || raw === '') { out[name] = o.dflt; continue; }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < o.min || n > o.max) {
      process.stderr.write(`nest-merged-host error: ${name} (--${name} or ${o.env}) is ${JSON.stringify(raw)}; ` +
        `it must be an integer from ${o.min} to ${o.max}\n`);
      process.exit(2);
    }
    out[name] = n;
  }
  return out;
}

function podLog(level, text) {
  const line = `nest-merged-host${POD_ID ? ' pod=' + POD_ID : ''} ${level}: ${text}\n`;
  (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(line);
}

if (SECRET === '') {
  podLog('error', 'no secret: set NEST_HOST_SECRET or NEST_HOST_SECRET_STDIN=1 with the secret on stdin');
  process.exit(2);
}
const secretOk = common.secretChecker(SECRET);
if (SECRET_FROM_STDIN) {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

/**
 * The V8 limits of a function of `memoryMb`: three quarters for the old generation, a sixteenth (1 to 16 MiB) for
 * the young one, and a fixed stack.
 */
function resourceLimits(memoryMb) {
  return {
    maxOldGenerationSizeMb: Math.max(8, Math.floor(memoryMb * 0.75)),
    maxYoungGenerationSizeMb: Math.min(16, Math.max(1, Math.floor(memoryMb / 16))),
    stackSizeMb: STACK_MB,
  };
}

/**
 * Starts a worker: with `spec` it loads that function at once; without, it is an empty one for the warm pool. Its
 * events go to its owner (`nestOwner`: the instance it loads or runs for) or, while it has none, to the pool.
 */
function spawnWorker(memoryMb, spec) {
  const w = new Worker(WORKER, {
    workerData: spec === undefined ? null : spec,
    env: spec === undefined ? Object.assign({}, process.env) : Object.assign({}, process.env, spec.env),
    resourceLimits: resourceLimits(memoryMb),
    name: spec === undefined ? 'warm' : 'fn-' + spec.id,
  });
  w.nestOwner = null;
  w.nestMemoryMb = memoryMb;
  w.nestReady = spec !== undefined; // an empty worker is ready once it says so (its Node.js environment is set up)
  w.on('message', (m) => {
    if (m.type === 'ready') { w.nestReady = true; return; }
    if (w.nestOwner !== null) w.nestOwner.onMessage(w, m);
  });
  w.on('error', (e) => {
    const oom = e && e.code === 'ERR_WORKER_OUT_OF_MEMORY';
    const why = oom ? `ran out of its heap (memory ${memoryMb} MiB)` : 'its worker failed: ' + (e && e.message || e);
    if (w.nestOwner !== null) w.nestOwner.onEnd(w, why); else pool.lost(w, why);
  });
  w.on('exit', () => {
    if (w.nestOwner !== null) w.nestOwner.onEnd(w, 'its worker exited'); else pool.lost(w, 'it exited');
  });
  return w;
}

/**
 * The warm pool: up to WARM_WORKERS empty workers with the heap limits of the memory most instances here have, so a
 * function's first request (or its first after being parked) only loads its code. Refilled one worker at a time
 * after each take, once the pod is quiet (at most REFILL_MAX_WAIT_MS later), so refilling never competes with itself
 * nor with the invocation that follows the take; a worker that dies empty is replaced, unless workers
 * keep dying (then the pool stays empty until the next take and requests start their own worker).
 */
const pool = {
  idle: [],
  refilling: false,
  takes: 0,
  takesStarting: 0, // takes of a worker that had not finished starting
  misses: 0,
  failures: 0,

  /**
   * An empty worker whose limits fit `memoryMb`, or null: one that finished starting if there is one, else one still
   * starting (the request then waits for the rest of its start, still less than a whole start).
   */
  take(memoryMb) {
    let i = this.idle.findIndex((w) => w.nestMemoryMb === memoryMb && w.nestReady);
    if (i === -1) i = this.idle.findIndex((w) => w.nestMemoryMb === memoryMb);
    if (i === -1) {
      this.misses++;
      this.refill();
      return null;
    }
    const w = this.idle.splice(i, 1)[0];
    this.takes++;
    if (!w.nestReady) this.takesStarting++;
    this.refill();
    return w;
  },

  /** The memory of the pool's workers: the most common among the loaded instances (the default when none). */
  memoryMb() {
    const count = new Map();
    for (const i of instances.values()) count.set(i.spec.memoryMb, (count.get(i.spec.memoryMb) || 0) + 1);
    let best = DEFAULT_MEMORY_MB;
    let n = 0;
    for (const [mb, c] of count) if (c > n) { best = mb; n = c; }
    return best;
  },

  refill() {
    if (this.refilling || stopping) return;
    const mb = this.memoryMb();
    for (const w of this.idle.filter((x) => x.nestMemoryMb !== mb)) this.drop(w);
    if (this.idle.length >= WARM_WORKERS) return;
    this.refilling = true;
    // once the pod is quiet: the request that took a worker loads its code and the first invocation that follows
    // (the agent's /invoke right after /load) runs without a worker start competing for the pod's CPU
    const since = Date.now();
    const attempt = () => {
      if (stopping) { this.refilling = false; return; }
      if (!quiet() && Date.now() - since < REFILL_MAX_WAIT_MS) { setTimeout(attempt, REFILL_DELAY_MS).unref(); return; }
      this.refilling = false;
      if (this.idle.length >= WARM_WORKERS) return;
      this.idle.push(spawnWorker(this.memoryMb()));
      if (this.idle.length < WARM_WORKERS) this.refill();
    };
    setTimeout(attempt, REFILL_DELAY_MS).unref();
  },

  drop(w) {
    const i = this.idle.indexOf(w);
    if (i !== -1) this.idle.splice(i, 1);
    w.terminate();
  },

  lost(w, why) {
    const i = this.idle.indexOf(w);
    if (i === -1) return; // dropped on purpose
    this.idle.splice(i, 1);
    this.failures++;
    podLog('warn', `an empty worker of the warm pool ended: ${why}`);
    if (this.failures < 10) this.refill();
  },
};

let lastRequestAt = 0;

/** No load or invocation in flight and none arrived within REFILL_DELAY_MS: a worker start slows no request. */
function quiet() {
  if (loading.size !== 0 || Date.now() - lastRequestAt < REFILL_DELAY_MS) return false;
  for (const inst of instances.values()) if (inst.pending.size !== 0 || inst.starting !== null) return false;
  return true;
}

/** Parks the workers that had no invocation for IDLE_UNLOAD_MS (0: never). */
function parkIdle() {
  const now = Date.now();
  for (const inst of instances.values()) {
    if (inst.worker !== null && inst.pending.size === 0 && now - inst.lastActive >= IDLE_UNLOAD_MS) inst.park();
  }
}

/** One loaded function version: its spec, and the worker that runs it while one is live. */
class Instance {
  constructor(spec) {
    this.spec = spec;
    this.worker = null;
    this.starting = null; // a promise while a worker loads
    this.pending = new Map(); // seq -> Invocation
    this.seq = 0;
    this.unloading = false;
    this.unloadWaiters = [];
    this.starts = 0;
    this.terminations = 0;
    this.lastTermination = null;
    this.heapUsed = 0;
    this.heapLimit = 0;
    this.cpuMsBefore = 0; // busy time of the workers that ended
    this.pingN = 0;
    this.pingTimer = null;
    this.held = []; // invocations that arrived while the worker was suspect: sent once the verdict is in
    this.candidate = null; // the worker loading for this instance
    this.loadDone = null; // {resolve, reject} of `starting`
    this.lastActive = Date.now(); // last invocation's start or end, for --idle-unload-ms
    this.poolStarts = 0; // starts that took a pre-started worker
    this.startedFrom = 'new'; // where the last worker came from (the /load answer's timings.worker)
    this.parks = 0; // idle workers terminated
  }

  /** Sends `send` to a live worker now, or once a suspect worker answered its ping or was replaced. */
  dispatch(send) {
    if (this.pingTimer !== null) { this.held.push(send); return; }
    send();
  }

  release() {
    const held = this.held;
    this.held = [];
    for (const send of held) send();
  }

  /**
   * A live worker, when there is none taking one from the warm pool (it only loads the code) or starting one; each
   * is a fresh module cache and heap.
   */
  ensureWorker() {
    if (this.worker !== null) return Promise.resolve({ worker: this.worker });
    if (this.starting !== null) return this.starting;
    this.starting = new Promise((resolve, reject) => {
      const s = this.spec;
      let w = pool.take(s.memoryMb);
      const pooled = w !== null;
      this.startedFrom = pooled ? (w.nestReady ? 'pool' : 'pool-starting') : 'new';
      if (!pooled) w = spawnWorker(s.memoryMb, s);
      this.starts++;
      if (pooled) this.poolStarts++;
      this.candidate = w;
      this.loadDone = { resolve, reject };
      w.nestOwner = this;
      if (pooled) w.postMessage({ type: 'load', spec: s });
    });
    return this.starting;
  }

  /** A message from `w`, this instance's worker or the one loading for it. */
  onMessage(w, m) {
    if (m.type === 'loaded') {
      if (w !== this.candidate) return;
      this.candidate = null;
      this.worker = w;
      this.starting = null;
      this.lastActive = Date.now();
      this.loadDone.resolve({ worker: w, loadMs: m.loadMs, initMs: m.initMs, worker_: this.startedFrom });
    } else if (m.type === 'load-failed') {
      if (w !== this.candidate) return;
      this.candidate = null;
      this.starting = null;
      w.nestOwner = null;
      w.terminate();
      this.loadDone.reject(new Error(m.detail));
    } else if (w !== this.worker) {
      // a late message of a worker that was replaced
    } else if (m.type === 'answer' || m.type === 'failed') {
      const inv = this.pending.get(m.seq);
      if (inv !== undefined) inv.settle(m);
    } else if (m.type === 'pong') {
      if (m.n === this.pingN && this.pingTimer !== null) {
        clearTimeout(this.pingTimer);
        this.pingTimer = null;
        this.release();
      }
    } else if (m.type === 'heap') {
      this.heapUsed = m.used;
      this.heapLimit = m.limit;
    }
  }

  /** `w` failed (out of heap, or an uncaught error at the worker's level) or exited. */
  onEnd(w, why) {
    if (w === this.candidate) {
      this.candidate = null;
      this.starting = null;
      this.loadDone.reject(new Error(why));
      return;
    }
    this.ended(w, why);
  }

  /** Terminates an idle worker to free its memory; the instance stays loaded and takes a worker on its next use. */
  park() {
    const w = this.worker;
    if (w === null || this.pending.size !== 0 || this.pingTimer !== null) return;
    try { this.cpuMsBefore += w.performance.eventLoopUtilization().active; } catch { /* gone */ }
    this.worker = null;
    this.heapUsed = 0;
    this.parks++;
    w.nestOwner = null;
    w.terminate();
  }

  /** The worker `w` is gone: its in-flight invocations fail with 502, the next one starts a fresh worker. */
  ended(w, why) {
    if (this.worker !== w) return;
    try { this.cpuMsBefore += w.performance.eventLoopUtilization().active; } catch { /* gone */ }
    this.worker = null;
    this.heapUsed = 0;
    if (this.pingTimer !== null) { clearTimeout(this.pingTimer); this.pingTimer = null; }
    for (const inv of [...this.pending.values()]) {
      if (inv.held) continue; // not sent to the dead worker: it goes to the fresh one
      inv.error(502, 'terminated', 'instance terminated', `function ${this.spec.function} ${why}; its worker was ` +
        'terminated alone and the function is loaded again on its next invocation');
    }
    if (this.unloading) this.finishUnload();
    this.release(); // held invocations go to a fresh worker
  }

  /** Ends the worker at once (a runaway): in-flight invocations fail, neighbours are untouched. */
  terminate(why) {
    const w = this.worker;
    if (w === null) return;
    this.terminations++;
    this.lastTermination = { reason: why, at: new Date().toISOString() };
    podLog('warn', `terminating the worker of ${this.spec.id} (${this.spec.function}): ${why}`);
    this.ended(w, why);
    w.terminate();
  }

  /** An invocation passed its deadline: a worker whose event loop does not answer a ping in time is a runaway. */
  checkAlive() {
    const w = this.worker;
    if (w === null || this.pingTimer !== null) return;
    const n = ++this.pingN;
    this.pingTimer = setTimeout(() => {
      this.pingTimer = null;
      if (this.worker === w) {
        this.terminate(`did not return to its event loop within ${KILL_GRACE_MS} ms after an invocation's ` +
          `timeout of ${this.spec.timeoutMs} ms (a blocking loop or computation)`);
      }
    }, KILL_GRACE_MS);
    w.postMessage({ type: 'ping', n });
  }

  cpuMs() {
    let active = this.cpuMsBefore;
    if (this.worker !== null) {
      try { active += this.worker.performance.eventLoopUtilization().active; } catch { /* ending */ }
    }
    return active;
  }

  finishUnload() {
    if (this.pending.size !== 0) return;
    const w = this.worker;
    this.worker = null;
    if (w !== null) {
      try { this.cpuMsBefore += w.performance.eventLoopUtilization().active; } catch { /* gone */ }
      w.terminate();
    }
    for (const res of this.unloadWaiters) common.sendJson(res, 200, { id: this.spec.id });
    this.unloadWaiters = [];
  }
}

/** One request to an instance, answered once: by the worker, by the deadline or by the worker's end. */
class Invocation {
  constructor(inst, seq, res, invocationId) {
    this.inst = inst;
    this.seq = seq;
    this.res = res;
    this.invocationId = invocationId;
    this.timer = null;
    this.done = false;
    this.held = false; // waiting for a suspect worker's verdict, not sent to it yet
  }

  finish() {
    if (this.done) return false;
    this.done = true;
    this.inst.lastActive = Date.now();
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    this.inst.pending.delete(this.seq);
    return true;
  }

  after() {
    if (this.inst.unloading) this.inst.finishUnload();
  }

  settle(m) {
    if (!this.finish()) return;
    try {
      if (m.type === 'answer') common.writeEncoded(this.res, m);
      else {
        const extra = { invocationId: this.invocationId };
        if (m.errType !== undefined) extra.type = m.errType;
        const error = m.kind === 'function-error' ? 'function error' : 'response error';
        common.sendError(this.res, m.status, m.kind, error, m.detail, extra);
      }
    } catch (e) {
      podLog('error', 'could not send an answer: ' + e.message);
    }
    this.after();
  }

  error(status, kind, error, detail) {
    if (!this.finish()) return;
    try {
      common.sendError(this.res, status, kind, error, detail, { invocationId: this.invocationId });
    } catch (e) {
      podLog('error', 'could not send an error: ' + e.message);
    }
    this.after();
  }

  timeout() {
    const limit = this.inst.spec.timeoutMs;
    if (!this.finish()) return;
    const detail = `function ${this.inst.spec.function} did not finish within its timeout of ${limit} ms; the host ` +
      'ended the invocation and discards its late result. Make the function faster or raise its timeout';
    try {
      common.sendError(this.res, 504, 'timeout', 'function timed out', detail,
        { timeoutMs: limit, invocationId: this.invocationId });
    } catch (e) {
      podLog('error', 'could not send a timeout: ' + e.message);
    }
    this.inst.checkAlive();
    this.after();
  }
}

const instances = new Map();
const loading = new Set();
let stopping = false;

function readBody(req, cb) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => { chunks.push(c); size += c.length; });
  req.on('end', () => cb(Buffer.concat(chunks, size)));
  req.on('error', () => {});
}

function readJson(req, res, cb) {
  readBody(req, (buf) => {
    let v;
    try { v = JSON.parse(buf.toString('utf8')); } catch {
      return common.sendError(res, 400, 'bad-request', 'bad request', 'the body must be JSON');
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return common.sendError(res, 400, 'bad-request', 'bad request', 'the body must be a JSON object');
    }
    cb(v);
  });
}

function load(body, res) {
  const id = body.id;
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    return common.sendError(res, 400, 'bad-request', 'bad request', '"id" must match [A-Za-z0-9._~-]{1,128}');
  }
  if (typeof body.codeDir !== 'string' || body.codeDir === '') {
    return common.sendError(res, 400, 'bad-request', 'bad request', '"codeDir" (the unpacked code folder) is required');
  }
  if (body.env != null && (typeof body.env !== 'object' || Array.isArray(body.env))) {
    return common.sendError(res, 400, 'bad-request', 'bad request', '"env" must be an object of strings');
  }
  if (instances.has(id) || loading.has(id)) {
    return common.sendError(res, 409, 'bad-request', 'already loaded', `instance ${id} is already loaded; unload it first`);
  }
  const limits = body.limits && typeof body.limits === 'object' ? body.limits : {};
  const env = {};
  if (body.env) for (const k of Object.keys(body.env)) if (body.env[k] != null) env[k] = String(body.env[k]);
  const inst = new Instance({
    id,
    function: body.function == null ? '' : String(body.function),
    version: body.version == null ? '' : String(body.version),
    codeDir: body.codeDir,
    handler: typeof body.handler === 'string' && body.handler !== '' ? body.handler : 'index.handler',
    env,
    memoryMb: positive(limits.memoryMb, DEFAULT_MEMORY_MB),
    timeoutMs: positive(limits.timeoutMs, DEFAULT_TIMEOUT_MS),
  });
  loading.add(id);
  const t0 = performance.now();
  inst.ensureWorker().then((r) => {
    loading.delete(id);
    instances.set(id, inst);
    // worker: 'pool' (a started empty worker), 'pool-starting' (one still starting) or 'new' (started for it);
    // hostMs: from the parsed request to the worker's answer, in the host (the rest of /load is HTTP and scheduling)
    common.sendJson(res, 200, { id, timings: { loadMs: round3(r.loadMs), initMs: round3(r.initMs), worker: r.worker_,
      hostMs: round3(performance.now() - t0) } });
  }, (e) => {
    loading.delete(id);
    podLog('warn', `load of ${id} (${inst.spec.function}@${inst.spec.version}) failed: ${e.message}`);
    common.sendError(res, 422, 'load-failed', 'load failed', e.message);
  });
}

function round3(ms) { return Math.round(ms * 1000) / 1000; }

function unload(body, res) {
  const inst = instances.get(body.id);
  if (inst === undefined) {
    return common.sendError(res, 404, 'not-loaded', 'not loaded', `no instance ${body.id} is loaded in this host`);
  }
  if (body.force !== undefined && typeof body.force !== 'boolean') {
    return common.sendError(res, 400, 'bad-request', 'bad force', 'force must be true or false');
  }
  instances.delete(body.id);
  inst.unloading = true;
  inst.unloadWaiters.push(res);
  // force: one of its invocations was stopped on purpose; its worker ends now, not when that invocation returns
  if (body.force === true && inst.pending.size !== 0) inst.terminate('unloaded with force (an invocation was stopped)');
  inst.finishUnload();
}

function invoke(req, res, url) {
  const q = url.indexOf('?', 8);
  const pathEnd = q === -1 ? url.length : q;
  let slash = url.indexOf('/', 8);
  if (slash === -1 || slash > pathEnd) slash = pathEnd;
  const id = url.slice(8, slash);
  const rest = slash === pathEnd ? '/' : url.slice(slash, pathEnd);
  const headers = {};
  const mvHeaders = {};
  let invocationId;
  let deadlineH;
  let ctype;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name.startsWith('x-nest-')) {
      if (name === 'x-nest-invocation-id') invocationId = value;
      else if (name === 'x-nest-deadline') deadlineH = value;
      continue;
    }
    if (name === '__proto__') continue;
    if (name === 'content-type') ctype = value;
    headers[name] = value;
    if (Array.isArray(mvHeaders[name])) mvHeaders[name].push(value); else mvHeaders[name] = [value];
  }
  const inst = instances.get(id);
  if (inst === undefined) {
    return common.sendError(res, 404, 'not-loaded', 'not loaded',
      `no instance ${JSON.stringify(id)} is loaded in this host; /load it first`);
  }
  if (!invocationId) invocationId = crypto.randomUUID();
  let deadline = Number(deadlineH);
  if (!(deadline > 0)) deadline = Date.now() + inst.spec.timeoutMs;
  let qsp = null;
  let mvq = null;
  if (q !== -1 && q < url.length - 1) {
    const parsed = common.parseQuery(url.slice(q + 1));
    if (parsed !== null) { qsp = parsed[0]; mvq = parsed[1]; }
  }
  const method = req.method;
  const event = {
    method, httpMethod: method, path: rest, query: qsp === null ? {} : qsp, queryStringParameters: qsp,
    multiValueQueryStringParameters: mvq, headers, multiValueHeaders: mvHeaders, body: null, isBase64Encoded: false,
    requestContext: { requestId: invocationId, httpMethod: method, path: rest },
  };
  const seq = ++inst.seq;
  inst.lastActive = Date.now();
  const inv = new Invocation(inst, seq, res, invocationId);
  inst.pending.set(seq, inv);
  const left = deadline - Date.now();
  if (left <= 0) return inv.timeout();
  if (left <= MAX_TIMER_MS) inv.timer = setTimeout(() => inv.timeout(), left);
  readBody(req, (buf) => {
    if (inv.done) return;
    if (buf.length !== 0) {
      if (common.isTextual(ctype)) event.body = buf.toString('utf8');
      else { event.body = buf.toString('base64'); event.isBase64Encoded = true; }
    }
    const send = () => {
      inv.held = false;
      inst.ensureWorker().then((r) => {
        if (inv.done) return;
        r.worker.postMessage({ type: 'invoke', seq, event, invocationId, deadline });
      }, (e) => {
        inv.error(502, 'load-failed', 'load failed', `function ${inst.spec.function} could not be loaded again after ` +
          `its worker ended: ${e.message}`);
      });
    };
    inv.held = inst.pingTimer !== null;
    inst.dispatch(send);
  });
}

function describeInstance(inst) {
  return {
    id: inst.spec.id, function: inst.spec.function, version: inst.spec.version, inFlight: inst.pending.size,
    healthy: true, memoryMb: inst.spec.memoryMb, running: inst.worker !== null, starts: inst.starts,
    warmStarts: inst.poolStarts, parks: inst.parks,
    terminations: inst.terminations, cpuMs: round3(inst.cpuMs()), heapUsedBytes: inst.heapUsed,
    heapLimitBytes: inst.heapLimit, lastTermination: inst.lastTermination,
  };
}

function health(res) {
  const mem = process.memoryUsage();
  let inFlight = 0;
  for (const i of instances.values()) inFlight += i.pending.size;
  common.sendJson(res, 200, {
    ready: true, runtime: 'nodejs', merged: true, pid: process.pid, inFlight, preloaded: [],
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    instances: [...instances.values()].map(describeInstance),
  });
}

function status(res) {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  common.sendJson(res, 200, {
    merged: true, pid: process.pid, node: process.version, rssBytes: mem.rss, cpuMs: round3((cpu.user + cpu.system) / 1000),
    warmWorkers: { target: WARM_WORKERS, ready: pool.idle.filter((w) => w.nestReady).length, starting: pool.idle.filter((w) => !w.nestReady).length,
      takes: pool.takes, takesStarting: pool.takesStarting, misses: pool.misses },
    idleUnloadMs: IDLE_UNLOAD_MS,
    instances: [...instances.values()].map(describeInstance),
  });
}

function onRequest(req, res) {
  const url = req.url;
  if (!secretOk(req.headers['x-nest-secret'])) {
    return common.sendError(res, 401, 'unauthorized', 'unauthorized', 'missing or wrong X-Nest-Secret');
  }
  lastRequestAt = Date.now();
  if (url.startsWith('/invoke/')) return invoke(req, res, url);
  const p = url.split('?')[0];
  if (p === '/health' && req.method === 'GET') return health(res);
  if (p === '/status' && req.method === 'GET') return status(res);
  if (p === '/load' && req.method === 'POST') return readJson(req, res, (b) => load(b, res));
  if (p === '/unload' && req.method === 'POST') return readJson(req, res, (b) => unload(b, res));
  common.sendError(res, 404, 'bad-request', 'not found', `no route ${req.method} ${p} in the merged host`);
}
const server = http.createServer({ keepAlive: true }, onRequest);
// The gateway calls over a Unix domain socket when the node agent gives one (NEST_HOST_SOCKET, ADR 0032).
const SOCKET = process.env.NEST_HOST_SOCKET || '';
const socketServer = SOCKET ? http.createServer({ keepAlive: true }, onRequest) : null;
if (socketServer) socketServer.keepAliveTimeout = 65000;
server.keepAliveTimeout = 65000;
server.on('error', (e) => {
  podLog('error', `cannot listen on ${ADDRESS}:${PORT}: ${e.message}`);
  process.exit(e.code === 'EADDRINUSE' ? EXIT_PORT_IN_USE : 1);
});
if (!PORT) {
  podLog('error', 'NEST_HOST_PORT is required');
  process.exit(2);
}
// the socket first, then the port: once /health answers on the port, the socket is there too
common.listenSocket(socketServer, SOCKET, podLog, () => server.listen(Number(PORT), ADDRESS, () => {
  podLog('info', `listening on ${ADDRESS}:${PORT}${socketServer && socketServer.listening ? ' and ' + SOCKET : ''}`
    + ` (warm workers ${WARM_WORKERS}, idle unload ${IDLE_UNLOAD_MS} ms)`);
  pool.refill();
}));

if (IDLE_UNLOAD_MS > 0) setInterval(parkIdle, Math.max(100, Math.min(1000, IDLE_UNLOAD_MS / 4))).unref();

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    if (socketServer) socketServer.close();
    stopping = true;
    for (const w of pool.idle.splice(0)) w.terminate();
    for (const i of instances.values()) if (i.worker !== null) i.worker.terminate();
    setTimeout(() => process.exit(0), 50).unref();
  });
}
