'use strict';
// One function instance of a merged Node.js pod, in a worker thread of merged-host.js. The worker has its own V8
// heap (bounded by the resourceLimits the host gave it), its own module cache and its own process.env (the
// function's env over the host's). It loads the handler once, then runs the invocations the host posts to it
// and posts back each answer already encoded (status, headers, body), so nothing the function returns has to
// cross the thread boundary as itself.
//
// A worker starts either with its function (workerData is the spec) or empty (workerData is null): an empty worker
// is a pre-started one the host keeps in its warm pool; it sets up its Node.js environment and waits for a
// {type: 'load', spec}, then takes the function's env into its own process.env and loads the handler, so the
// function's first request pays for loading its code, not for starting a thread. An empty worker loads at most
// one function in its life (the host terminates it with the function): a module cache is never shared.
//
// Messages in:  {type: 'load', spec} (empty workers only) | {type: 'invoke', seq, event, invocationId, deadline}
//               | {type: 'ping', n}
// Messages out: {type: 'ready'} (an empty worker, once started) | {type: 'loaded', loadMs, initMs} | {type: 'load-failed', detail}
//               {type: 'answer', seq, status, headers, body, noLength} | {type: 'failed', seq, status, kind, detail, errType}
//               {type: 'pong', n} | {type: 'heap', used, limit}

const { parentPort, workerData } = require('worker_threads');
const { AsyncLocalStorage } = require('async_hooks');
const { performance } = require('perf_hooks');
const { pathToFileURL } = require('url');
const path = require('path');
const fs = require('fs');
const util = require('util');
const v8 = require('v8');
const { encodeResult } = require('./host-common');

let spec = workerData; // null in an empty (pre-started) worker until its 'load'
const als = new AsyncLocalStorage();
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);

/** Framed lines of one invocation (runtimes/CONTRACT.md, "Logs"). */
function writeFramed(ctx, level, text) {
  const inv = String(ctx.invocationId).replace(/[\t\r\n\u001e]/g, ' ');
  const head = '\u001eNEST\t' + inv + '\t' + spec.id + '\t' + level + '\t';
  let out = '';
  for (const line of String(text).split('\n')) out += head + line.replace(/\r/g, '') + '\n';
  (level === 'warn' || level === 'error' ? stderrWrite : stdoutWrite)(out);
}

function formatArgs(args) {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : util.format.apply(null, args);
}

for (const [name, level] of [['log', 'info'], ['info', 'info'], ['debug', 'debug'], ['warn', 'warn'], ['error', 'error']]) {
  const orig = console[name];
  console[name] = (...args) => {
    const ctx = als.getStore();
    if (ctx === undefined) return orig.apply(console, args);
    writeFramed(ctx, level, formatArgs(args));
  };
}

class Context {
  constructor(invocationId, deadline) {
    this.functionName = spec.function;
    this.functionVersion = spec.version;
    this.invocationId = invocationId;
    this.awsRequestId = invocationId;
    this.memoryLimitInMB = spec.memoryMb;
    this.env = spec.env;
    this.callbackWaitsForEmptyEventLoop = false;
    this.deadline = deadline;
    const ctx = this;
    this.logger = Object.freeze({
      debug: (...a) => writeFramed(ctx, 'debug', formatArgs(a)),
      info: (...a) => writeFramed(ctx, 'info', formatArgs(a)),
      warn: (...a) => writeFramed(ctx, 'warn', formatArgs(a)),
      error: (...a) => writeFramed(ctx, 'error', formatArgs(a)),
    });
    this.log = this.logger.info;
  }

  getRemainingTimeInMillis() {
    return Math.max(0, this.deadline - Date.now());
  }
}

function describeError(err) {
  if (err !== null && typeof err === 'object') {
    const name = typeof err.name === 'string' ? err.name : '';
    const ctor = err.constructor && typeof err.constructor.name === 'string' ? err.constructor.name : '';
    const type = name && name !== 'Error' ? name : (ctor && ctor !== 'Object' ? ctor : (name || 'Error'));
    const detail = err.message !== undefined ? String(err.message) : util.inspect(err);
    return { type, detail, stack: typeof err.stack === 'string' ? err.stack : `${type}: ${detail}` };
  }
  const type = err === undefined ? 'undefined' : (err === null ? 'null' : typeof err);
  return { type, detail: String(err), stack: `${type}: ${String(err)}` };
}

function loadFailure(e, codeDir, relFile) {
  if (!e || typeof e !== 'object') return `loading ${relFile} threw ${String(e)}`;
  const msg = String(e.message || e).split('\n')[0];
  if (e.code === 'MODULE_NOT_FOUND') {
    if (msg.includes(path.resolve(codeDir, relFile))) {
      return `handler file ${relFile}.js not found in codeDir ${codeDir} (module not found); check the file part of ` +
        'the handler ("file.export", file relative to the code root, without .js)';
    }
    return `module not found: ${msg}; bundle it in the function's node_modules`;
  }
  if (e instanceof SyntaxError || e.name === 'SyntaxError') return `syntax error in ${relFile} (or a module it requires): ${msg}`;
  return `${relFile} failed while initialising: ${e.name || 'Error'}: ${msg}`;
}

async function requireHandler(file) {
  try {
    return require(file);
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).startsWith(`Cannot find module '${file}'`)) {
      if (fs.existsSync(file + '.cjs')) return require(file + '.cjs');
      if (fs.existsSync(file + '.mjs')) return import(pathToFileURL(file + '.mjs').href);
    }
    if (e && (e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
      return import(pathToFileURL(require.resolve(file)).href);
    }
    throw e;
  }
}

let fn = null;
let callbackStyle = false;

async function load() {
  let codeDir;
  try {
    codeDir = fs.realpathSync(spec.codeDir);
    if (!fs.statSync(codeDir).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new Error(`codeDir ${spec.codeDir} is not a readable directory (${e.code || e.message})`);
  }
  const handler = spec.handler;
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) {
    throw new Error(`handler "${handler}" must look like "file.export" (e.g. "index.handler")`);
  }
  const relFile = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const t0 = performance.now();
  let mod;
  try {
    mod = await requireHandler(path.resolve(codeDir, relFile));
  } catch (e) {
    throw new Error(loadFailure(e, codeDir, relFile));
  }
  const loadMs = performance.now() - t0;
  let f = mod == null ? undefined : mod[exportName];
  if (f === undefined && mod != null && mod.default != null && typeof mod.default === 'object') f = mod.default[exportName];
  if (typeof f !== 'function') {
    const names = mod != null && (typeof mod === 'object' || typeof mod === 'function') ? Object.keys(mod) : [];
    throw new Error(`${relFile} does not export a function "${exportName}" (exports: ${names.length ? names.join(', ') : 'none'})`);
  }
  let initMs = 0;
  if (exportName !== 'init' && typeof mod.init === 'function') {
    const t1 = performance.now();
    try {
      await mod.init.call(mod);
    } catch (e) {
      throw new Error(`init() exported by ${relFile} failed: ${describeError(e).type}: ${describeError(e).detail}`);
    }
    initMs = performance.now() - t1;
  }
  fn = f;
  callbackStyle = f.length >= 3;
  return { loadMs, initMs };
}

function answer(seq, result, ctx) {
  let enc;
  try {
    enc = encodeResult(result);
  } catch (e) {
    const detail = 'the function\'s result cannot be sent as an HTTP response: ' + (e && e.message || e);
    writeFramed(ctx, 'error', detail);
    parentPort.postMessage({ type: 'failed', seq, status: 502, kind: 'response-error', detail });
    return;
  }
  parentPort.postMessage(Object.assign({ type: 'answer', seq }, enc));
}

function fail(seq, err, ctx) {
  const d = describeError(err);
  try { writeFramed(ctx, 'error', 'function error: ' + d.stack); } catch { /* ignore */ }
  parentPort.postMessage({ type: 'failed', seq, status: 500, kind: 'function-error', detail: d.detail, errType: d.type });
}

function invoke(m) {
  const ctx = new Context(m.invocationId, m.deadline);
  // the W3C trace the gateway runs this invocation in, as a dedicated host gives it (host.js)
  const tp = m.event && m.event.headers ? m.event.headers.traceparent : undefined;
  ctx.traceparent = typeof tp === 'string' && /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(tp) ? tp : '';
  ctx.traceId = ctx.traceparent === '' ? '' : ctx.traceparent.slice(3, 35);
  let settled = false;
  const ok = (v) => { if (!settled) { settled = true; answer(m.seq, v, ctx); } };
  const ko = (e) => { if (!settled) { settled = true; fail(m.seq, e, ctx); } };
  als.run(ctx, () => {
    try {
      const r = callbackStyle
        ? fn(m.event, ctx, (err, value) => (err !== undefined && err !== null ? ko(err) : ok(value)))
        : fn(m.event, ctx);
      if (r !== null && r !== undefined && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
        r.then(ok, ko);
      } else if (!callbackStyle) {
        ok(r);
      }
    } catch (e) {
      ko(e);
    }
  });
}

process.on('uncaughtException', (err) => {
  const text = 'uncaught exception: ' + describeError(err).stack;
  const ctx = als.getStore();
  if (ctx !== undefined) writeFramed(ctx, 'error', text); else stderrWrite(`nest-merged ${spec === null ? '(empty)' : spec.id} error: ${text}\n`);
});
process.on('unhandledRejection', (reason) => {
  const text = 'unhandled rejection: ' + describeError(reason).stack;
  const ctx = als.getStore();
  if (ctx !== undefined) writeFramed(ctx, 'error', text); else stderrWrite(`nest-merged ${spec === null ? '(empty)' : spec.id} error: ${text}\n`);
});

function reportHeap() {
  const h = v8.getHeapStatistics();
  parentPort.postMessage({ type: 'heap', used: h.used_heap_size, limit: h.heap_size_limit });
}

function start() {
  load().then((t) => {
    parentPort.postMessage(Object.assign({ type: 'loaded' }, t));
    reportHeap();
    setInterval(reportHeap, 1000).unref();
  }, (e) => {
    parentPort.postMessage({ type: 'load-failed', detail: e.message });
  });
}

parentPort.on('message', (m) => {
  if (m.type === 'invoke') invoke(m);
  else if (m.type === 'ping') parentPort.postMessage({ type: 'pong', n: m.n });
  else if (m.type === 'load' && spec === null) {
    spec = m.spec;
    for (const k of Object.keys(spec.env)) process.env[k] = spec.env[k];
    start();
  }
});

/**
 * Runs once in an empty worker before it says it is ready: the paths a function's load and first invocation take
 * (resolving a folder, a context, the async-local store, encoding an answer) are compiled now, while the worker
 * waits in the pool, not during the first request. Touches no function code and leaves no state behind.
 */
function warmUp() {
  try {
    fs.statSync(fs.realpathSync(__dirname)).isDirectory();
    spec = { id: 'warm-up', function: '', version: '', memoryMb: 0, env: {} };
    const ctx = new Context('warm-up', Date.now() + 1000);
    als.run(ctx, () => {
      encodeResult({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'x' });
      encodeResult({ ok: true });
    });
    ctx.getRemainingTimeInMillis();
    describeError(new Error('warm-up'));
  } catch { /* only a warm-up */ }
  spec = null;
}

if (spec !== null) start();
// an empty worker tells the host once its Node.js environment is set up: until then, taking it makes the request wait
// for the rest of the worker's start
else {
  warmUp();
  parentPort.postMessage({ type: 'ready' });
}
