'use strict';
// Tests for runtimes/nodejs/host.js against runtimes/CONTRACT.md.
// Run: node --test runtimes/nodejs/test/
// Fixtures live in runtimes/nodejs/test-fixtures/ (outside test/, because node --test runs
// every .js file below a directory named "test").

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HOST = path.join(__dirname, '..', 'host.js');
const FIX = path.join(__dirname, '..', 'test-fixtures');
const SECRET = 'test-secret-' + Math.random().toString(36).slice(2);

let child;
let port;
let stdout = '';
let stderr = '';
let exitInfo = null;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** One HTTP request to the host; resolves {status, headers, body (Buffer), text, json}. */
function request(method, urlPath, { headers = {}, body, secret = SECRET } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (secret !== null) h['X-Nest-Secret'] = secret;
    let payload = body;
    if (payload !== undefined && !Buffer.isBuffer(payload) && typeof payload !== 'string') {
      payload = JSON.stringify(payload);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
    }
    if (payload !== undefined) h['Content-Length'] = Buffer.byteLength(payload);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const load = (spec) => request('POST', '/load', { body: spec });
const unload = (id) => request('POST', '/unload', { body: { id } });
const fixture = (name) => path.join(FIX, name);

let invCounter = 0;
function invoke(id, rest, opts = {}) {
  const invocationId = opts.invocationId || `inv-${++invCounter}-${Date.now()}`;
  const headers = {
    'X-Nest-Invocation-Id': invocationId,
    'X-Nest-Deadline': String(opts.deadline || Date.now() + 10000),
    ...(opts.headers || {}),
  };
  return request(opts.method || 'GET', `/invoke/${id}${rest}`, { headers, body: opts.body })
    .then((r) => Object.assign(r, { invocationId }));
}

async function waitFor(pred, what, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
}

/** Framed lines of one invocation: [{stream, level, instance, text}] */
function framed(invocationId) {
  const out = [];
  for (const [stream, text] of [['stdout', stdout], ['stderr', stderr]]) {
    for (const line of text.split('\n')) {
      if (!line.startsWith('\u001eNEST\t')) continue;
      const [, inv, instance, level, ...rest] = line.split('\t');
      if (inv === invocationId) out.push({ stream, level, instance, text: rest.join('\t') });
    }
  }
  return out;
}

function assertHostError(r, status, kind) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers['x-nest-error'], kind);
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.equal(typeof r.json.error, 'string');
  assert.equal(typeof r.json.detail, 'string');
  assert.ok(r.json.detail.length > 0);
}

function assertFramedByLength(r) {
  assert.equal(r.headers['transfer-encoding'], undefined, 'must not be chunked');
  assert.equal(Number(r.headers['content-length']), r.body.length);
}

before(async () => {
  port = await freePort();
  child = spawn(process.execPath, [HOST], {
    env: { ...process.env, NEST_HOST_PORT: String(port), NEST_HOST_SECRET: SECRET, NEST_POD_ID: 'pod-test',
      NEST_PRELOAD: `util, ,no-such-preload-module,${path.join(FIX, 'preload', 'probe.js')}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  child.on('exit', (code, signal) => { exitInfo = { code, signal }; });
  const end = Date.now() + 10000;
  for (;;) {
    try {
      const r = await request('GET', '/health');
      if (r.status === 200 && r.json.ready) break;
    } catch { /* not listening yet */ }
    if (exitInfo) throw new Error(`host exited early: ${JSON.stringify(exitInfo)}\n${stderr}`);
    if (Date.now() > end) throw new Error('host did not become ready\n' + stderr);
    await new Promise((r) => setTimeout(r, 20));
  }
});

after(async () => {
  agent.destroy();
  if (child && !exitInfo) child.kill('SIGKILL');
});

describe('start-up and auth', () => {
  it('answers /health', async () => {
    const r = await request('GET', '/health');
    assert.equal(r.status, 200);
    assertFramedByLength(r);
    assert.equal(r.json.ready, true);
    assert.equal(r.json.runtime, 'nodejs');
    assert.equal(r.json.pid, child.pid);
    assert.equal(r.json.inFlight, 0);
    assert.ok(r.json.memory.rssBytes > 0);
    assert.ok(r.json.memory.heapUsedBytes > 0);
    assert.ok(Array.isArray(r.json.instances));
  });

  it('logs a failed preload and keeps going', () => {
    assert.match(stderr, /preload of "no-such-preload-module" failed/);
  });

  it('requires the preloaded modules before it is ready and lists them', async () => {
    const r = await request('GET', '/health');
    assert.deepEqual(r.json.preloaded, ['util', path.join(FIX, 'preload', 'probe.js')]);
    assert.match(stdout, /preload probe evaluated/, 'the module body ran in the host');
  });

  it('rejects requests without the secret', async () => {
    for (const secret of [null, 'wrong', SECRET + 'x', SECRET.replace(/.$/, '#')]) {
      const r = await request('GET', '/health', { secret });
      assertHostError(r, 401, 'unauthorized');
      assertFramedByLength(r);
    }
    const r = await request('POST', '/load', { secret: 'nope', body: { id: 'x', codeDir: fixture('sync') } });
    assertHostError(r, 401, 'unauthorized');
    const r2 = await request('GET', '/invoke/x/', { secret: null });
    assertHostError(r2, 401, 'unauthorized');
    assert.equal((await request('GET', '/health')).json.instances.length, 0, 'nothing loaded by unauthorised /load');
  });

  it('exits non-zero when it cannot bind', async () => {
    const blocker = net.createServer();
    await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const other = spawn(process.execPath, [HOST], {
        env: { ...process.env, NEST_HOST_PORT: String(blocker.address().port), NEST_HOST_SECRET: 'x' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      other.stderr.setEncoding('utf8');
      other.stderr.on('data', (d) => { err += d; });
      const code = await new Promise((r) => other.on('exit', (c) => r(c)));
      assert.equal(code, 98, 'the port-in-use status, so that the node agent starts the pod on another port');
      assert.match(err, /EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });

  it('answers bad requests as JSON errors', async () => {
    assertHostError(await request('GET', '/nope'), 404, 'bad-request');
    assertHostError(await request('GET', '/load'), 405, 'bad-request');
    assertHostError(await request('POST', '/load', { body: '{not json', headers: { 'Content-Type': 'application/json' } }), 400, 'bad-request');
    assertHostError(await load({ id: 'bad id!', codeDir: fixture('sync') }), 400, 'bad-request');
    assertHostError(await load({ id: 'x' }), 400, 'bad-request');
  });
});

describe('load and invoke', () => {
  it('loads an async handler, 409 on a second load', async () => {
    const r = await load({ id: 's-async', function: 'default/echo', version: '3', codeDir: fixture('async'),
      handler: 'index.handler', env: { GREETING: 'hi' }, limits: { memoryMb: 128, timeoutMs: 30000, concurrency: 1 } });
    assert.equal(r.status, 200, r.text);
    assertFramedByLength(r);
    assert.equal(r.json.id, 's-async');
    assert.equal(typeof r.json.timings.loadMs, 'number');
    assert.equal(r.json.timings.initMs, 0);
    const again = await load({ id: 's-async', function: 'default/echo', version: '3', codeDir: fixture('async') });
    assert.equal(again.status, 409);
    assert.equal(again.headers['x-nest-error'], 'bad-request');
    const h = await request('GET', '/health');
    assert.deepEqual(h.json.instances, [{ id: 's-async', function: 'default/echo', version: '3', inFlight: 0, healthy: true }]);
  });

  it('builds the event and context', async () => {
    const deadline = Date.now() + 5000;
    const r = await invoke('s-async', '/users/1%2F2?a=1&a=2&b=x%20y&c=a+b&empty=&flag', {
      deadline,
      headers: { 'X-Custom': 'v1', 'Accept': 'text/plain', 'X-Nest-Extra': 'hidden',
        'traceparent': '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    assert.equal(r.status, 200, r.text);
    assertFramedByLength(r);
    assert.equal(r.headers['content-type'], 'application/json');
    const { event, context } = r.json;
    assert.equal(event.method, 'GET');
    assert.equal(event.httpMethod, 'GET');
    assert.equal(event.path, '/users/1%2F2', 'path as received, not percent-decoded');
    assert.deepEqual(event.query, { a: '2', b: 'x y', c: 'a b', empty: '', flag: '' });
    assert.deepEqual(event.queryStringParameters, event.query);
    assert.deepEqual(event.multiValueQueryStringParameters, { a: ['1', '2'], b: ['x y'], c: ['a b'], empty: [''], flag: [''] });
    assert.equal(event.headers['x-custom'], 'v1');
    assert.equal(event.headers.accept, 'text/plain');
    assert.deepEqual(event.multiValueHeaders['x-custom'], ['v1']);
    for (const k of Object.keys(event.headers)) {
      assert.equal(k, k.toLowerCase());
      assert.ok(!k.startsWith('x-nest-'), `${k} must be stripped`);
    }
    for (const k of Object.keys(event.multiValueHeaders)) assert.ok(!k.startsWith('x-nest-'));
    assert.equal(event.body, null);
    assert.equal(event.isBase64Encoded, false);
    assert.deepEqual(event.requestContext, { requestId: r.invocationId, httpMethod: 'GET', path: '/users/1%2F2' });

    assert.equal(context.functionName, 'default/echo');
    assert.equal(context.functionVersion, '3');
    assert.equal(context.invocationId, r.invocationId);
    assert.equal(context.awsRequestId, r.invocationId);
    assert.equal(context.memoryLimitInMB, 128);
    assert.ok(context.remaining > 3000 && context.remaining <= 5000, String(context.remaining));
    assert.deepEqual(context.env, { GREETING: 'hi' });
    assert.equal(context.processEnv, 'hi', 'env merged into process.env');
    assert.equal(context.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.equal(context.traceId, '0af7651916cd43dd8448eb211c80319c');
  });

  it('handles no query, root path and duplicate headers', async () => {
    const r = await invoke('s-async', '', { method: 'DELETE' });
    assert.equal(r.status, 200, r.text);
    const { event } = r.json;
    assert.equal(event.path, '/');
    assert.equal(event.method, 'DELETE');
    assert.deepEqual(event.query, {});
    assert.equal(event.queryStringParameters, null);
    assert.equal(event.multiValueQueryStringParameters, null);
    const r2 = await invoke('s-async', '/x?', {});
    assert.equal(r2.json.event.queryStringParameters, null);
    assert.equal(r2.json.event.path, '/x');

    const r3 = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/invoke/s-async/dup', method: 'GET', agent,
        headers: { 'X-Nest-Secret': SECRET, 'X-Multi': ['one', 'two'] } }, (res) => {
        let b = '';
        res.on('data', (c) => { b += c; });
        res.on('end', () => resolve(JSON.parse(b)));
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(r3.event.multiValueHeaders['x-multi'], ['one', 'two']);
    assert.equal(r3.event.headers['x-multi'], 'two');
    assert.equal(typeof r3.context.invocationId, 'string', 'an invocation id is made up when the header is missing');
    assert.match(r3.context.invocationId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      'a made-up invocation id has the form of a UUID');
    assert.equal(r3.event.requestContext.requestId, r3.context.invocationId);
    assert.equal(r3.context.traceparent, '', 'no traceparent header: none in the context');
    assert.equal(r3.context.traceId, '');
    const r4 = await new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/invoke/s-async/again', method: 'GET', agent,
        headers: { 'X-Nest-Secret': SECRET } }, (res) => {
        let b = '';
        res.on('data', (c) => { b += c; });
        res.on('end', () => resolve(JSON.parse(b)));
      });
      req.on('error', reject);
      req.end();
    });
    assert.notEqual(r4.context.invocationId, r3.context.invocationId, 'each made-up invocation id is new');
  });

  it('passes textual bodies as strings and others as base64', async () => {
    const json = await invoke('s-async', '/b', { method: 'POST', body: '{"x":1}', headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(json.json.event.body, '{"x":1}');
    assert.equal(json.json.event.isBase64Encoded, false);
    assert.equal(json.json.event.headers['content-type'], 'application/json; charset=utf-8');

    for (const ct of ['text/plain', 'application/vnd.api+json', 'application/xml', 'image/svg+xml',
      'application/javascript', 'application/x-www-form-urlencoded', 'TEXT/HTML']) {
      const r = await invoke('s-async', '/b', { method: 'PUT', body: 'héllo wörld', headers: { 'Content-Type': ct } });
      assert.equal(r.json.event.body, 'héllo wörld', ct);
      assert.equal(r.json.event.isBase64Encoded, false, ct);
    }
    const noCt = await invoke('s-async', '/b', { method: 'POST', body: 'plain' });
    assert.equal(noCt.json.event.body, 'plain');
    assert.equal(noCt.json.event.isBase64Encoded, false);

    const bin = Buffer.from([0, 1, 2, 3, 254, 255, 0x80]);
    const b = await invoke('s-async', '/b', { method: 'POST', body: bin, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(b.json.event.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(b.json.event.body, 'base64'), bin);

    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const bb = await invoke('s-async', '/b', { method: 'POST', body: big, headers: { 'Content-Type': 'image/png' } });
    assert.equal(bb.status, 200);
    assert.equal(Buffer.from(bb.json.event.body, 'base64').length, big.length);

    const empty = await invoke('s-async', '/b', { method: 'POST', body: '', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(empty.json.event.body, null);
  });

  it('frames the log lines of an invocation', async () => {
    const r = await invoke('s-async', '/logs');
    assert.equal(r.status, 200);
    await waitFor(() => framed(r.invocationId).some((l) => l.text === 'after await'), 'framed lines');
    const lines = framed(r.invocationId);
    const has = (stream, level, text) => assert.ok(
      lines.some((l) => l.stream === stream && l.level === level && l.text === text),
      `missing ${stream}/${level} "${text}" in ${JSON.stringify(lines, null, 1)}`);
    for (const l of lines) assert.equal(l.instance, 's-async');
    has('stdout', 'info', "hello from async { path: '/logs' }");
    has('stdout', 'info', 'line one');
    has('stdout', 'info', 'line two');
    has('stderr', 'warn', 'careful');
    has('stderr', 'error', 'bad thing');
    has('stdout', 'debug', 'dbg');
    has('stdout', 'info', 'via logger');
    has('stdout', 'info', 'via context.log');
    has('stdout', 'info', 'raw write');
    has('stdout', 'info', 'after await');
    // outside invocations, output stays unframed (pod lines)
    assert.match(stdout, /^nest-host pod=pod-test info: listening on/m);
  });

  it('sends plain results as JSON 200', async () => {
    assert.equal((await load({ id: 's-sync', function: 'default/sync', version: '1', codeDir: fixture('sync') })).status, 200);
    const r = await invoke('s-sync', '/?name=nest');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.text, '"hello nest"');
    assertFramedByLength(r);
    const u = await invoke('s-sync', '/undefined');
    assert.equal(u.status, 200);
    assert.equal(u.text, 'null');
    assert.equal((await invoke('s-sync', '/number')).text, '42');
  });

  it('turns statusCode results into HTTP responses', async () => {
    const l = await load({ id: 's-http', function: 'default/http', version: '1', codeDir: fixture('http'), handler: 'src/app.handler' });
    assert.equal(l.status, 200, l.text);

    const bin = await invoke('s-http', '/bin');
    assert.equal(bin.status, 201);
    assertFramedByLength(bin);
    assert.equal(bin.headers['content-type'], 'image/png');
    assert.equal(bin.headers['x-custom'], '7');
    assert.deepEqual(bin.headers['set-cookie'], ['a=1', 'b=2']);
    assert.deepEqual(bin.body, Buffer.from([0, 1, 2, 250, 255]));

    const text = await invoke('s-http', '/text');
    assert.equal(text.status, 418);
    assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(text.text, 'I am a teapot ☕');
    assertFramedByLength(text);

    const obj = await invoke('s-http', '/object');
    assert.equal(obj.status, 200);
    assert.equal(obj.headers['content-type'], 'application/json');
    assert.equal(obj.headers['x-a'], 'b');
    assert.deepEqual(obj.json, { ok: true });

    const empty = await invoke('s-http', '/empty');
    assert.equal(empty.status, 202);
    assert.equal(empty.headers['content-length'], '0');
    assert.equal(empty.text, '');

    const nc = await invoke('s-http', '/no-content');
    assert.equal(nc.status, 204);
    assert.equal(nc.headers['x-a'], 'b');

    const echo = await invoke('s-http', '/echo-body', { method: 'POST', body: 'abc', headers: { 'Content-Type': 'text/csv' } });
    assert.deepEqual(echo.json, { body: 'abc', isBase64Encoded: false });

    // the connection is still usable after all of these
    assert.equal((await invoke('s-http', '/missing')).status, 404);
  });

  it('answers 502 response-error for results that cannot be sent', async () => {
    for (const p of ['/bad-status', '/cycle', '/cycle-body', '/bad-header']) {
      const r = await invoke('s-http', p);
      assertHostError(r, 502, 'response-error');
      assertFramedByLength(r);
    }
    assert.equal((await invoke('s-http', '/text')).status, 418, 'instance still works');
  });

  it('answers 500 function-error when the handler throws', async () => {
    assert.equal((await load({ id: 's-throws', function: 'default/throws', version: '1', codeDir: fixture('throws') })).status, 200);
    const cases = [['/async', 'Error', 'async boom'], ['/sync', 'TypeError', 'sync boom'],
      ['/custom', 'ValidationError', 'bad input'], ['/string', 'string', 'just a string']];
    for (const [p, type, detail] of cases) {
      const r = await invoke('s-throws', p);
      assertHostError(r, 500, 'function-error');
      assertFramedByLength(r);
      assert.deepEqual(r.json, { error: 'function error', detail, type, invocationId: r.invocationId });
    }
    const r = await invoke('s-throws', '/sync');
    await waitFor(() => framed(r.invocationId).some((l) => l.level === 'error' && /^\s+at /.test(l.text)), 'stack lines');
    const lines = framed(r.invocationId);
    assert.ok(lines.every((l) => l.stream === 'stderr' && l.level === 'error'));
    assert.ok(lines.some((l) => l.text.includes('TypeError: sync boom')));
    const h = await request('GET', '/health');
    assert.ok(h.json.instances.some((s) => s.id === 's-throws'), 'the instance stays loaded');
  });

  it('supports callback-style handlers', async () => {
    assert.equal((await load({ id: 's-cb', function: 'default/cb', version: '1', codeDir: fixture('callback') })).status, 200);
    const r = await invoke('s-cb', '/');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { via: 'callback', id: r.invocationId });
    const f = await invoke('s-cb', '/fail');
    assertHostError(f, 500, 'function-error');
    assert.equal(f.json.type, 'RangeError');
  });

  it('runs an exported init() and reports initMs', async () => {
    const r = await load({ id: 's-init', function: 'default/init', version: '1', codeDir: fixture('init') });
    assert.equal(r.status, 200);
    assert.ok(r.json.timings.initMs >= 20, JSON.stringify(r.json));
    assert.equal((await invoke('s-init', '/')).json, 'warm');
  });
});

describe('modules', () => {
  it('resolves the function\'s own node_modules and gives each instance a fresh instance', async () => {
    assert.equal((await load({ id: 's-deps', function: 'default/deps', version: '1', codeDir: fixture('deps') })).status, 200);
    assert.deepEqual((await invoke('s-deps', '/?name=Ada')).json, { greeting: 'Hello, Ada!', calls: 1 });
    assert.deepEqual((await invoke('s-deps', '/')).json, { greeting: 'Hello, you!', calls: 2 });

    // same code in another instance: its own module instance
    assert.equal((await load({ id: 's-deps-b', function: 'default/deps', version: '1', codeDir: fixture('deps') })).status, 200);
    assert.equal((await invoke('s-deps-b', '/')).json.calls, 1);
    assert.equal((await invoke('s-deps', '/')).json.calls, 3);

    // another version from another codeDir
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-deps-'));
    fs.cpSync(fixture('deps'), dir2, { recursive: true });
    fs.writeFileSync(path.join(dir2, 'node_modules', 'greeter', 'index.js'), 'exports.greet = (n) => `Hi v2, ${n}`;\n');
    try {
      assert.equal((await load({ id: 's-deps-v2', function: 'default/deps', version: '2', codeDir: dir2 })).status, 200);
      assert.deepEqual((await invoke('s-deps-v2', '/?name=Bo')).json, { greeting: 'Hi v2, Bo', calls: 1 });
      assert.deepEqual((await invoke('s-deps', '/?name=Bo')).json, { greeting: 'Hello, Bo!', calls: 4 });
    } finally {
      await unload('s-deps-v2');
      fs.rmSync(dir2, { recursive: true, force: true });
    }

    // unload and load again: a fresh instance
    assert.equal((await unload('s-deps')).status, 200);
    assert.equal((await load({ id: 's-deps', function: 'default/deps', version: '1', codeDir: fixture('deps') })).status, 200);
    assert.equal((await invoke('s-deps', '/')).json.calls, 1);
    await unload('s-deps-b');
  });

  it('answers 422 load-failed with a useful detail', async () => {
    const cases = [
      [{ codeDir: fixture('syntax') }, /syntax error in index\.js:3/],
      [{ codeDir: fixture('noexport') }, /index does not export "handler".*somethingElse/],
      [{ codeDir: fixture('notfn') }, /"handler" exported by index is a string, not a function/],
      [{ codeDir: fixture('missingdep') }, /not-installed-anywhere/],
      [{ codeDir: fixture('sync'), handler: 'nope.handler' }, /nope\.js not found/],
      [{ codeDir: fixture('sync'), handler: 'index' }, /file\.export/],
      [{ codeDir: path.join(FIX, 'does-not-exist') }, /not a readable directory/],
    ];
    for (const [spec, re] of cases) {
      const r = await load({ id: 's-bad', function: 'default/bad', version: '1', ...spec });
      assertHostError(r, 422, 'load-failed');
      assert.equal(r.json.error, 'load failed');
      assert.match(r.json.detail, re);
      // nothing left behind
      const inv = await invoke('s-bad', '/');
      assertHostError(inv, 404, 'not-loaded');
    }
    const ok = await load({ id: 's-bad', function: 'default/bad', version: '1', codeDir: fixture('sync') });
    assert.equal(ok.status, 200, 'the id is free again');
    await unload('s-bad');
  });
});

describe('deadlines', () => {
  before(async () => {
    assert.equal((await load({ id: 's-hang', function: 'default/hang', version: '1', codeDir: fixture('hang'),
      limits: { timeoutMs: 150 } })).status, 200);
  });

  it('answers 504 at the deadline of a handler that never settles, and keeps serving', async () => {
    const r = await invoke('s-hang', '/?hang=1', { deadline: Date.now() + 150 });
    assertHostError(r, 504, 'timeout');
    assert.equal(r.json.timeoutMs, 150);
    assert.equal(r.json.invocationId, r.invocationId);
    assert.match(r.json.detail, /timeout of 150 ms/);
    assert.ok(framed(r.invocationId).some((l) => l.level === 'error' && /timed out/.test(l.text)), 'a framed line');
    const next = await invoke('s-hang', '/');
    assert.equal(next.status, 200, next.text);
    assert.equal(next.json.ok, true);
    const h = await request('GET', '/health');
    assert.equal(h.json.instances.find((i) => i.id === 's-hang').inFlight, 0, 'the ended invocation is not in flight');
  });

  it('discards the late result of an invocation it ended', async () => {
    const r = await invoke('s-hang', '/?late=300', { deadline: Date.now() + 100 });
    assertHostError(r, 504, 'timeout');
    await waitFor(() => framed(r.invocationId).some((l) => l.text === 'late result computed'), 'the late result');
    const next = await invoke('s-hang', '/');
    assert.equal(next.status, 200, next.text);
    assert.equal(exitInfo, null);
  });

  it('keeps a deadline further away than its own timer is set for (swept, then timed), never early', async () => {
    // more than the host's NEAR_MS away: the invocation waits in the swept set before it gets its own timer
    const deadline = Date.now() + 1600;
    const [slow, quick] = await Promise.all([
      invoke('s-hang', '/?hang=1', { deadline }),
      invoke('s-hang', '/?late=10', { deadline: Date.now() + 60000 }), // a far one that ends on its own
    ]);
    assertHostError(slow, 504, 'timeout');
    assert.ok(Date.now() >= deadline, 'not answered before its deadline');
    assert.equal(quick.status, 200, quick.text);
    const h = await request('GET', '/health');
    assert.equal(h.json.instances.find((i) => i.id === 's-hang').inFlight, 0, 'neither is in flight any more');
  });

  it('keeps every far deadline when others end first, from the head, the middle and the tail of the far list', async () => {
    const deadline = Date.now() + 1600;
    const calls = [];
    // hanging and quick invocations interleaved: the quick ones leave the far list from every position
    for (let i = 0; i < 7; i++) {
      calls.push(i % 2 === 0 ? invoke('s-hang', `/?hang=${i}`, { deadline })
        : invoke('s-hang', `/?late=${5 * i}`, { deadline: Date.now() + 60000 }));
    }
    const answers = await Promise.all(calls);
    answers.forEach((r, i) => {
      if (i % 2 === 0) assertHostError(r, 504, 'timeout');
      else assert.equal(r.status, 200, r.text);
    });
    assert.ok(Date.now() >= deadline, 'not answered before their deadline');
    const h = await request('GET', '/health');
    assert.equal(h.json.instances.find((i) => i.id === 's-hang').inFlight, 0, 'none is in flight any more');
  });

  it('answers at once when the deadline has passed', async () => {
    assertHostError(await invoke('s-hang', '/?hang=1', { deadline: Date.now() - 1000 }), 504, 'timeout');
  });

  it('answers a handler that finishes in time as usual', async () => {
    const r = await invoke('s-hang', '/?late=10', { deadline: Date.now() + 5000 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { late: true });
  });
});

describe('unload', () => {
  it('unloads; then 404 not-loaded', async () => {
    const r = await unload('s-sync');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { id: 's-sync' });
    assertHostError(await invoke('s-sync', '/'), 404, 'not-loaded');
    assertHostError(await unload('s-sync'), 404, 'not-loaded');
    assertHostError(await invoke('never-loaded', '/x'), 404, 'not-loaded');
  });

  it('lets in-flight invocations finish first', async () => {
    assert.equal((await load({ id: 's-drain', function: 'default/slow', version: '1', codeDir: fixture('slow') })).status, 200);
    const order = [];
    const pending = invoke('s-drain', '/?n=1').then((r) => { order.push('invoke'); return r; });
    await new Promise((r) => setTimeout(r, 8)); // the handler is now sleeping (20 ms)
    const u = unload('s-drain').then((r) => { order.push('unload'); return r; });
    const inv = await pending;
    assert.equal(inv.status, 200);
    assert.equal(inv.json.n, '1');
    assert.equal((await u).status, 200);
    assert.deepEqual(order, ['invoke', 'unload']);
    assertHostError(await invoke('s-drain', '/'), 404, 'not-loaded');
  });
});

/**
 * Raw HTTP/1.1 exchanges on one keep-alive connection: each request's answer as {statusLine, headers (the header
 * lines as sent, Date's value masked), body (Buffer)}. Requests are written one at a time, in order. With `open`
 * (an array), the connection is left open and pushed there, for the caller to destroy.
 */
async function rawExchanges(requests, open = null) {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  let buf = Buffer.alloc(0);
  let wake = null;
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); if (wake) wake(); });
  const out = [];
  try {
    for (const req of requests) {
      sock.write(req);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end !== -1) {
          const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
          const cl = lines.find((l) => /^content-length:/i.test(l));
          const len = cl === undefined ? 0 : Number(cl.slice(cl.indexOf(':') + 1));
          if (buf.length >= end + 4 + len) {
            out.push({ statusLine: lines[0], headers: lines.slice(1).map((l) => (/^Date: /.test(l) ? 'Date: *' : l)),
              body: Buffer.from(buf.subarray(end + 4, end + 4 + len)) });
            buf = buf.subarray(end + 4 + len);
            break;
          }
        }
        await new Promise((r) => { wake = r; });
        wake = null;
      }
    }
  } finally {
    if (open === null) sock.destroy(); else open.push(sock);
  }
  return out;
}

const rawGet = (id, p, extra = '') =>
  `GET /invoke/${id}${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Nest-Secret: ${SECRET}\r\n${extra}\r\n`;

describe('answers of the common shape (one shared encoding)', () => {
  before(async () => {
    for (const [id, fn] of [['s-c', 'default/c'], ['s-cc', 'default/cc'], ['s-c2', 'default/c2']]) {
      const l = await load({ id, function: fn, version: '1', codeDir: fixture('common') });
      assert.equal(l.status, 200, l.text);
    }
  });

  it('writes each answer with its own status, header name, value and length, byte for byte as before', async () => {
    const plain = (status, ct, body, ctName = 'content-type') => ({
      statusLine: `HTTP/1.1 ${status}`,
      headers: [`${ctName}: ${ct}`, `Content-Length: ${Buffer.byteLength(body)}`, 'Date: *', 'Connection: keep-alive',
        'Keep-Alive: timeout=65'],
      body: Buffer.from(body),
    });
    const expected = [
      ['/hello', plain('200 OK', 'text/plain', 'hello')],
      ['/hello', plain('200 OK', 'text/plain', 'hello')],
      ['/same-object', plain('200 OK', 'text/plain', 'hello')],
      ['/utf8', plain('200 OK', 'text/plain', 'h\u00e9llo')], // as many characters as 'hello', one byte more
      ['/hello', plain('200 OK', 'text/plain', 'hello')],
      ['/long', plain('200 OK', 'text/plain', 'hello, world')],
      ['/html', plain('200 OK', 'text/html', 'hello', 'Content-Type')],
      ['/hello', plain('200 OK', 'text/plain', 'hello')],
      ['/created', plain('201 Created', 'text/plain', 'hello')],
      ['/hello', plain('200 OK', 'text/plain', 'hello')],
      ['/large?n=1', plain('200 OK', 'text/plain', 'x'.repeat(5000) + '1')], // longer than the shared encoding keeps
      ['/large?n=1', plain('200 OK', 'text/plain', 'x'.repeat(5000) + '1')],
      ['/large?n=22', plain('200 OK', 'text/plain', 'x'.repeat(5000) + '22')],
      ['/hello', plain('200 OK', 'text/plain', 'hello')],
    ];
    const got = await rawExchanges(expected.map(([p]) => rawGet('s-c', p)));
    got.forEach((g, i) => assert.deepEqual(g, expected[i][1], `answer ${i} (${expected[i][0]})`));
  });

  it('keeps the general encoding for every other shape, between answers of the common one', async () => {
    const paths = ['/hello', '/other-header', '/hello', '/number-value', '/no-content', '/hello', '/base64', '/multi',
      '/proto', '/proto-only', '/constructor', '/inherited', '/hello', '/own-and-inherited', '/own-and-hidden', '/hello'];
    const got = await rawExchanges(paths.map((p) => rawGet('s-c', p)));
    const byPath = (p) => got[paths.indexOf(p)];
    const tail = ['Date: *', 'Connection: keep-alive', 'Keep-Alive: timeout=65'];
    assert.deepEqual(byPath('/other-header').headers,
      ['x-a: b', 'Content-Type: text/plain; charset=utf-8', 'Content-Length: 5', ...tail]);
    assert.deepEqual(byPath('/number-value').headers, ['content-type: 7', 'Content-Length: 5', ...tail]);
    assert.equal(byPath('/no-content').statusLine, 'HTTP/1.1 204 No Content');
    assert.deepEqual(byPath('/no-content').headers, ['content-type: text/plain', ...tail]);
    assert.deepEqual(byPath('/base64').headers, ['content-type: text/plain', 'Content-Length: 2', ...tail]);
    assert.equal(byPath('/base64').body.toString(), 'hi');
    assert.deepEqual(byPath('/multi').headers, ['content-type: text/csv', 'Content-Length: 5', ...tail]);
    assert.deepEqual(byPath('/proto').headers, ['__proto__: p', 'content-type: text/plain', 'Content-Length: 5', ...tail]);
    assert.deepEqual(byPath('/proto-only').headers,
      ['__proto__: p', 'Content-Type: text/plain; charset=utf-8', 'Content-Length: 5', ...tail]);
    assert.deepEqual(byPath('/constructor').headers,
      ['constructor: c', 'Content-Type: text/plain; charset=utf-8', 'Content-Length: 5', ...tail]);
    assert.deepEqual(byPath('/inherited').headers,
      ['Content-Type: text/plain; charset=utf-8', 'Content-Length: 5', ...tail], 'inherited headers are not sent');
    assert.deepEqual(byPath('/own-and-inherited').headers, ['content-type: text/plain', 'Content-Length: 5', ...tail],
      'only the own header is sent');
    assert.deepEqual(byPath('/own-and-hidden').headers, ['content-type: text/plain', 'Content-Length: 5', ...tail],
      'a header that is not enumerable is not sent');
    for (const i of [0, 2, 5, 12, 13, 14, 15]) {
      assert.deepEqual(got[i].headers, ['content-type: text/plain', 'Content-Length: 5', ...tail], `answer ${i}`);
      assert.equal(got[i].body.toString(), 'hello');
    }
  });

  it('answers 502 for a header value that cannot be sent, each time, and keeps serving', async () => {
    const got = await rawExchanges([rawGet('s-c', '/bad-value'), rawGet('s-c', '/bad-value'), rawGet('s-c', '/hello')]);
    for (const g of got.slice(0, 2)) {
      assert.match(g.statusLine, /^HTTP\/1\.1 502 Bad Gateway\r?$/);
      assert.ok(g.headers.includes('X-Nest-Error: response-error'), g.headers.join('|'));
      assert.ok(!g.headers.some((h) => /x-injected/i.test(h)));
    }
    assert.equal(got[2].statusLine, 'HTTP/1.1 200 OK');
    assert.equal(got[2].body.toString(), 'hello');
  });

  it('reads each field of a result once', async () => {
    const r = await invoke('s-c', '/getters');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, 'hello');
    assert.equal(r.headers['content-type'], 'text/plain');
    const reads = await invoke('s-c', '/reads');
    assert.deepEqual(reads.json, { statusCode: 1, headers: 1, body: 1, multiValueHeaders: 1, isBase64Encoded: 1, 'content-type': 1 });
  });

  it('finds each instance by its id when ids share a prefix or alternate, and none after its unload', async () => {
    const order = ['s-c', 's-cc', 's-c', 's-c2', 's-c2', 's-cc', 's-c'];
    const got = await rawExchanges(order.map((id) => rawGet(id, '/event')));
    got.forEach((g, i) => assert.equal(JSON.parse(g.body).function, `default/${order[i].slice(2)}`, `request ${i}`));
    assert.equal((await invoke('s-c2', '/hello')).status, 200);
    assert.equal((await unload('s-c2')).status, 200);
    assertHostError(await invoke('s-c2', '/hello'), 404, 'not-loaded');
    assert.equal((await invoke('s-cc', '/hello')).status, 200);
    assertHostError(await invoke('s-', '/hello'), 404, 'not-loaded'); // a prefix of loaded ids
  });

  it('gives the function an event of own data properties: spread and JSON give every field', async () => {
    const r = await invoke('s-c', '/event?a=1', { headers: { 'X-One': '1' } });
    const e = r.json;
    assert.deepEqual(e.keys, ['method', 'httpMethod', 'path', 'query', 'queryStringParameters',
      'multiValueQueryStringParameters', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded', 'requestContext']);
    assert.deepEqual(e.accessors, []);
    assert.equal(e.proto, true);
    assert.deepEqual(e.spread, e.json);
    assert.deepEqual(e.json.multiValueHeaders['x-one'], ['1']);
    assert.equal(e.json.headers['x-one'], '1');
  });

  it('lower-cases each request\'s own header names, whatever the names before it sent at the same positions', async () => {
    const long = 'X-' + 'Long'.repeat(40);
    const sent = [['X-Case: 1\r\nAccept: a\r\n', { 'x-case': '1', accept: 'a' }],
      ['x-CASE: 2\r\nACCEPT: b\r\n', { 'x-case': '2', accept: 'b' }],
      ['Other: 3\r\nX-Case: 4\r\n', { other: '3', 'x-case': '4' }],
      [`${long}: 5\r\nX-Case: 6\r\n`, { [long.toLowerCase()]: '5', 'x-case': '6' }],
      [`${long.toUpperCase()}: 7\r\n`, { [long.toLowerCase()]: '7' }]];
    const got = await rawExchanges(sent.map(([h]) => `GET /invoke/s-c/event HTTP/1.1\r\n${h}X-Nest-Secret: ${SECRET}\r\n\r\n`));
    got.forEach((g, i) => assert.deepEqual(JSON.parse(g.body).json.headers, sent[i][1], `request ${i}`));
  });

  it('takes hostile request header names, duplicates and hundreds of headers into the event as before; too many bytes: 400', async () => {
    const lines = ['__proto__: p1', 'constructor: c1', 'Constructor: c2', 'hasOwnProperty: h', 'toString: t',
      'X-Dup: a', 'x-dup: b', 'X-DUP: c', 'x-nest-secret-like: s'];
    for (let i = 0; i < 300; i++) lines.push(`x-h-${i}: ${i}`);
    for (let i = 0; i < 150; i++) lines.push(`x-many: ${i}`);
    const [g] = await rawExchanges([rawGet('s-c', '/event', lines.map((l) => l + '\r\n').join(''))]);
    assert.equal(g.statusLine, 'HTTP/1.1 200 OK', g.body.toString());
    const e = JSON.parse(g.body);
    assert.equal(e.headersProto, true, 'a __proto__ header does not change the headers object\'s prototype');
    assert.equal(Object.hasOwn(e.json.headers, '__proto__'), false);
    assert.ok(!e.headerKeys.includes('__proto__'));
    assert.equal(e.json.headers.constructor, 'c2');
    assert.deepEqual(e.json.multiValueHeaders.constructor, ['c1', 'c2']);
    assert.equal(e.json.headers.hasownproperty, 'h');
    assert.equal(e.json.headers.tostring, 't');
    assert.equal(e.json.headers['x-dup'], 'c');
    assert.deepEqual(e.json.multiValueHeaders['x-dup'], ['a', 'b', 'c']);
    assert.equal(e.json.headers['x-h-299'], '299');
    assert.equal(e.headerKeys.length, 306, 'each name once: host, constructor, hasownproperty, tostring, x-dup, x-many, 300 x-h-*; no __proto__');
    assert.equal(e.json.multiValueHeaders['x-many'].length, 150);
    assert.equal(e.json.headers['x-many'], '149');
    assert.equal(e.json.headers['x-nest-secret-like'], undefined, 'x-nest-* headers are the host\'s, not the event\'s');
    assert.deepEqual(e.spread, e.json);
    // more header bytes than the host's maxHeaderSize (256 KiB): a clear 400, and the host keeps serving
    const huge = `x-huge: ${'v'.repeat(300 * 1024)}\r\n`;
    const [over] = await rawExchanges([rawGet('s-c', '/event', huge)]);
    assert.equal(over.statusLine, 'HTTP/1.1 400 Bad Request');
    assert.match(over.body.toString(), /malformed HTTP request: HPE_HEADER_OVERFLOW/);
    assert.equal((await invoke('s-c', '/hello')).text, 'hello');
  });
});

describe('answers and what they keep', () => {
  it('keeps no event of an answered invocation alive on an idle keep-alive connection, whatever way it ended', async () => {
    assert.equal((await load({ id: 's-retain', function: 'default/r', version: '1', codeDir: fixture('retain') })).status, 200);
    const paths = ['/promise', '/rejected', '/value', '/throws', '/thenable'];
    const open = [];
    try {
      // each on a connection of its own, left open and idle (its keep-alive timeout armed) while /count runs
      for (const p of paths) {
        const [a] = await rawExchanges([rawGet('s-retain', p)], open);
        const failed = p === '/rejected' || p === '/throws';
        assert.equal(a.statusLine, failed ? 'HTTP/1.1 500 Internal Server Error' : 'HTTP/1.1 200 OK', p);
        if (!failed) assert.equal(a.body.toString(), 'kept ' + p);
      }
      const c = await invoke('s-retain', '/count');
      assert.equal(c.status, 200, c.text);
      assert.deepEqual(c.json, { alive: 0, kept: paths.length });
    } finally {
      for (const sock of open) sock.destroy();
    }
  });
});

describe('robustness', () => {
  it('survives uncaught exceptions and unhandled rejections from user code', async () => {
    assert.equal((await load({ id: 's-uncaught', function: 'default/u', version: '1', codeDir: fixture('uncaught') })).status, 200);
    const r = await invoke('s-uncaught', '/');
    assert.equal(r.status, 200);
    await waitFor(() => /late boom/.test(stderr) && /nobody catches me/.test(stderr), 'uncaught logs');
    assert.match(stderr, /nest-host pod=pod-test error: uncaught exception: Error: late boom/);
    const h = await request('GET', '/health');
    assert.equal(h.status, 200);
    assert.equal(exitInfo, null);
    assert.equal((await invoke('s-uncaught', '/')).status, 200);
  });

  it('answers each invocation whose handler returns a thenable that settles outside it', async () => {
    assert.equal((await load({ id: 's-thenable', function: 'default/t', version: '1', codeDir: fixture('thenable') })).status, 200);
    const paths = ['/a', '/b', '/c', '/d'];
    const rs = await Promise.all(paths.map((p) => invoke('s-thenable', p)));
    rs.forEach((r, i) => { assert.equal(r.status, 200); assert.deepEqual(r.json, { path: paths[i] }); });
    const f = await invoke('s-thenable', '/fail');
    assert.equal(f.status, 500);
    assert.equal(f.json.detail, 'thenable failed');
  });

  it('runs 50 concurrent invocations', async () => {
    assert.equal((await load({ id: 's-slow', function: 'default/slow', version: '1', codeDir: fixture('slow') })).status, 200);
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => invoke('s-slow', `/?n=${i}`)));
    const elapsed = Date.now() - t0;
    results.forEach((r, i) => {
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { n: String(i), id: r.invocationId });
    });
    assert.ok(elapsed < 2000, `concurrent, not serial (${elapsed} ms)`);
    await waitFor(() => results.every((r) => framed(r.invocationId).some((l) => l.text === `slow done ${r.json.n}`)),
      'each invocation\'s own log line');
    const h = await request('GET', '/health');
    assert.equal(h.json.inFlight, 0);
  });

  it('exits cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    await waitFor(() => exitInfo !== null, 'exit', 6000);
    assert.equal(exitInfo.code, 0);
  });
});
