'use strict';
// The secret hand-over of runtimes/CONTRACT.md: with NEST_HOST_SECRET_STDIN=1 the host reads its secret as the
// first line of stdin (never from the environment), and exits when stdin ends (the node agent is gone).
// Run: node --test runtimes/nodejs/test/

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const HOST = path.join(__dirname, '..', 'host.js');

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

function request(port, method, urlPath, secret, body) {
  return new Promise((resolve, reject) => {
    const headers = { 'X-Nest-Secret': secret };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, json, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Starts a host that takes its secret from stdin; writes `firstLine` (unless null) and keeps stdin open. */
async function startHost(firstLine) {
  const port = await freePort();
  const env = { ...process.env, NEST_HOST_PORT: String(port), NEST_HOST_SECRET_STDIN: '1', NEST_POD_ID: 'stdin-test' };
  delete env.NEST_HOST_SECRET;
  const child = spawn(process.execPath, [HOST], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  if (firstLine !== null) child.stdin.write(firstLine + '\n');
  return { child, port, exited, output: () => output };
}

async function waitReady(h, secret) {
  const end = Date.now() + 10000;
  for (;;) {
    try {
      const r = await request(h.port, 'GET', '/health', secret);
      if (r.status === 200 && r.json.ready) return;
    } catch { /* not listening yet */ }
    if (Date.now() > end) throw new Error('host not ready: ' + h.output());
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('secret on stdin', () => {
  it('accepts the secret from the first line of stdin, never from the environment', async () => {
    const secret = 'stdin-secret-' + Math.random().toString(36).slice(2);
    const h = await startHost(secret);
    try {
      await waitReady(h, secret);
      assert.equal((await request(h.port, 'GET', '/health', 'wrong')).status, 401);
      if (process.platform === 'linux') {
        const environ = fs.readFileSync(`/proc/${h.child.pid}/environ`, 'latin1');
        const cmdline = fs.readFileSync(`/proc/${h.child.pid}/cmdline`, 'latin1');
        assert.ok(!environ.includes(secret), 'the secret is not in /proc/<pid>/environ');
        assert.ok(!cmdline.includes(secret), 'the secret is not in /proc/<pid>/cmdline');
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nest-stdin-'));
      fs.writeFileSync(path.join(dir, 'index.js'),
        'exports.handler = async () => Object.keys(process.env).filter((k) => k.startsWith("NEST_HOST_SECRET"));\n');
      const load = await request(h.port, 'POST', '/load', secret, { id: 'env', function: 'default/env', version: '1', codeDir: dir });
      assert.equal(load.status, 200, load.text);
      const r = await request(h.port, 'GET', '/invoke/env/', secret);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, [], 'a function sees no NEST_HOST_SECRET variable');
      fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      h.child.kill('SIGKILL');
    }
  });

  it('exits when stdin ends (the node agent died)', async () => {
    const secret = 's-' + Math.random().toString(36).slice(2);
    const h = await startHost(secret);
    await waitReady(h, secret);
    h.child.stdin.end();
    const timeout = setTimeout(() => h.child.kill('SIGKILL'), 10000);
    const { code, signal } = await h.exited;
    clearTimeout(timeout);
    assert.equal(signal, null, 'the host exits by itself: ' + h.output());
    assert.equal(code, 0);
    assert.match(h.output(), /stdin closed/);
  });

  it('refuses to start when stdin ends before a secret line', async () => {
    const h = await startHost(null);
    h.child.stdin.end();
    const { code } = await h.exited;
    assert.equal(code, 2);
    assert.match(h.output(), /no secret line/);
  });
});
