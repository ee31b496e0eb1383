'use strict';
// Tests for the idle side of runtimes/nodejs/merged-host.js: the warm pool of pre-started empty workers, parking
// (terminating) the worker of a function idle past --idle-unload-ms, and the host's option checks.
// Run: node --test runtimes/nodejs/test/

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const HOST = path.join(__dirname, '..', 'merged-host.js');
const CODE = path.join(__dirname, '..', 'test-fixtures', 'merged');
const SECRET = 'idle-secret-' + Math.random().toString(36).slice(2);
const UNLOAD_MS = 400;

let child;
let port;
let stderr = '';
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

function request(method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const h = { 'X-Nest-Secret': SECRET, 'X-Nest-Deadline': String(Date.now() + 10000) };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) { h['Content-Type'] = 'application/json'; h['Content-Length'] = Buffer.byteLength(payload); }
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: h, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const load = (id, memoryMb = 128) => request('POST', '/load', { id, function: 'default/' + id, version: '1',
  codeDir: CODE, handler: 'index.handler', env: { NAME: id }, limits: { memoryMb, timeoutMs: 2000 } });
const invoke = (id, rest = '/') => request('GET', `/invoke/${id}${rest}`);
const status = async () => (await request('GET', '/status')).json;
const instanceOf = async (id) => (await status()).instances.find((i) => i.id === id);

/** Polls `check` (an async predicate) until it holds, for at most 10 s. */
async function until(what, check) {
  for (let k = 0; k < 500; k++) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail('timed out waiting for ' + what);
}

before(async () => {
  port = await freePort();
  child = spawn(process.execPath, [HOST, '--warm-workers=1', `--idle-unload-ms=${UNLOAD_MS}`], {
    env: { ...process.env, NEST_HOST_PORT: String(port), NEST_HOST_SECRET: SECRET, NEST_POD_ID: 'idle-test' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  for (let k = 0; ; k++) {
    try {
      if ((await request('GET', '/health')).status === 200) break;
    } catch (e) {
      if (k > 500) throw new Error('merged host did not start: ' + stderr);
    }
    await sleep(20);
  }
});

after(() => {
  agent.destroy();
  if (child) child.kill('SIGKILL');
});

describe('merged host when idle', () => {
  it('keeps one empty worker started and gives it to the next load, then refills', async () => {
    await until('a ready warm worker', async () => (await status()).warmWorkers.ready === 1);
    const loaded = await load('w1');
    assert.equal(loaded.status, 200);
    assert.equal(loaded.json.timings.worker, 'pool', 'a started empty worker (it said it was ready)');
    const t = loaded.json.timings;
    assert.ok(typeof t.hostMs === 'number' && t.hostMs >= t.loadMs, `the host's part of /load holds the worker's: ${JSON.stringify(t)}`);
    const s = await status();
    assert.equal(s.warmWorkers.takes, 1);
    assert.equal(s.warmWorkers.takesStarting, 0);
    assert.equal(s.instances.find((i) => i.id === 'w1').warmStarts, 1, 'loaded into the pre-started worker');
    await until('the pool refilled', async () => (await status()).warmWorkers.ready === 1);
    const r = await invoke('w1');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.name, 'w1', "the function's env, set in a worker started without it");
    assert.equal(r.json.probe, 'set-by-w1', 'its own globals');
  });

  it('starts a worker of its own for a function whose memory differs from the pool\'s', async () => {
    const before = (await status()).warmWorkers.misses;
    const big = await load('big', 256);
    assert.equal(big.status, 200);
    assert.equal((await status()).warmWorkers.misses, before + 1);
    assert.equal(big.json.timings.worker, 'new', 'started for it');
    assert.equal((await instanceOf('big')).warmStarts, 0);
    assert.equal((await invoke('big')).status, 200);
  });

  it('parks the worker of a function idle past --idle-unload-ms; its next request gets a fresh one', async () => {
    assert.equal((await load('p')).status, 200);
    assert.equal((await invoke('p')).json.calls, 1);
    assert.equal((await invoke('p')).json.calls, 2);
    await until('p parked', async () => (await instanceOf('p')).running === false);
    const parked = await instanceOf('p');
    assert.equal(parked.parks, 1);
    assert.equal(parked.heapUsedBytes, 0, 'no heap while parked');
    assert.equal(parked.terminations, 0, 'parking is not a runaway termination');
    const r = await invoke('p');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.calls, 1, 'module state starts again, as after a cold start');
    assert.equal(r.json.name, 'p');
    const after = await instanceOf('p');
    assert.equal(after.running, true);
    assert.equal(after.starts, 2);
  });

  it('never parks a worker with an invocation in flight', async () => {
    assert.equal((await load('slow')).status, 200);
    const r = await invoke('slow', `/late?ms=${UNLOAD_MS * 3}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json, 'late');
    assert.equal((await instanceOf('slow')).parks, 0);
  });

  it('still terminates a runaway alone after it was parked', async () => {
    await until('w1 parked', async () => (await instanceOf('w1')).running === false);
    const looping = request('GET', '/invoke/w1/loop');
    await sleep(100);
    assert.equal((await invoke('big')).status, 200, 'a neighbour answers while w1 loops');
    const r = await looping;
    assert.equal(r.status, 504, r.text);
    await until('w1 terminated', async () => (await instanceOf('w1')).terminations === 1);
    assert.equal((await invoke('w1')).status, 200);
  });
});

describe('merged host options', () => {
  for (const [args, env, pattern] of [
    [['--warm-workers=-1'], {}, /warm-workers \(--warm-workers or NEST_MERGED_WARM_WORKERS\) is "-1"; it must be an integer from 0 to 64/],
    [['--idle-unload-ms=soon'], {}, /idle-unload-ms .* is "soon"; it must be an integer from 0/],
    [[], { NEST_MERGED_WARM_WORKERS: '2.5' }, /warm-workers .* is "2.5"/],
    [['--pool=3'], {}, /unknown argument "--pool=3"; known: --warm-workers=N, --idle-unload-ms=N/],
  ]) {
    it(`refuses ${args.join(' ') || JSON.stringify(env)} naming the option`, () => {
      const r = spawnSync(process.execPath, [HOST, ...args], {
        env: { ...process.env, ...env, NEST_HOST_PORT: '1', NEST_HOST_SECRET: 'x' }, encoding: 'utf8', timeout: 10000,
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, pattern);
    });
  }
});
