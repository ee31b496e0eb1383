'use strict';
// Tests for runtimes/nodejs/merged-host.js: several functions in one process, each in its own worker thread.
// Run: node --test runtimes/nodejs/test/

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const HOST = path.join(__dirname, '..', 'merged-host.js');
const CODE = path.join(__dirname, '..', 'test-fixtures', 'merged');
const SECRET = 'merged-secret-' + Math.random().toString(36).slice(2);

let child;
let port;
let stdout = '';
let stderr = '';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function request(method, urlPath, { headers = {}, body, secret = SECRET } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (secret !== null) h['X-Nest-Secret'] = secret;
    let payload = body;
    if (payload !== undefined && typeof payload !== 'string') {
      payload = JSON.stringify(payload);
      h['Content-Type'] = 'application/json';
    }
    if (payload !== undefined) h['Content-Length'] = Buffer.byteLength(payload);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const load = (id, extra = {}) => request('POST', '/load', {
  body: Object.assign({ id, function: 'default/' + id, version: '1', codeDir: CODE, handler: 'index.handler',
    env: { NAME: id }, limits: { memoryMb: 64, timeoutMs: 400, concurrency: 4 } }, extra),
});
const invoke = (id, rest, deadlineMs = 5000) => request('GET', `/invoke/${id}${rest}`, {
  headers: { 'X-Nest-Invocation-Id': `inv-${id}-${Math.random()}`, 'X-Nest-Deadline': String(Date.now() + deadlineMs) },
});
const status = async () => (await request('GET', '/status')).json;
const instanceOf = async (id) => (await status()).instances.find((i) => i.id === id);

before(async () => {
  port = await freePort();
  child = spawn(process.execPath, [HOST], {
    env: { ...process.env, NEST_HOST_PORT: String(port), NEST_HOST_SECRET: SECRET, NEST_POD_ID: 'merged-test',
      NEST_MERGED_KILL_GRACE_MS: '300' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  for (let k = 0; ; k++) {
    try {
      const r = await request('GET', '/health');
      if (r.status === 200 && r.json.ready) break;
    } catch { /* not yet */ }
    if (k > 500) throw new Error('merged host did not start\n' + stderr);
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const id of ['a', 'b', 'c']) assert.equal((await load(id)).status, 200);
});

after(() => {
  agent.destroy();
  if (child) child.kill('SIGKILL');
});

describe('merged host', () => {
  it('refuses a request without the secret', async () => {
    const r = await request('GET', '/health', { secret: null });
    assert.equal(r.status, 401);
    assert.equal(r.headers['x-nest-error'], 'unauthorized');
  });

  it('gives each function its own module state and environment', async () => {
    const a = (await invoke('a', '/')).json;
    const b = (await invoke('b', '/')).json;
    await invoke('a', '/');
    const a2 = (await invoke('a', '/')).json;
    assert.equal(a.name, 'a');
    assert.equal(b.name, 'b');
    assert.equal(b.calls, 1, 'b counts only its own calls');
    assert.equal(a2.calls, 3);
    assert.equal(a.probe, 'set-by-a', 'globals are per worker');
    assert.equal(b.probe, 'set-by-b');
    assert.equal(a.fn, 'default/a');
    assert.equal(a.secret, 'hidden');
  });

  it('answers HTTP results, function errors and frames logs with the instance id', async () => {
    const r = await invoke('b', '/http');
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-fn'], 'b');
    assert.equal(r.text, 'made');
    const e = await invoke('b', '/throw');
    assert.equal(e.status, 500);
    assert.equal(e.headers['x-nest-error'], 'function-error');
    assert.equal(e.json.type, 'TypeError');
    await invoke('c', '/log');
    await new Promise((r) => setTimeout(r, 50));
    assert.match(stdout, /\u001eNEST\t[^\t]+\tc\tinfo\thello from c/);
  });

  it('gives the function the gateway\'s W3C trace, as a dedicated host does', async () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const r = await request('GET', '/invoke/c/trace', { headers: { 'X-Nest-Invocation-Id': 'inv-trace',
      'X-Nest-Deadline': String(Date.now() + 5000), traceparent: tp } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.traceparent, tp);
    assert.equal(r.json.traceId, '0af7651916cd43dd8448eb211c80319c');
    const none = await request('GET', '/invoke/c/trace', { headers: { 'X-Nest-Invocation-Id': 'inv-trace-2',
      'X-Nest-Deadline': String(Date.now() + 5000), traceparent: 'not-a-trace' } });
    assert.equal(none.json.traceparent, '', 'a malformed traceparent is not passed on');
    assert.equal(none.json.traceId, '');
  });

  it('unloads with force: the instance\'s work ends at once, its neighbours answer', async () => {
    assert.equal((await load('forced')).status, 200);
    const slow = invoke('forced', '/late?ms=4000', 10000);
    await new Promise((r) => setTimeout(r, 100));
    const bad = await request('POST', '/unload', { body: { id: 'forced', force: 'yes' } });
    assert.equal(bad.status, 400, 'force must be a boolean');
    const u = await request('POST', '/unload', { body: { id: 'forced', force: true } });
    assert.equal(u.status, 200, u.text);
    assert.equal((await slow).status, 502, 'its in-flight invocation ended with the worker, not with its answer');
    assert.equal((await invoke('a', '/')).status, 200, 'a neighbour answers');
  });

  it('reports a load failure as 422 and leaves no instance', async () => {
    const r = await load('bad', { handler: 'bad.notAHandler' });
    assert.equal(r.status, 422);
    assert.equal(r.headers['x-nest-error'], 'load-failed');
    assert.match(r.json.detail, /does not export a function "notAHandler"/);
    assert.equal((await invoke('bad', '/')).status, 404);
    assert.equal((await load('a')).status, 409);
  });

  it('keeps a function whose async work outlives its timeout without blocking its loop', async () => {
    const r = await invoke('c', '/late?ms=600', 200);
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-nest-error'], 'timeout');
    await new Promise((res) => setTimeout(res, 500));
    const c = await instanceOf('c');
    assert.equal(c.terminations, 0, 'a worker that still answers pings is not a runaway');
    assert.equal((await invoke('c', '/')).status, 200);
  });

  it('terminates a looping function alone; its neighbours answer throughout; it is loaded fresh on next use', async () => {
    await load('loop');
    const before = (await invoke('loop', '/')).json;
    assert.equal(before.calls, 1);
    const looping = invoke('loop', '/loop', 300);
    const neighbours = [];
    for (let k = 0; k < 20; k++) {
      neighbours.push(invoke(k % 2 ? 'a' : 'b', '/'));
      await new Promise((r) => setTimeout(r, 25));
    }
    const r = await looping;
    assert.equal(r.status, 504, r.text);
    // sent right after the timeout: held until the verdict, then served by a fresh worker, not the blocked one
    const right = await invoke('loop', '/', 5000);
    assert.equal(right.status, 200, right.text);
    assert.equal(right.json.calls, 1, 'a fresh module instance');
    for (const n of await Promise.all(neighbours)) assert.equal(n.status, 200, n.text);
    for (let k = 0; k < 100 && (await instanceOf('loop')).terminations === 0; k++) {
      await new Promise((res) => setTimeout(res, 20));
    }
    const s = await instanceOf('loop');
    assert.equal(s.terminations, 1);
    assert.match(s.lastTermination.reason, /did not return to its event loop/);
    assert.ok(s.cpuMs > 100, 'the loop counted as busy time: ' + s.cpuMs);
    const fresh = await invoke('loop', '/');
    assert.equal(fresh.status, 200);
    assert.equal(fresh.json.calls, 2, 'the fresh worker stays');
    assert.equal((await instanceOf('loop')).starts, 2);
    assert.equal((await instanceOf('a')).terminations, 0);
  });

  it('ends a heap blow-up with 502 for that function only', async () => {
    await load('heap', { limits: { memoryMb: 32, timeoutMs: 20000 } });
    const r = await invoke('heap', '/heap', 20000);
    assert.equal(r.status, 502, r.text);
    assert.equal(r.headers['x-nest-error'], 'terminated');
    assert.match(r.json.detail, /ran out of its heap/);
    assert.equal((await invoke('a', '/')).status, 200);
    assert.equal((await invoke('heap', '/')).status, 200, 'loaded again on next use');
  });

  it('reports heap and busy time per function', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const s = await status();
    assert.equal(s.merged, true);
    const a = s.instances.find((i) => i.id === 'a');
    assert.ok(a.heapUsedBytes > 0, JSON.stringify(a));
    assert.ok(a.heapLimitBytes > 0 && a.heapLimitBytes < 200 * 1024 * 1024, 'bounded by its memory: ' + a.heapLimitBytes);
    assert.equal(typeof a.cpuMs, 'number');
  });

  it('is what host.js runs when NEST_HOST_MODE is merged (the image entrypoint of container drivers)', async () => {
    const p = await freePort();
    const other = spawn(process.execPath, [path.join(__dirname, '..', 'host.js')], {
      env: { ...process.env, NEST_HOST_PORT: String(p), NEST_HOST_SECRET: SECRET, NEST_HOST_MODE: 'merged' },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    try {
      const saved = port;
      port = p;
      let health;
      for (let k = 0; k < 500 && health === undefined; k++) {
        try { health = (await request('GET', '/health')).json; } catch { await new Promise((r) => setTimeout(r, 20)); }
      }
      port = saved;
      assert.equal(health.merged, true);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('unloads a function; later invocations get 404', async () => {
    const r = await request('POST', '/unload', { body: { id: 'b' } });
    assert.equal(r.status, 200);
    assert.equal((await invoke('b', '/')).status, 404);
    assert.equal((await invoke('a', '/')).status, 200);
  });
});
