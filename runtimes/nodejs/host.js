'use strict';
// A merged pod started from the runtime image (docker, containerd: the image's entrypoint is this file) runs the
// merged host instead (runtimes/CONTRACT.md, "Merged pods").
if (process.env.NEST_HOST_MODE === 'merged') return void require('./merged-host.js');
// Nest Node.js runtime host: speaks runtimes/CONTRACT.md (the host <-> node agent
// contract). Standard library only. It runs inside a pod, loads function code
// as "instances" (POST /load), runs invocations (ANY /invoke/{id}/...) and
// reports health (GET /health). Everything on the /invoke path is written to
// keep per-request work small: one pass over the raw headers, no URL objects,
// no JSON round-trips of the event, responses written in a single end() call.

const http = require('http');
const path = require('path');
const fs = require('fs');
const util = require('util');
const crypto = require('crypto');
const os = require('os');
const Module = require('module');
const { AsyncLocalStorage, AsyncResource } = require('async_hooks');
const { performance } = require('perf_hooks');
const { pathToFileURL } = require('url');
// The contract's pieces shared with the merged host (secret, JSON answers, query and body rules, results as HTTP
// answers). The process driver copies this file's directory with it; the runtime image copies both files.
const {
  readSecretLine, secretChecker, sendJson, sendError, isTextual, parseQuery, encodeResult, writeEncoded, listenSocket,
} = require('./host-common');

// ---------------------------------------------------------------------------
// Configuration

const PORT = process.env.NEST_HOST_PORT;
const ADDRESS = process.env.NEST_HOST_ADDRESS || '127.0.0.1';
// The secret comes as the first line of stdin when the driver says so (NEST_HOST_SECRET_STDIN=1), so that it
// is in neither the environment nor the command line (both readable through /proc); the end of stdin then
// means the node agent is gone. Container drivers may still pass NEST_HOST_SECRET.
const SECRET_FROM_STDIN = process.env.NEST_HOST_SECRET_STDIN === '1';
const SECRET = SECRET_FROM_STDIN ? readSecretLine() : process.env.NEST_HOST_SECRET;
delete process.env.NEST_HOST_SECRET; // functions share process.env: they need not see it
delete process.env.NEST_HOST_SECRET_STDIN;
const POD_ID = process.env.NEST_POD_ID || '';
const PRELOAD = process.env.NEST_PRELOAD || '';

const DEFAULT_HANDLER = 'index.handler';
const DEFAULT_TIMEOUT_MS = 30000; // only used when neither X-Nest-Deadline nor limits.timeoutMs is given
const SHUTDOWN_GRACE_MS = 5000;
// The exit status of a host that cannot bind its port because something else holds it (EADDRINUSE on Linux):
// the node agent starts such a pod again on another port (runtimes/CONTRACT.md, "Start-up").
const EXIT_PORT_IN_USE = 98;
const MAX_TIMER_MS = 2147483647; // setTimeout's limit; a deadline further away gets no timer
// Deadlines further away than NEAR_MS get no timer of their own: they wait in a set that one interval timer sweeps
// every SWEEP_MS, which gives an invocation its own timer once its deadline is within NEAR_MS. Most invocations end
// long before their deadline, and a Set add/delete costs far less than a setTimeout/clearTimeout pair (ADR 0028).
const NEAR_MS = 1000;
const SWEEP_MS = 250;
const SANDBOX_ID_RE = /^[A-Za-z0-9._~-]{1,128}$/;

// ---------------------------------------------------------------------------
// Output: original writers, pod-level lines and framed invocation lines

const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);
const origConsole = {
  log: console.log, info: console.info, debug: console.debug,
  warn: console.warn, error: console.error,
};

/** A line that belongs to the pod (not to an invocation). */
function podLog(level, text) {
  const lines = String(text).split('\n');
  let out = '';
  const prefix = `nest-host${POD_ID ? ' pod=' + POD_ID : ''} ${level}: `;
  for (let i = 0; i < lines.length; i++) out += prefix + lines[i] + '\n';
  (level === 'warn' || level === 'error' ? stderrWrite : stdoutWrite)(out);
}

const als = new AsyncLocalStorage();
// Handlers run with their invocation's Context as the store of `als` (runInContext). Where AsyncLocalStorage runs on
// async context frames (Node.js 24: the store lives in a frame each continuation keeps, no async hooks), als.run
// makes two frames per call, one holding the store and one putting the previous store back; entering the store
// inside the scope of one long-lived AsyncResource makes one, and leaving the scope restores the caller's frame
// itself. On async hooks (Node.js 18 to 22) enterWith would stay on that resource, so als.run is kept there; a probe
// at start-up tells the two apart by behaviour, not by version (--no-async-context-frame turns frames off on 24).
const invocationScope = new AsyncResource('nest.invocation', { requireManualDestroy: true });
const SCOPED_ENTER = (() => {
  const probe = new AsyncLocalStorage();
  invocationScope.runInAsyncScope(() => probe.enterWith(true));
  const stuck = invocationScope.runInAsyncScope(() => probe.getStore());
  probe.disable();
  return stuck === undefined;
})();
const kPrefix = Symbol('nest.prefix');
const kDeadline = Symbol('nest.deadline');
const kInstance = Symbol('nest.instance');
const kLogger = Symbol('nest.logger');
const kInvocation = Symbol('nest.invocation');
const TRACEPARENT_RE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function framePrefix(ctx) {
  let p = ctx[kPrefix];
  if (p === null) {
    // the invocation id comes from a header: keep the frame parseable
    const inv = String(ctx.invocationId).replace(/[\t\r\n\u001e]/g, ' ');
    p = ctx[kPrefix] = '\u001eNEST\t' + inv + '\t' + ctx[kInstance].id + '\t';
  }
  return p;
}

/**
 * Writes `text` as framed lines of invocation `ctx`: one line per text line.
 * debug/info go to stdout, warn/error to stderr.
 */
function writeFramed(ctx, level, text) {
  const head = framePrefix(ctx) + level + '\t';
  let out;
  if (text.indexOf('\n') === -1) {
    out = head + (text.indexOf('\r') === -1 ? text : text.replace(/\r/g, '')) + '\n';
  } else {
    const lines = text.split('\n');
    out = '';
    for (let i = 0; i < lines.length; i++) {
      let l = lines[i];
      if (l.length !== 0 && l.charCodeAt(l.length - 1) === 13) l = l.slice(0, -1);
      out += head + (l.indexOf('\r') === -1 ? l : l.replace(/\r/g, '')) + '\n';
    }
  }
  if (ctx[kInstance].quiet) return; // the pool's warm-up function: built and framed, never written
  if (level === 'warn' || level === 'error') stderrWrite(out);
  else stdoutWrite(out);
}

function formatArgs(args) {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : util.format.apply(null, args);
}

function patchConsoleMethod(name, level) {
  const orig = origConsole[name];
  console[name] = function nestConsole(...args) {
    const ctx = als.getStore();
    if (ctx === undefined) return orig.apply(console, args);
    writeFramed(ctx, level, formatArgs(args));
  };
}

// Patch once at start-up. The common console methods are framed directly (with
// their own level); everything else that reaches stdout/stderr during an
// invocation (console.dir/table/trace, process.stdout.write, ...) is caught by
// the stream patch below with level info (stdout) / error (stderr).
patchConsoleMethod('log', 'info');
patchConsoleMethod('info', 'info');
patchConsoleMethod('debug', 'debug');
patchConsoleMethod('warn', 'warn');
patchConsoleMethod('error', 'error');

function patchStream(stream, orig, level) {
  stream.write = function nestWrite(chunk, encoding, cb) {
    const ctx = als.getStore();
    if (ctx === undefined) return orig(chunk, encoding, cb);
    let text;
    if (typeof chunk === 'string') {
      text = (typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8')
        ? Buffer.from(chunk, encoding).toString('utf8') : chunk;
    } else {
      text = Buffer.from(chunk.buffer ? chunk : String(chunk)).toString('utf8');
    }
    if (text.length !== 0 && text.charCodeAt(text.length - 1) === 10) text = text.slice(0, -1);
    writeFramed(ctx, level, text);
    const done = typeof encoding === 'function' ? encoding : cb;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}
patchStream(process.stdout, stdoutWrite, 'info');
patchStream(process.stderr, stderrWrite, 'error');
// if the node agent stops reading our output, keep serving rather than die on EPIPE
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

// ---------------------------------------------------------------------------
// Instances and the invocation context

/** id -> Instance (only fully loaded, not unloading). */
const instances = new Map();
/** ids whose /load is in progress (the user's init may be async). */
const loading = new Set();
let inFlight = 0;
let ready = false;
let stopping = false;

class Instance {
  constructor(spec, fn, codePrefix) {
    this.id = spec.id;
    this.function = spec.function;
    this.version = spec.version;
    this.codeDir = spec.codeDir;
    this.codePrefix = codePrefix; // realpath of codeDir + '/', the key prefix in require.cache
    this.handler = spec.handler;
    this.fn = fn;
    this.callbackStyle = fn.length >= 3; // legacy (event, context, callback)
    this.env = spec.env;
    this.memoryMb = spec.memoryMb;
    this.timeoutMs = spec.timeoutMs;
    this.inFlight = 0;
    this.unloading = false;
    this.unloadWaiters = null; // responses of /unload waiting for in-flight invocations
    this.quiet = warmUp.running && spec.id === warmUp.id; // the warm-up's own instance: its lines are dropped
  }
}

/** The handler's second argument. Data fields are own properties (so spreading/logging works); internals are symbols. */
class Context {
  constructor(sb, invocationId, deadline, traceparent) {
    this.functionName = sb.function;
    this.functionVersion = sb.version;
    this.invocationId = invocationId;
    this.awsRequestId = invocationId;
    this.memoryLimitInMB = sb.memoryMb;
    this.env = sb.env;
    this.callbackWaitsForEmptyEventLoop = false;
    this[kInstance] = sb;
    this[kDeadline] = deadline;
    this[kPrefix] = null;
    this[kLogger] = null;
    this[kInvocation] = null; // the Invocation it belongs to, for the shared promise callbacks
    // the W3C trace the gateway runs this invocation in (its span as parent), for calls the function makes
    this.traceparent = traceparent;
    this.traceId = traceparent === '' ? '' : traceparent.slice(3, 35);
  }

  getRemainingTimeInMillis() {
    const left = this[kDeadline] - Date.now();
    return left > 0 ? left : 0;
  }

  /** Bound to this invocation; safe to destructure (`const { logger } = context`). */
  get logger() {
    let l = this[kLogger];
    if (l === null) {
      const ctx = this;
      l = this[kLogger] = Object.freeze({
        debug: (...a) => writeFramed(ctx, 'debug', formatArgs(a)),
        info: (...a) => writeFramed(ctx, 'info', formatArgs(a)),
        warn: (...a) => writeFramed(ctx, 'warn', formatArgs(a)),
        error: (...a) => writeFramed(ctx, 'error', formatArgs(a)),
      });
    }
    return l;
  }

  get log() {
    return this.logger.info;
  }
}

// ---------------------------------------------------------------------------
// Small HTTP helpers (every answer carries Content-Length; never chunked)

const secretOk = secretChecker(SECRET || '');

function unauthorized(res) {
  sendError(res, 401, 'unauthorized', 'unauthorized',
    'missing or wrong X-Nest-Secret header; requests must carry the NEST_HOST_SECRET the host was started with');
}

/** Reads a whole request body (any size) as one Buffer. */
function readBody(req, cb) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => { chunks.push(c); size += c.length; });
  req.on('end', () => cb(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
  req.on('error', (e) => cb(e));
}

function readJsonBody(req, res, cb) {
  readBody(req, (err, buf) => {
    if (err) return; // connection is gone
    let obj;
    try {
      obj = buf.length === 0 ? {} : JSON.parse(buf.toString('utf8'));
    } catch (e) {
      return sendError(res, 400, 'bad-request', 'bad request', 'request body is not valid JSON: ' + e.message);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return sendError(res, 400, 'bad-request', 'bad request', 'request body must be a JSON object');
    }
    cb(obj);
  });
}

// ---------------------------------------------------------------------------
// Request routing

function onRequest(req, res) {
  try {
    const url = req.url;
    // hot path: /invoke/...
    if (url.length > 8 && url.charCodeAt(1) === 105 /* i */ && url.startsWith('/invoke/')) {
      return invoke(req, res, url);
    }
    if (!secretOk(req.headers['x-nest-secret'])) return unauthorized(res);
    const q = url.indexOf('?');
    const p = q === -1 ? url : url.slice(0, q);
    const m = req.method;
    if (p === '/health') {
      if (m !== 'GET' && m !== 'HEAD') return methodNotAllowed(res, m, p, 'GET');
      return health(res);
    }
    if (p === '/load') {
      if (m !== 'POST') return methodNotAllowed(res, m, p, 'POST');
      return readJsonBody(req, res, (spec) => load(spec, res));
    }
    if (p === '/unload') {
      if (m !== 'POST') return methodNotAllowed(res, m, p, 'POST');
      return readJsonBody(req, res, (spec) => unload(spec, res));
    }
    if (p === '/warmup') {
      if (m !== 'POST') return methodNotAllowed(res, m, p, 'POST');
      return readBody(req, (err) => { if (!err) warmUpRoute(res); });
    }
    sendError(res, 404, 'bad-request', 'not found',
      `no route ${m} ${p}; the host answers GET /health, POST /load, POST /unload, POST /warmup and ANY /invoke/{id}/{path}`);
  } catch (e) {
    podLog('error', 'host error: ' + (e && e.stack || e));
    sendError(res, 500, 'response-error', 'host error', 'the runtime host failed: ' + (e && e.message || e));
  }
}

function methodNotAllowed(res, m, p, allowed) {
  sendError(res, 405, 'bad-request', 'method not allowed', `${m} ${p} is not supported; use ${allowed}`);
}

// ---------------------------------------------------------------------------
// GET /health

function health(res) {
  const mem = process.memoryUsage();
  const list = [];
  for (const sb of instances.values()) {
    // healthy: a Node.js instance that cannot end an invocation blocks the whole host, which then answers nothing
    list.push({ id: sb.id, function: sb.function, version: sb.version, inFlight: sb.inFlight, healthy: true });
  }
  sendJson(res, 200, {
    ready, runtime: 'nodejs', pid: process.pid, inFlight, preloaded,
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    instances: list,
  });
}

// ---------------------------------------------------------------------------
// POST /load

class LoadError extends Error {}

function round3(ms) { return Math.round(ms * 1000) / 1000; }

function rel(codeDir, file) {
  const r = path.relative(codeDir, file);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : file;
}

/** Removes every require.cache entry (and resolution-cache entry) under `prefix`. */
function purgeModules(prefix) {
  const cache = require.cache;
  let purged = false;
  for (const key of Object.keys(cache)) {
    if (key.startsWith(prefix)) { delete cache[key]; purged = true; }
  }
  if (purged) {
    // require() from this file records children on our own module: drop them so they can be collected
    module.children = module.children.filter((c) => !(c.filename && c.filename.startsWith(prefix)));
  }
  const pc = Module._pathCache; // internal resolution cache; best effort
  if (pc && typeof pc === 'object') {
    for (const key of Object.keys(pc)) {
      const v = pc[key];
      if (typeof v === 'string' && v.startsWith(prefix)) delete pc[key];
    }
  }
}

/** Makes a useful 422 detail out of an error thrown while requiring the handler file. */
function describeLoadError(e, codeDir, file, relFile) {
  if (!e || typeof e !== 'object') return `loading ${relFile} threw ${String(e)}`;
  const msg = String(e.message || e);
  if (e.code === 'MODULE_NOT_FOUND') {
    const first = msg.split('\n')[0];
    const m = /Cannot find module '([^']+)'/.exec(first);
    const missing = m ? m[1] : '';
    if (missing === file || missing === file + '.js') {
      return `handler file ${relFile}.js not found in codeDir ${codeDir} (module not found); ` +
        'check the file part of the handler ("file.export", file relative to the code root, without .js)';
    }
    const stack = Array.isArray(e.requireStack) && e.requireStack.length ? e.requireStack[0] : '';
    return `module not found: ${first}${stack ? ' (required from ' + rel(codeDir, stack) + ')' : ''}; ` +
      'bundle it in the function\'s node_modules';
  }
  if (e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE') {
    return `${relFile}: ${msg.split('\n')[0]}`;
  }
  const stack = typeof e.stack === 'string' ? e.stack : '';
  if (e instanceof SyntaxError || e.name === 'SyntaxError') {
    // Node puts "<file>:<line>\n<source>\n<carets>\n\n" in front of a compile error's stack
    const first = stack.split('\n')[0];
    const loc = /^(.+):(\d+)$/.exec(first);
    if (loc) return `syntax error in ${rel(codeDir, loc[1])}:${loc[2]}: ${msg}`;
    return `syntax error in ${relFile} (or a module it requires): ${msg}`;
  }
  // an exception thrown by the module's top-level code: name the first frame in the function's code
  const frame = firstCodeFrame(stack, codeDir);
  return `${relFile} failed while initialising: ${e.name || 'Error'}: ${msg}${frame ? ' at ' + frame : ''}`;
}

function firstCodeFrame(stack, codeDir) {
  const lines = stack.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(lines[i]);
    if (m) {
      const f = m[1].startsWith('file://') ? m[1].slice(7) : m[1];
      if (f.startsWith(codeDir)) return `${rel(codeDir, f)}:${m[2]}:${m[3]}`;
    }
  }
  return '';
}

function load(spec, res) {
  const id = spec.id;
  if (typeof id !== 'string' || !SANDBOX_ID_RE.test(id)) {
    return sendError(res, 400, 'bad-request', 'bad request', '"id" must match [A-Za-z0-9._~-]{1,128}');
  }
  if (typeof spec.codeDir !== 'string' || spec.codeDir === '') {
    return sendError(res, 400, 'bad-request', 'bad request', '"codeDir" (the unpacked code folder) is required');
  }
  if (spec.handler != null && typeof spec.handler !== 'string') {
    return sendError(res, 400, 'bad-request', 'bad request', '"handler" must be a string like "index.handler"');
  }
  if (spec.env != null && (typeof spec.env !== 'object' || Array.isArray(spec.env))) {
    return sendError(res, 400, 'bad-request', 'bad request', '"env" must be an object of strings');
  }
  if (warmUp.running && id !== warmUp.id) {
    return sendError(res, 409, 'bad-request', 'warming up',
      'the host is running its warm-up (POST /warmup); load after it has answered');
  }
  if (instances.has(id) || loading.has(id)) {
    return sendError(res, 409, 'bad-request', 'already loaded',
      `instance ${id} is already loaded${loading.has(id) ? ' (loading)' : ''}; unload it first or use a new id`);
  }
  const limits = spec.limits && typeof spec.limits === 'object' ? spec.limits : {};
  const env = {};
  if (spec.env) for (const k of Object.keys(spec.env)) { const v = spec.env[k]; if (v != null) env[k] = String(v); }
  const norm = {
    id,
    function: spec.function == null ? '' : String(spec.function),
    version: spec.version == null ? '' : String(spec.version),
    codeDir: spec.codeDir,
    handler: spec.handler || DEFAULT_HANDLER,
    env: Object.freeze(env),
    memoryMb: Number(limits.memoryMb) > 0 ? Number(limits.memoryMb) : undefined,
    timeoutMs: Number(limits.timeoutMs) > 0 ? Number(limits.timeoutMs) : DEFAULT_TIMEOUT_MS,
  };

  if (!warmUp.running) warmUp.loaded = true;
  loading.add(id);
  doLoad(norm).then(({ sb, loadMs, initMs }) => {
    loading.delete(id);
    instances.set(id, sb);
    sendJson(res, 200, { id, timings: { loadMs: round3(loadMs), initMs: round3(initMs) } });
  }, (e) => {
    loading.delete(id);
    const prefix = e && e.codePrefix;
    // a failed load leaves nothing behind: not the instance, not its modules
    if (prefix && !prefixInUse(prefix)) purgeModules(prefix);
    const detail = e instanceof LoadError ? e.message : 'load failed: ' + (e && e.stack || e);
    podLog('warn', `load of ${id} (${norm.function}@${norm.version}) failed: ${detail}`);
    sendError(res, 422, 'load-failed', 'load failed', detail);
  });
}

function prefixInUse(prefix) {
  for (const sb of instances.values()) if (sb.codePrefix === prefix) return true;
  return false;
}

async function doLoad(spec) {
  const fail = (msg, prefix) => { const e = new LoadError(msg); e.codePrefix = prefix; return e; };
  let codeDir;
  try {
    codeDir = fs.realpathSync.native(spec.codeDir); // one realpath(3) call; the JS walk lstats every component
    if (!fs.statSync(codeDir).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw fail(`codeDir ${spec.codeDir} is not a readable directory (${e.code || e.message})`);
  }
  const prefix = codeDir.endsWith(path.sep) ? codeDir : codeDir + path.sep;

  // "file.export": split on the LAST dot so "src/app.handler" and "lib/v1.2/app.handler" work
  const handler = spec.handler;
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1 || handler.charCodeAt(dot - 1) === 47 /* / */) {
    throw fail(`handler "${handler}" must look like "file.export" (e.g. "index.handler"; file relative to the code root, without .js)`);
  }
  const relFile = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const file = path.resolve(codeDir, relFile);

  // Merge the function's env before its top level runs (contract: process.env is shared by the host).
  const env = spec.env;
  for (const k of Object.keys(env)) process.env[k] = env[k];

  // A fresh module instance per instance: forget anything cached under this codeDir (another
  // instance of the same code keeps the instances it already holds).
  purgeModules(prefix);

  // loadMs: require() = read + compile + run the module's top level (Node runs top-level code
  // inside require, so user init that lives at module top level is counted here).
  // initMs: 0, unless the module exports an optional `init()` function (sync or async), which
  // is called and awaited once, after require and before the instance takes invocations.
  let mod;
  const t0 = performance.now();
  try {
    mod = requireHandlerFile(file);
    if (mod instanceof Promise) mod = await mod; // ESM through import()
  } catch (e) {
    throw fail(describeLoadError(e, codeDir, file, relFile), prefix);
  }
  const loadMs = performance.now() - t0;

  let fn = mod == null ? undefined : mod[exportName];
  if (fn === undefined && mod != null && mod.default != null && typeof mod.default === 'object') {
    fn = mod.default[exportName]; // transpiled ESM (exports.default = { handler })
  }
  if (fn === undefined) {
    const names = mod != null && (typeof mod === 'object' || typeof mod === 'function') ? Object.keys(mod) : [];
    throw fail(`${relFile} does not export "${exportName}" (exports: ${names.length ? names.join(', ') : 'none'}); ` +
      `export the handler, e.g. exports.${exportName} = async (event, context) => ...`, prefix);
  }
  if (typeof fn !== 'function') {
    throw fail(`"${exportName}" exported by ${relFile} is ${fn === null ? 'null' : 'a ' + typeof fn}, not a function`, prefix);
  }

  let initMs = 0;
  const init = mod.init;
  if (exportName !== 'init' && typeof init === 'function') {
    const t1 = performance.now();
    try {
      await init.call(mod);
    } catch (e) {
      throw fail(`init() exported by ${relFile} failed: ${e && e.name || 'Error'}: ${e && e.message || e}` +
        (e && e.stack ? (' at ' + firstCodeFrame(e.stack, codeDir)) : ''), prefix);
    }
    initMs = performance.now() - t1;
  }
  if (stopping) throw fail('the host is shutting down', prefix);
  const norm = Object.assign({}, spec, { codeDir });
  return { sb: new Instance(norm, fn, prefix), loadMs, initMs };
}

let esmCounter = 0;

/** require() the handler file; .cjs/.mjs fallbacks; ESM that require() cannot load goes through import(). */
function requireHandlerFile(file) {
  try {
    return require(file);
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' &&
        e.message.startsWith(`Cannot find module '${file}'`)) {
      if (fs.existsSync(file + '.cjs')) return require(file + '.cjs');
      if (fs.existsSync(file + '.mjs')) return importFresh(file + '.mjs');
    }
    if (e && (e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
      return importFresh(require.resolve(file));
    }
    throw e;
  }
}

function importFresh(file) {
  // the query makes this an independent module instance (the ESM cache cannot be cleared)
  return import(pathToFileURL(file).href + '?nest=' + (++esmCounter));
}

// ---------------------------------------------------------------------------
// POST /unload

function unload(spec, res) {
  const id = spec.id;
  if (typeof id !== 'string' || id === '') {
    return sendError(res, 400, 'bad-request', 'bad request', '"id" is required');
  }
  const sb = instances.get(id);
  if (sb === undefined) {
    if (loading.has(id)) {
      return sendError(res, 409, 'bad-request', 'still loading', `instance ${id} is still loading; unload it after /load answers`);
    }
    return sendError(res, 404, 'not-loaded', 'not loaded', `no instance ${id} is loaded in this host`);
  }
  instances.delete(id); // new invocations now get 404 not-loaded
  sb.unloading = true;
  if (sb.inFlight === 0) return finishUnload(sb, res);
  (sb.unloadWaiters || (sb.unloadWaiters = [])).push(res);
}

function finishUnload(sb, res) {
  if (!prefixInUse(sb.codePrefix)) purgeModules(sb.codePrefix);
  sb.fn = null;
  if (res) sendJson(res, 200, { id: sb.id });
  const waiters = sb.unloadWaiters;
  sb.unloadWaiters = null;
  if (waiters) for (const w of waiters) sendJson(w, 200, { id: sb.id });
}

// ---------------------------------------------------------------------------
// ANY /invoke/{id}/{rest...}?{query}

let lastId = '';

// Header names in lower case by their position in the request: a caller sends the same names in the same order on
// every request, and a name already seen at a position is not lower-cased (a new string) again. Only the first
// NAMES_KEPT positions and names of up to NAME_KEPT_MAX characters are kept (a bound on what stays referenced).
const NAMES_KEPT = 32;
const NAME_KEPT_MAX = 64;
const namesSeen = new Array(NAMES_KEPT).fill('');
const namesLower = new Array(NAMES_KEPT).fill('');
function lowerName(name, at) {
  if (at >= NAMES_KEPT || name.length > NAME_KEPT_MAX) return name.toLowerCase();
  if (name === namesSeen[at]) return namesLower[at];
  namesSeen[at] = name;
  return (namesLower[at] = name.toLowerCase());
}

function invoke(req, res, url) {
  // /invoke/{id}{rest}?{query}
  const q = url.indexOf('?', 8);
  const pathEnd = q === -1 ? url.length : q;
  let slash = url.indexOf('/', 8);
  if (slash === -1 || slash > pathEnd) slash = pathEnd;
  // the id as a string: the last one's again when the URL names it (no new string per request to the same instance)
  const idLen = slash - 8;
  const id = idLen === lastId.length && url.startsWith(lastId, 8) ? lastId : (lastId = url.slice(8, slash));
  const rest = slash === pathEnd ? '/' : url.slice(slash, pathEnd);

  // one pass over the raw headers: event headers (lower-case, X-Nest-* removed) and control headers
  const raw = req.rawHeaders;
  const headers = {};
  const mvHeaders = {};
  let secret, invocationId, deadlineH, ctype, hasBody = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = lowerName(raw[i], i >> 1);
    const value = raw[i + 1];
    if (name.length > 7 && name.charCodeAt(0) === 120 && name.startsWith('x-nest-')) {
      if (name === 'x-nest-secret') secret = value;
      else if (name === 'x-nest-invocation-id') invocationId = value;
      else if (name === 'x-nest-deadline') deadlineH = value;
      continue;
    }
    if (name === 'content-length') { if (value !== '0') hasBody = true; }
    else if (name === 'transfer-encoding') hasBody = true;
    else if (name === 'content-type') ctype = value;
    else if (name === '__proto__') continue;
    headers[name] = value;
    const a = mvHeaders[name];
    if (Array.isArray(a)) a.push(value); else mvHeaders[name] = [value];
  }
  if (!secretOk(secret)) return unauthorized(res);

  const sb = instances.get(id);
  if (sb === undefined) {
    return sendError(res, 404, 'not-loaded', 'not loaded',
      `no instance ${JSON.stringify(id)} is loaded in this host; /load it first`);
  }

  if (invocationId === undefined || invocationId === '') invocationId = newInvocationId();
  const now = Date.now();
  let deadline = deadlineH === undefined ? NaN : Number(deadlineH);
  if (!(deadline > 0)) deadline = now + sb.timeoutMs;

  const method = req.method;
  let query, qsp = null, mvq = null;
  if (q !== -1 && q < url.length - 1) {
    const parsed = parseQuery(url.slice(q + 1));
    if (parsed !== null) { qsp = parsed[0]; mvq = parsed[1]; }
  }
  query = qsp === null ? {} : qsp;

  const event = {
    method,
    httpMethod: method,
    path: rest,
    query,
    queryStringParameters: qsp,
    multiValueQueryStringParameters: mvq,
    headers,
    multiValueHeaders: mvHeaders,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: invocationId, httpMethod: method, path: rest },
  };
  const tp = headers.traceparent;
  const ctx = new Context(sb, invocationId, deadline, typeof tp === 'string' && TRACEPARENT_RE.test(tp) ? tp : '');

  // counted from here: an /unload now waits for this invocation
  sb.inFlight++;
  inFlight++;
  const inv = new Invocation(sb, ctx, event, res);
  ctx[kInvocation] = inv;
  // the deadline is the host's to keep: a timer answers 504 then, unless the event loop is blocked (the node
  // agent then gives up after its grace and replaces the pod)
  const left = deadline - now;
  if (left <= 0) return inv.timeout(); // no time left: the handler does not run at all
  if (left <= NEAR_MS) inv.timer = setTimeout(invocationTimeout, left, inv);
  else if (left <= MAX_TIMER_MS) watchFar(inv);

  if (!hasBody) {
    runInContext(ctx, inv);
    return;
  }
  inv.ctype = ctype;
  req[kInvocation] = inv;
  req.on('data', onBodyData);
  req.on('error', onBodyError);
  req.on('end', onBodyEnd);
}

// The request body's listeners, shared by all invocations (`this` is the request; its invocation keeps the chunks).
function onBodyData(c) {
  const inv = this[kInvocation];
  if (inv.chunks === null) inv.chunks = [c]; else inv.chunks.push(c);
  inv.size += c.length;
}

function onBodyError() { this[kInvocation].abort(); }

function onBodyEnd() {
  const inv = this[kInvocation];
  if (inv.done) return; // the deadline passed while the body arrived: answered already, the handler does not run
  if (inv.size !== 0) {
    const chunks = inv.chunks;
    const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, inv.size);
    inv.chunks = null;
    if (isTextual(inv.ctype)) inv.event.body = buf.toString('utf8');
    else { inv.event.body = buf.toString('base64'); inv.event.isBase64Encoded = true; }
  }
  runInContext(inv.ctx, inv);
}

class Invocation {
  constructor(sb, ctx, event, res) {
    this.sb = sb;
    this.ctx = ctx;
    this.event = event;
    this.res = res;
    this.done = false;
    this.timer = null; // its own deadline timer, once the deadline is near
    this.far = false; // waiting in the far list
    this.farPrev = null; // its neighbours in the far list (see watchFar)
    this.farNext = null;
    this.chunks = null; // the request body's chunks while they arrive
    this.size = 0;
    this.ctype = undefined; // the request's Content-Type
  }

  /**
   * Marks the invocation answered; false when it was already (a late result after the timeout is dropped). Its
   * Context lets go of it: Node keeps the async context frame current while an answer is written (made inside the
   * invocation's frame, the answer's next ticks and the connection's keep-alive Timeout, one per connection and
   * re-armed after every answer, hold it), and through the frame the Context, until that connection's next request or
   * for up to keepAliveTimeout on an idle one. Without the link that is the Context alone, not the event (with its
   * body), the request and the response (ADR 0028, addendum "what an answered invocation leaves behind").
   */
  finish() {
    if (this.done) return false;
    this.done = true;
    this.ctx[kInvocation] = null;
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    else if (this.far) unwatchFar(this);
    return true;
  }

  /** The request died before the handler ran. */
  abort() {
    if (!this.finish()) return;
    endInvocation(this.sb);
  }

  /**
   * The deadline passed: answers 504 now. The handler's work cannot be stopped in Node.js; whatever it returns
   * later is discarded, and it counts as in flight no more.
   */
  timeout() {
    if (!this.finish()) return;
    const limit = this.sb.timeoutMs;
    const detail = `function ${this.sb.function} did not finish within its timeout of ${limit} ms; the host ended ` +
      'the invocation and discards its late result. Make the function faster or raise its timeout';
    try { writeFramed(this.ctx, 'error', 'timed out: ' + detail); } catch { /* ignore */ }
    try {
      sendError(this.res, 504, 'timeout', 'function timed out', detail,
        { timeoutMs: limit, invocationId: this.ctx.invocationId });
    } catch (e) {
      podLog('error', 'could not send a timeout: ' + e.message);
    }
    endInvocation(this.sb);
  }

  ok(result) {
    if (!this.finish()) return;
    try {
      writeEncoded(this.res, encodeResult(result, true));
    } catch (e) {
      const detail = 'the function\'s result cannot be sent as an HTTP response: ' + (e && e.message || e);
      try { writeFramed(this.ctx, 'error', detail); } catch { /* ignore */ }
      sendError(this.res, 502, 'response-error', 'response error', detail, { invocationId: this.ctx.invocationId });
    }
    endInvocation(this.sb);
  }

  fail(err) {
    if (!this.finish()) return;
    let type, detail, stack;
    if (err !== null && typeof err === 'object') {
      const name = typeof err.name === 'string' ? err.name : '';
      const ctor = err.constructor && typeof err.constructor.name === 'string' ? err.constructor.name : '';
      type = name && name !== 'Error' ? name : (ctor && ctor !== 'Object' ? ctor : (name || 'Error'));
      detail = err.message !== undefined ? String(err.message) : safeString(err);
      stack = typeof err.stack === 'string' ? err.stack : `${type}: ${detail}`;
    } else {
      type = err === undefined ? 'undefined' : (err === null ? 'null' : typeof err);
      detail = String(err);
      stack = `${type}: ${detail}`;
    }
    try { writeFramed(this.ctx, 'error', 'function error: ' + stack); } catch { /* ignore */ }
    try {
      sendError(this.res, 500, 'function-error', 'function error', detail,
        { type, invocationId: this.ctx.invocationId });
    } catch (e) {
      podLog('error', 'could not send a function error: ' + e.message);
    }
    endInvocation(this.sb);
  }
}

/**
 * Invocations whose deadline was more than NEAR_MS away when they started, swept by one interval timer: a doubly
 * linked list through the invocations themselves (adding and removing one writes a few fields; a Set would hash
 * every new invocation object on its way in and out).
 */
let farHead = null;
let sweepTimer = null;

function watchFar(inv) {
  inv.far = true;
  inv.farNext = farHead;
  if (farHead !== null) farHead.farPrev = inv;
  farHead = inv;
  if (sweepTimer === null) sweepTimer = setInterval(sweepFar, SWEEP_MS);
}

function unwatchFar(inv) {
  inv.far = false;
  const prev = inv.farPrev;
  const next = inv.farNext;
  if (prev === null) farHead = next; else prev.farNext = next;
  if (next !== null) next.farPrev = prev;
  inv.farPrev = null;
  inv.farNext = null;
}

/** Gives each invocation whose deadline is now within NEAR_MS its own timer; stops when none is left to watch. */
function sweepFar() {
  const now = Date.now();
  for (let inv = farHead; inv !== null;) {
    const next = inv.farNext;
    const left = inv.ctx[kDeadline] - now;
    if (left <= NEAR_MS) {
      unwatchFar(inv);
      inv.timer = setTimeout(invocationTimeout, left > 0 ? left : 0, inv);
    }
    inv = next;
  }
  if (farHead === null) { clearInterval(sweepTimer); sweepTimer = null; }
}

function safeString(v) {
  try { return JSON.stringify(v); } catch { return Object.prototype.toString.call(v); }
}

function endInvocation(sb) {
  sb.inFlight--;
  inFlight--;
  if (sb.unloading && sb.inFlight === 0) finishUnload(sb, null);
}

function invocationTimeout(inv) { inv.timeout(); }
// A native promise of a handler settles into these two shared functions (no bound function per invocation): its
// reaction runs in the async context of its then(), made inside runInContext, so the store is the invocation's Context.
// Other thenables may call back from any context: they get functions bound to their invocation.
function settledOk(v) { const inv = als.getStore()[kInvocation]; if (inv !== null) inv.ok(v); } // null: answered already
function settledFail(e) { const inv = als.getStore()[kInvocation]; if (inv !== null) inv.fail(e); }
function invocationOk(v) { this.ok(v); }
function invocationFail(e) { this.fail(e); }

/**
 * Invocation ids the host makes up for a request without X-Nest-Invocation-Id (callers other than the gateway):
 * UUID-shaped, a random part drawn once per host and a counter, so that making one costs no entropy.
 */
const ID_PREFIX = (() => {
  const h = crypto.randomBytes(10).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(12, 15)}-${(8 | (parseInt(h[15], 16) & 3)).toString(16)}${h.slice(16, 19)}-`;
})();
// the counter's last 12 hex digits: the upper 9 as a prefix string made anew every 4096 ids, the lower 3 from a table
const ID_LOW = Array.from({ length: 4096 }, (_, i) => (0x1000 + i).toString(16).slice(1));
let idCounter = 0;
let idHigh = '';
function newInvocationId() {
  idCounter++;
  const low = idCounter & 0xfff;
  if (low === 0 || idHigh === '') {
    const hi = Math.floor(idCounter / 4096) % 0x1000000000; // 9 hex digits
    idHigh = ID_PREFIX + (0x1000000000 + hi).toString(16).slice(1);
  }
  return idHigh + ID_LOW[low];
}

/** Runs the handler of `inv` with `ctx` as the store of `als` (see SCOPED_ENTER); the caller's store after. */
function runInContext(ctx, inv) {
  if (SCOPED_ENTER) invocationScope.runInAsyncScope(enterAndRun, null, ctx, inv);
  else als.run(ctx, runHandler, inv);
}

function enterAndRun(ctx, inv) {
  als.enterWith(ctx);
  runHandler(inv);
}

/** Runs with the invocation's Context as the store of `als` (runInContext). */
function runHandler(inv) {
  const sb = inv.sb;
  let r;
  try {
    if (sb.callbackStyle) return runCallbackStyle(inv);
    r = sb.fn(inv.event, inv.ctx);
    if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
      if (Object.getPrototypeOf(r) === Promise.prototype) r.then(settledOk, settledFail); // not a subclass's own then
      else r.then(invocationOk.bind(inv), invocationFail.bind(inv));
      return;
    }
  } catch (e) {
    return inv.fail(e);
  }
  inv.ok(r);
}

/** Legacy Lambda style: (event, context, callback). A returned promise also settles it; first one wins. */
function runCallbackStyle(inv) {
  const callback = (err, value) => {
    if (err !== undefined && err !== null) inv.fail(err); else inv.ok(value);
  };
  const r = inv.sb.fn(inv.event, inv.ctx, callback);
  if (r !== null && r !== undefined && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
    r.then(invocationOk.bind(inv), (e) => inv.fail(e === undefined || e === null ? new Error('handler promise rejected') : e));
  }
}

// ---------------------------------------------------------------------------
// POST /warmup: the warm pool's warm-up (ADR 0031, addendum "Warm-up of pool pods")
//
// A generic pod of the warm pool waits for its first /load. The node agent asks it once, before the pod counts as
// available, to run its own load and invocation path end to end on a tiny built-in function, so that V8 has compiled
// the host's code (HTTP parsing, /load, require, the event, framing, results) before a real function needs it. The
// warm-up calls this host over HTTP like the node agent does (the TCP port, and the socket when there is one), then
// unloads its function and removes every trace a real function could see: its modules (require.cache, the path
// cache), its environment variable, its code folder; its log lines are never written (its instance is quiet), and
// nothing in the host counts invocations. It runs only before the first real /load, once per host; /load of any
// other id waits for it to end (409). The route is a control route: the secret guards it as /load.

const warmUp = { running: false, done: false, loaded: false, id: '' };
// Cycles of load, invocations and unload, and invocations per cycle. One cycle leaves the load path run once (still
// interpreted on the real /load); more cycles let V8 compile the load and invoke paths (ADR 0031, addendum "Warm-up
// rounds and a compile cache for Node.js").
const WARM_UP_CYCLES = 4;
const WARM_UP_ROUNDS = 16;
const WARM_UP_ENV = 'NEST_WARMUP_PROBE';
const WARM_UP_SOURCE = `'use strict';
exports.handler = async (event, context) => {
  const n = Number(event.query.n);
  const body = event.body === null ? {} : JSON.parse(event.body);
  console.log('warm-up', event.path, event.queryStringParameters);
  context.logger.info('warm-up', context.functionName, context.getRemainingTimeInMillis() > 0);
  if (n % 2 === 0) return { ok: true, n, path: event.path, probe: process.env.${WARM_UP_ENV} };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
};
`;

function warmUpRoute(res) {
  if (warmUp.running || warmUp.done) {
    return sendError(res, 409, 'bad-request', 'already warmed up', 'this host has run its warm-up; it runs once');
  }
  if (warmUp.loaded || instances.size !== 0 || loading.size !== 0) {
    return sendError(res, 409, 'bad-request', 'already loaded',
      'this host has loaded a function; the warm-up runs only before the first /load');
  }
  warmUp.running = true;
  const base = 'nest-warmup-' + crypto.randomBytes(8).toString('hex');
  const t0 = performance.now();
  runWarmUpCycles(base).then((rounds) => {
    warmUp.running = false;
    warmUp.done = true;
    sendJson(res, 200, { warmedUp: true, invocations: rounds, ms: round3(performance.now() - t0) });
  }, (e) => {
    warmUp.running = false;
    warmUp.done = true;
    podLog('warn', 'warm-up failed: ' + (e && e.message || e));
    sendError(res, 500, 'warm-up-failed', 'warm-up failed', 'the host\'s warm-up failed: ' + (e && e.message || e));
  });
}

/** WARM_UP_CYCLES rounds of load, invocations and unload, each under an id of its own (warmUp.id while it runs). */
async function runWarmUpCycles(base) {
  let rounds = 0;
  for (let c = 0; c < WARM_UP_CYCLES; c++) {
    warmUp.id = base + '-' + c;
    rounds += await runWarmUp(warmUp.id, WARM_UP_ROUNDS);
  }
  return rounds;
}

async function runWarmUp(id, invocations) {
  const hadEnv = Object.prototype.hasOwnProperty.call(process.env, WARM_UP_ENV);
  const oldEnv = process.env[WARM_UP_ENV];
  let dir = '';
  let rounds = 0;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-warmup-'));
    fs.writeFileSync(path.join(dir, 'index.js'), WARM_UP_SOURCE, { mode: 0o600 });
    const load = JSON.stringify({
      id, function: 'nest-warmup', version: '1', codeDir: dir, handler: 'index.handler',
      env: { [WARM_UP_ENV]: '1' }, limits: { memoryMb: 64, timeoutMs: 10000 },
    });
    await selfCall(false, 'POST', '/load', load, null);
    for (let i = 0; i < invocations; i++) {
      const viaSocket = socketServer !== null && socketServer.listening && i % 2 === 1;
      const headers = { 'x-nest-invocation-id': 'warmup-' + i, 'x-nest-deadline': String(Date.now() + 10000),
        'content-type': 'application/json', 'traceparent': '00-' + '1'.repeat(32) + '-' + '2'.repeat(16) + '-01' };
      // as the gateway sends them: a GET without a body, then a POST with a JSON body
      if (i % 2 === 0) await selfCall(viaSocket, 'GET', `/invoke/${id}/?n=${i}`, '', headers);
      else await selfCall(viaSocket, 'POST', `/invoke/${id}/warm/${i}?n=${i}&a=b&a=c`, JSON.stringify({ n: i }), headers);
      rounds++;
    }
    await selfCall(false, 'POST', '/unload', JSON.stringify({ id }), null);
  } finally {
    // whatever happened above: nothing of the warm-up stays for the first real function
    const sb = instances.get(id);
    if (sb !== undefined) { instances.delete(id); sb.unloading = true; if (sb.inFlight === 0) finishUnload(sb, null); }
    if (dir !== '') {
      let real = dir;
      try { real = fs.realpathSync(dir); } catch { /* already gone */ }
      purgeModules(real + path.sep);
      if (real !== dir) purgeModules(dir + path.sep);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (hadEnv) process.env[WARM_UP_ENV] = oldEnv; else delete process.env[WARM_UP_ENV];
  }
  return rounds;
}

/** One request to this host, as the node agent makes it; rejects unless it answers 200. */
function selfCall(viaSocket, method, target, body, extra) {
  return new Promise((resolve, reject) => {
    const buf = Buffer.from(body, 'utf8');
    const headers = Object.assign({ 'x-nest-secret': SECRET, 'content-length': String(buf.length) }, extra);
    const opts = { method, path: target, headers, agent: false };
    if (viaSocket) opts.socketPath = SOCKET;
    else { opts.host = loopbackOf(ADDRESS); opts.port = server.address().port; }
    const req = http.request(opts, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 200) return resolve();
        reject(new Error(`${method} ${target.split('?')[0]} answered ${res.statusCode}: ` +
          Buffer.concat(chunks).toString('utf8').slice(0, 300)));
      });
      res.on('error', reject);
    });
    req.setTimeout(10000, () => req.destroy(new Error(`${method} ${target.split('?')[0]} did not answer in 10 s`)));
    req.on('error', reject);
    req.end(buf);
  });
}

function loopbackOf(address) {
  if (address === '0.0.0.0' || address === '') return '127.0.0.1';
  if (address === '::' || address === '[::]') return '::1';
  return address;
}

// ---------------------------------------------------------------------------
// Process-level safety: user code must not kill the host

function describe(err) {
  return err && err.stack ? String(err.stack) : util.inspect(err);
}

process.on('uncaughtException', (err, origin) => {
  const text = `${origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'}: ${describe(err)}`;
  podLog('error', text);
  const ctx = als.getStore();
  if (ctx !== undefined) { try { writeFramed(ctx, 'error', text); } catch { /* ignore */ } }
});

process.on('unhandledRejection', (reason) => {
  const text = 'unhandled rejection: ' + describe(reason);
  podLog('error', text);
  const ctx = als.getStore();
  if (ctx !== undefined) { try { writeFramed(ctx, 'error', text); } catch { /* ignore */ } }
});

// ---------------------------------------------------------------------------
// Start-up and shutdown

function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  ready = false;
  podLog('info', `${signal}: closing; waiting for ${inFlight} in-flight invocation(s)`);
  server.close();
  if (socketServer) socketServer.close();
  if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
  if (socketServer && typeof socketServer.closeIdleConnections === 'function') socketServer.closeIdleConnections();
  const deadline = Date.now() + SHUTDOWN_GRACE_MS;
  const tick = setInterval(() => {
    if (inFlight === 0 || Date.now() >= deadline) {
      clearInterval(tick);
      if (inFlight !== 0) podLog('warn', `exiting with ${inFlight} invocation(s) still in flight`);
      if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
      if (socketServer && typeof socketServer.closeAllConnections === 'function') socketServer.closeAllConnections();
      process.exit(0);
    }
  }, 20);
}

const preloaded = [];

function preload() {
  for (const name of PRELOAD.split(',')) {
    const m = name.trim();
    if (m === '') continue;
    try {
      require(m);
      preloaded.push(m);
    } catch (e) {
      podLog('warn', `preload of "${m}" failed, continuing: ${e && e.message ? e.message.split('\n')[0] : e}`);
    }
  }
}

if (!PORT || !/^\d+$/.test(PORT) || Number(PORT) > 65535) {
  podLog('error', 'NEST_HOST_PORT must be set to a TCP port');
  process.exit(2);
}
if (!SECRET) {
  podLog('error', SECRET_FROM_STDIN ? 'NEST_HOST_SECRET_STDIN is set but stdin held no secret line'
    : 'NEST_HOST_SECRET must be set');
  process.exit(2);
}
if (SECRET_FROM_STDIN) {
  // Nest holds the other end of stdin: its end means Nest died (or dropped this pod), and nobody is left to
  // call this host, so exit now rather than wait for in-flight work.
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => { podLog('warn', 'stdin closed: the node agent is gone; exiting'); process.exit(0); });
  process.stdin.on('error', () => process.exit(0));
}

// The gateway calls over a Unix domain socket when the node agent gives one (NEST_HOST_SOCKET, ADR 0032), besides
// the TCP port (health checks and other callers); both serve the same requests.
const SOCKET = process.env.NEST_HOST_SOCKET || '';
function newServer() {
  const srv = http.createServer({
    keepAlive: true,
    noDelay: true,
    requestTimeout: 0, // each invocation's deadline has its own timer (X-Nest-Deadline)
    headersTimeout: 66000,
    maxHeaderSize: 256 * 1024,
    requireHostHeader: false, // loopback peer; do not insist on Host
  }, onRequest);
  srv.keepAliveTimeout = 65000;
  srv.timeout = 0;
  srv.on('clientError', (err, socket) => {
    if (socket.writable && !socket.destroyed) {
      const body = JSON.stringify({ error: 'bad request', detail: 'malformed HTTP request: ' + (err.code || err.message) });
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Nest-Error: bad-request\r\n' +
        'Connection: close\r\nContent-Length: ' + Buffer.byteLength(body) + '\r\n\r\n' + body);
    } else {
      socket.destroy();
    }
  });
  return srv;
}
const server = newServer();
const socketServer = SOCKET ? newServer() : null;
server.on('error', (e) => {
  // e.message names the code (EADDRINUSE), which the node agent also looks for in the output
  podLog('error', `cannot listen on ${ADDRESS}:${PORT}: ${e.message}`);
  process.exit(e.code === 'EADDRINUSE' ? EXIT_PORT_IN_USE : 1);
});
// the socket first, then the port: once /health answers on the port, the socket is there too
listenSocket(socketServer, SOCKET, podLog, () => server.listen(Number(PORT), ADDRESS, () => {
  preload();
  ready = true;
  podLog('info', `listening on ${ADDRESS}:${server.address().port}${socketServer && socketServer.listening ? ' and ' + SOCKET : ''}`
    + ` (node ${process.version}, pid ${process.pid})`);
}));


process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
