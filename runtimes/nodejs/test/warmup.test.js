'use strict';
// Tests for POST /warmup of runtimes/nodejs/host.js: the warm pool's warm-up leaves nothing a function can see.
// Run: node --test runtimes/nodejs/test/

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
const SECRET = 'warmup-secret-' + Math.random().toString(36).slice(2);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

class Host {
  async start() {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-warmup-test-'));
    this.port = await freePort();
    this.out = '';
    this.child = spawn(process.execPath, [HOST], {
      env: { ...process.env, NEST_HOST_PORT: String(this.port), NEST_HOST_SECRET: SECRET, TMPDIR: this.tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (d) => { this.out += d; });
    this.child.stderr.on('data', (d) => { this.out += d; });
    for (let i = 0; i < 200; i++) {
      try { if ((await this.request('GET', '/health')).status === 200) return this; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('host did not start: ' + this.out);
  }

  request(method, target, body, secret = SECRET, headers = {}) {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      if (secret !== null) h['X-Nest-Secret'] = secret;
      const payload = body === undefined ? '' : JSON.stringify(body);
      h['Content-Length'] = Buffer.byteLength(payload);
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path: target, headers: h, agent: false },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json; try { json = JSON.parse(text); } catch { json = undefined; }
            resolve({ status: res.statusCode, text, json });
          });
        });
      req.on('error', reject);
      req.end(payload);
    });
  }

  stop() {
    this.child.kill('SIGKILL');
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

describe('POST /warmup', () => {
  let host;
  before(async () => { host = await new Host().start(); });
  after(() => host.stop());

  it('needs the secret', async () => {
    assert.equal((await host.request('POST', '/warmup', undefined, null)).status, 401);
    assert.equal((await host.request('POST', '/warmup', undefined, 'wrong')).status, 401);
    assert.equal((await host.request('GET', '/warmup')).status, 405);
  });

  it('runs the load and invoke path once and leaves no trace for the first function', async () => {
    const r = await host.request('POST', '/warmup');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.warmedUp, true);
    assert.ok(r.json.invocations > 0);
    assert.equal((await host.request('POST', '/warmup')).status, 409, 'once per host');

    const health = await host.request('GET', '/health');
    assert.deepEqual(health.json.instances, [], 'the warm-up instance is gone');
    assert.deepEqual(fs.readdirSync(host.tmp), [], 'its code folder is removed');

    const l = await host.request('POST', '/load', { id: 'probe-1', codeDir: path.join(FIX, 'warmup-probe') });
    assert.equal(l.status, 200, l.text);
    const inv = await host.request('GET', '/invoke/probe-1/', undefined, SECRET,
      { 'X-Nest-Invocation-Id': 'i-1', 'X-Nest-Deadline': String(Date.now() + 10000) });
    assert.equal(inv.status, 200, inv.text);
    assert.deepEqual(inv.json, { modules: [], env: [], tmp: [] });
    assert.ok(!host.out.includes('warm-up'), 'no line of the warm-up function reaches the output: ' + host.out);
    assert.ok(!host.out.includes('\u001eNEST\twarmup-'), 'no framed line of the warm-up: ' + host.out);
  });
});

describe('POST /warmup after a load', () => {
  let host;
  before(async () => { host = await new Host().start(); });
  after(() => host.stop());

  it('is refused: the warm-up runs only before the first function', async () => {
    assert.equal((await host.request('POST', '/load', { id: 'probe-1', codeDir: path.join(FIX, 'warmup-probe') })).status, 200);
    const r = await host.request('POST', '/warmup');
    assert.equal(r.status, 409, r.text);
    assert.match(r.json.detail, /before the first \/load/);
  });
});
