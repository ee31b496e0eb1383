package dev.nest.it.security;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The hostile Node.js function of the security tests, and the reading of its answer. One piece of code for every
 * driver: {@code ?mode=container} runs the attacks that make sense from a container pod (host networking, own pid
 * namespace, the code directory mounted at {@code /nest/code}), any other query runs the process driver's attacks
 * ({@link HostileFunctionIT}).
 *
 * <p>Each attack answers {@code {name, blocked, detail}}, and {@code known: true} for an attack that is known to
 * succeed today and is reported rather than failed (see {@link #report}). An attack that fails for a reason that
 * proves nothing (a file that is not there on the process driver, no other pod to attack) is not "blocked".
 */
final class HostileFunction {
    private HostileFunction() {
    }

    /** Runs every attempt; answers {pod, uid, attempts: [{name, blocked, detail, known?}]}. */
    static final String JS = """
            const fs = require('fs');
            const path = require('path');
            const http = require('http');
            const net = require('net');

            function tryIt(name, fn, refusals) {
              const codes = refusals || ['EACCES', 'EPERM'];
              try {
                const r = fn();
                return { name, blocked: false, detail: 'succeeded: ' + String(r).slice(0, 160) };
              } catch (e) {
                // only a refusal counts: a missing file would make the attempt prove nothing
                const refused = codes.includes(e.code);
                return { name, blocked: refused, detail: (refused ? '' : 'failed for another reason: ') + (e.code || e.message) };
              }
            }

            function post(port, secret, body) {
              return new Promise((resolve) => {
                const payload = JSON.stringify(body);
                const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/load', headers: {
                  'X-Nest-Secret': secret, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
                  (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
                req.on('error', (e) => resolve(e.code));
                req.end(payload);
              });
            }

            /** Secrets in other processes' environ and cmdline: NEST_HOST_SECRET=... or a 32-hex token. */
            function scanProc() {
              const found = new Set();
              let environs = 0, readable = 0, cmdlines = 0;
              for (const p of fs.readdirSync('/proc')) {
                if (!/^[0-9]+$/.test(p) || Number(p) === process.pid) continue;
                environs++;
                try {
                  const env = fs.readFileSync(`/proc/${p}/environ`, 'latin1');
                  readable++;
                  for (const kv of env.split('\\0')) if (kv.startsWith('NEST_HOST_SECRET=')) found.add(kv.slice(17));
                } catch (e) { /* EACCES */ }
                try {
                  const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'latin1');
                  cmdlines++;
                  for (const m of cmd.match(/\\b[0-9a-f]{32}\\b/g) || []) found.add(m);
                } catch (e) { /* gone */ }
              }
              return { found: [...found], environs, readable, cmdlines };
            }

            /** An HTTP call to 127.0.0.1:port; answers the status, or the error code. */
            function call(port, method, p, headers, body) {
              return new Promise((resolve) => {
                const payload = body === undefined ? '' : JSON.stringify(body);
                const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: Object.assign(
                  { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }, headers || {}) },
                  (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
                req.on('error', (e) => resolve(e.code));
                req.setTimeout(5000, () => { req.destroy(); resolve('timeout'); });
                req.end(payload);
              });
            }

            /**
             * A ZooKeeper session without credentials at 127.0.0.1:port (the wire protocol by hand), running ops
             * [{type: get|create|delete, path}] in turn; answers {results: [error code, 0 = ok], error?}.
             */
            function zk(port, ops) {
              return new Promise((resolve) => {
                const sock = net.connect({ host: '127.0.0.1', port });
                let buf = Buffer.alloc(0), connected = false, finished = false;
                const results = [];
                const done = (r) => { if (!finished) { finished = true; sock.destroy(); resolve(r); } };
                sock.setTimeout(5000, () => done({ error: 'timeout', results }));
                sock.on('error', (e) => done({ error: e.code, results }));
                sock.on('end', () => done({ error: 'closed by the server', results }));
                const frame = (parts) => {
                  const body = Buffer.concat(parts);
                  const len = Buffer.alloc(4);
                  len.writeInt32BE(body.length);
                  sock.write(Buffer.concat([len, body]));
                };
                const int = (v) => { const x = Buffer.alloc(4); x.writeInt32BE(v); return x; };
                const str = (s) => { const b = Buffer.from(s, 'utf8'); return Buffer.concat([int(b.length), b]); };
                sock.on('connect', () => {
                  // protocol 0, last zxid 0, timeout 10 s, session 0, a 16-byte zero password, not read-only
                  frame([int(0), Buffer.alloc(8), int(10000), Buffer.alloc(8), int(16), Buffer.alloc(16), Buffer.alloc(1)]);
                });
                const next = () => {
                  const op = ops[results.length];
                  const xid = int(results.length + 1);
                  if (op.type === 'create') {
                    // data 'hostile', ACL world:anyone ALL, persistent
                    frame([xid, int(1), str(op.path), str('hostile'), int(1), int(31), str('world'), str('anyone'), int(0)]);
                  } else if (op.type === 'delete') {
                    frame([xid, int(2), str(op.path), int(-1)]);
                  } else {
                    frame([xid, int(4), str(op.path), Buffer.alloc(1)]);
                  }
                };
                sock.on('data', (d) => {
                  buf = Buffer.concat([buf, d]);
                  while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
                    const len = buf.readInt32BE(0);
                    const f = buf.subarray(4, 4 + len);
                    buf = buf.subarray(4 + len);
                    if (!connected) {
                      connected = true;
                    } else {
                      results.push(f.readInt32BE(12)); // xid, zxid, err
                      if (results.length === ops.length) return done({ results });
                    }
                    next();
                  }
                });
              });
            }

            const ZK_ERRORS = { '0': 'ok', '-101': 'NoNode', '-102': 'NoAuth', '-110': 'NodeExists', '-4': 'ConnectionLoss',
              '-124': 'SessionClosedRequireAuth' };
            /** Each op in a session of its own (a server that requires authentication closes the session at the first). */
            async function zkEach(port, ops) {
              const answers = [];
              for (const op of ops) {
                const r = await zk(port, [op]);
                answers.push({ path: op.path, code: r.results.length > 0 ? r.results[0] : undefined, error: r.error });
              }
              return answers;
            }
            const zkText = (answers) => answers.map((a) => `${a.path}: ${a.code === undefined ? 'no answer' : (ZK_ERRORS[a.code] || a.code)}`
              + (a.error ? ` (then ${a.error})` : '')).join('; ');
            /** Refused: NoAuth, or the session closed because it did not authenticate. */
            const zkRefused = (answers) => answers.every((a) => a.code === -102 || a.code === -124);

            /** Ports in [from, to] that something listens on (this network namespace's /proc/net/tcp*). */
            function listening(from, to) {
              const ports = new Set();
              for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
                let text;
                try { text = fs.readFileSync(f, 'utf8'); } catch (e) { continue; }
                for (const line of text.split('\\n').slice(1)) {
                  const cols = line.trim().split(/\\s+/);
                  if (cols.length < 4 || cols[3] !== '0A') continue;
                  const port = parseInt(cols[1].split(':')[1], 16);
                  if (port >= from && port <= to) ports.add(port);
                }
              }
              return [...ports];
            }

            /** Files under dir (depth-first, at most max), skipping what cannot be read. */
            function walk(dir, max, out) {
              out = out || [];
              let entries;
              try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (e) { return out; }
              for (const e of entries) {
                if (out.length >= max) break;
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p, max, out); else out.push(p);
              }
              return out;
            }

            /** The attacks from a container pod: host network, own pid namespace, the code root at /nest/code. */
            async function container(q) {
              const hidden = ['EACCES', 'EPERM', 'ENOENT', 'ESRCH', 'EROFS'];
              const nestPid = Number(q.nestPid);
              const attempts = [];
              attempts.push({ name: 'run as root', blocked: process.getuid() !== 0,
                detail: 'uid ' + process.getuid() + ', gid ' + process.getgid() + ', groups ' + process.getgroups() });
              attempts.push(tryIt('list the data directory', () => fs.readdirSync(q.data), hidden));
              attempts.push(tryIt('read the H2 database', () => fs.readFileSync(path.join(q.data, 'nest.mv.db')).length, hidden));
              attempts.push(tryIt('read the admin token', () => fs.readFileSync(path.join(q.data, 'admin.token'), 'utf8').length, hidden));
              attempts.push(tryIt('read the ZooKeeper files', () => fs.readdirSync(path.join(q.data, 'zookeeper')), hidden));
              attempts.push(tryIt('read /etc/shadow', () => fs.readFileSync('/etc/shadow', 'utf8').length, hidden));
              attempts.push(tryIt('write to the root file system', () => fs.writeFileSync('/hostile', 'x'), hidden));
              attempts.push(tryIt('rewrite its own code', () => fs.writeFileSync(__filename, '// hostile'), hidden));

              // a container mounts only the code of the versions loaded into it
              const code = walk(q.codeMount, 500);
              const others = code.filter((f) => !f.startsWith(__dirname + path.sep));
              attempts.push({ name: 'list every function\\'s code', blocked: others.length === 0,
                detail: `${code.length} files under ${q.codeMount}, ${others.length} of them not its own` });
              const victim = others.filter((f) => {
                try { return fs.readFileSync(f, 'utf8').includes(q.marker); } catch (e) { return false; }
              });
              attempts.push({ name: 'read another function\\'s code', blocked: victim.length === 0,
                detail: victim.length === 0 ? 'the victim\\'s code is not visible' : 'read ' + victim.join(', ') });

              const scan = scanProc();
              const pids = fs.readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p));
              const nest = pids.filter((p) => {
                try { return /dev\\.nest|java/.test(fs.readFileSync(`/proc/${p}/cmdline`, 'latin1')); } catch (e) { return false; }
              });
              attempts.push({ name: 'see Nest among its processes', blocked: nest.length === 0,
                detail: `${pids.length} processes visible (${pids.join(' ')}), ${nest.length} of them Nest's` });
              attempts.push(tryIt('read Nest\\'s environment', () => fs.readFileSync(`/proc/${nestPid}/environ`, 'latin1').length, hidden));
              attempts.push(tryIt('signal Nest (kill -0)', () => process.kill(nestPid, 0), hidden));

              const own = Number(process.env.NEST_HOST_PORT);
              const ports = listening(Number(q.podFrom), Number(q.podTo)).filter((p) => p !== own);
              // the pod's own secret is in its own processes' initial environment (a container sees only its own)
              const mine = new Set([process.env.NEST_HOST_SECRET]);
              try {
                for (const kv of fs.readFileSync('/proc/self/environ', 'latin1').split('\\0')) {
                  if (kv.startsWith('NEST_HOST_SECRET=')) mine.add(kv.slice(17));
                }
              } catch (e) { /* unreadable */ }
              const foreign = scan.found.filter((s) => !mine.has(s));
              const statuses = [];
              for (const port of ports) {
                for (const secret of [...foreign, '', 'guess']) {
                  statuses.push(await post(port, secret, { id: 'stolen', function: 'x/stolen', version: '1',
                    codeDir: __dirname, handler: 'index.handler' }));
                }
              }
              attempts.push({ name: 'find other pods\\' secrets in /proc/*/environ and /proc/*/cmdline', blocked: foreign.length === 0,
                detail: `${foreign.length} found; environ readable for ${scan.readable} of ${scan.environs} processes, `
                  + `${scan.cmdlines} command lines read` });
              attempts.push({ name: 'load its code into another pod with a found or guessed secret', blocked: ports.length > 0
                && statuses.every((s) => s !== 200), detail: `other pods listening on ${ports}, answers ${[...new Set(statuses)]}` });

              const api = Number(q.apiPort);
              const admin = [await call(api, 'GET', '/api/v1/functions'), await call(api, 'GET', '/api/v1/tokens'),
                await call(api, 'POST', '/api/v1/tokens', {}, { name: 'hostile', role: 'admin', namespaces: ['*'] }),
                await call(api, 'DELETE', '/api/v1/functions/victim'), await call(api, 'GET', '/metrics')];
              attempts.push({ name: 'call the admin API without a token', blocked: admin.every((s) => s === 401),
                detail: 'answers ' + admin });
              const peer = [await call(api, 'POST', '/api/v1/cluster/load', {}, {}),
                await call(api, 'POST', '/api/v1/cluster/load', { 'X-Nest-Cluster-Auth': 'guess' }, {}),
                await call(api, 'PUT', '/api/v1/artifacts/chunks/' + '0'.repeat(64), { 'X-Nest-Cluster-Auth': 'guess' })];
              attempts.push({ name: 'call the nodes\\' peer routes without the cluster credential', blocked: peer.every((s) => s === 401),
                detail: 'answers ' + peer });

              const zkPort = Number(q.zkPort);
              const region = '/nest/' + q.region;
              const read = await zkEach(zkPort, [{ type: 'get', path: region + '/functions' }, { type: 'get', path: '/nest' }]);
              attempts.push({ name: 'read the cluster\\'s znodes', blocked: zkRefused(read), detail: zkText(read) });
              const write = await zkEach(zkPort, [{ type: 'create', path: region + '/functions/hostile' },
                { type: 'create', path: '/nest/hostile' }, { type: 'delete', path: region + '/leader' }]);
              attempts.push({ name: 'write a znode under /nest', blocked: zkRefused(write), detail: zkText(write) });
              const rootName = '/hostile-' + process.env.NEST_POD_ID;
              const outside = await zkEach(zkPort, [{ type: 'create', path: rootName }]);
              if (outside[0].code === 0) await zk(zkPort, [{ type: 'delete', path: rootName }]);
              attempts.push({ name: 'write a znode outside /nest (' + rootName + ')',
                blocked: outside[0].code !== undefined && outside[0].code !== 0, detail: zkText(outside) });
              return { pod: process.env.NEST_POD_ID, uid: process.getuid(), attempts };
            }

            exports.handler = async (event) => {
              const q = event.query;
              const home = process.env.HOME;
              const podDir = path.dirname(home);
              if (q.warmup) return { pod: process.env.NEST_POD_ID };
              if (q.mode === 'container') return container(q);
              const nestPid = Number(q.nestPid);
              const attempts = [];
              attempts.push({ name: 'run as root or as Nest\\'s uid', blocked: process.getuid() !== 0 && process.getuid() !== Number(q.nestUid),
                detail: 'uid ' + process.getuid() + ', gid ' + process.getgid() + ', groups ' + process.getgroups() });
              attempts.push(tryIt('list the data directory', () => fs.readdirSync(q.data)));
              attempts.push(tryIt('read the H2 database', () => fs.readFileSync(path.join(q.data, 'nest.mv.db')).length));
              attempts.push(tryIt('read the ZooKeeper files', () => fs.readdirSync(path.join(q.data, 'zookeeper'))));
              attempts.push(tryIt('list every function\\'s code', () => fs.readdirSync(path.join(q.data, 'artifacts', 'code'))));
              attempts.push(tryIt('read another function\\'s code', () => fs.readFileSync(q.victimCode, 'utf8')));
              attempts.push(tryIt('list the other pods', () => fs.readdirSync(path.dirname(podDir))));
              attempts.push(tryIt('read /etc/shadow', () => fs.readFileSync('/etc/shadow', 'utf8').length));
              const scan = scanProc();
              attempts.push({ name: 'find pod secrets in /proc/*/environ and /proc/*/cmdline', blocked: scan.found.length === 0,
                detail: `${scan.found.length} found; environ readable for ${scan.readable} of ${scan.environs} processes, `
                  + `${scan.cmdlines} command lines read` });
              const ports = (q.ports || '').split(',').filter((p) => p !== '').map(Number);
              const statuses = [];
              for (const port of ports) {
                for (const secret of [...scan.found, '', 'guess']) {
                  statuses.push(await post(port, secret, { id: 'stolen', function: 'x/stolen', version: '1',
                    codeDir: __dirname, handler: 'index.handler' }));
                }
              }
              attempts.push({ name: 'load its code into another pod with a found secret', blocked: ports.length > 0
                && statuses.every((s) => s !== 200), detail: `${ports.length} pods, answers ${[...new Set(statuses)]}` });
              attempts.push(tryIt('read Nest\\'s environment', () => fs.readFileSync(`/proc/${nestPid}/environ`, 'latin1').length));
              attempts.push(tryIt('signal Nest (kill -0)', () => process.kill(nestPid, 0)));
              attempts.push(tryIt('rewrite its pid file', () => fs.writeFileSync(path.join(podDir, 'pid'), `${nestPid}\\n`)));
              attempts.push(tryIt('replace its pid file', () => {
                fs.writeFileSync(path.join(home, 'forged'), `${nestPid}\n`);
                fs.renameSync(path.join(home, 'forged'), path.join(podDir, 'pid'));
              }));
              attempts.push(tryIt('delete its pid file', () => fs.unlinkSync(path.join(podDir, 'pid'))));
              return { pod: process.env.NEST_POD_ID, uid: process.getuid(), attempts };
            };
            """;

    /** What the function's answer says: one line per attempt, the attempts that succeeded, and the known ones. */
    record Report(String text, List<String> succeeded, List<String> known, int attempts) {
    }

    /**
     * Reads the answer {@code body} of one attack run: an attempt that was not blocked goes to
     * {@link Report#succeeded}, unless it is marked {@code known} (then to {@link Report#known}: reported, not failed).
     */
    static Report report(String title, JsonNode body) {
        StringBuilder text = new StringBuilder(title).append(":\n");
        List<String> succeeded = new ArrayList<>();
        List<String> known = new ArrayList<>();
        for (JsonNode a : body.path("attempts")) {
            boolean blocked = a.path("blocked").asBoolean();
            boolean isKnown = a.path("known").asBoolean(false);
            text.append(blocked ? "  blocked   " : isKnown ? "  KNOWN     " : "  SUCCEEDED ").append(a.path("name").asText())
                    .append(": ").append(a.path("detail").asText()).append('\n');
            if (!blocked) {
                (isKnown ? known : succeeded).add(a.path("name").asText());
            }
        }
        return new Report(text.toString(), succeeded, known, body.path("attempts").size());
    }
}
