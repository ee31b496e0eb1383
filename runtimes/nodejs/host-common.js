'use strict';
// Pieces of the Node.js host contract (runtimes/CONTRACT.md) that do not depend on how functions are run:
// the secret, JSON answers, the event's query and body rules, and turning a handler's result into an HTTP
// answer. Used by the single-function host (host.js), the merged host (merged-host.js, its main thread) and its
// workers (merged-worker.js); standard library only. Nothing here has side effects when required. The /invoke
// path of host.js calls secretChecker's check, parseQuery, isTextual, encodeResult and writeEncoded on every
// request: keep them free of per-request closures and copies.

const fs = require('fs');
const querystring = require('querystring');
const { STATUS_CODES } = require('http');

/**
 * Reads stdin up to the first newline, byte by byte so that nothing after it is consumed; '' at end of input.
 * Blocks: it runs once, before the host listens.
 */
function readSecretLine() {
  const one = Buffer.alloc(1);
  const bytes = [];
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (bytes.length <= 4096) {
    let n;
    try {
      n = fs.readSync(0, one, 0, 1, null);
    } catch (e) {
      if (e.code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 5); continue; }
      if (e.code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    if (one[0] === 0x0a) return Buffer.from(bytes).toString('utf8').replace(/\r$/, '');
    bytes.push(one[0]);
  }
  return '';
}

/**
 * A check of a request's X-Nest-Secret against `secret`: compares every character of the secret whatever the
 * value, so its time depends on the secret's length only (a value of another length costs the same comparison and
 * fails). Always false when `secret` is empty. Works on the strings as they are (no Buffer per request): two strings
 * are equal exactly when their UTF-8 bytes are, for the header values the HTTP parser gives (no lone surrogates).
 */
function secretChecker(secret) {
  const expected = String(secret === undefined || secret === null ? '' : secret);
  const n = expected.length;
  return (value) => {
    if (typeof value !== 'string' || n === 0) return false;
    const got = value.length === n ? value : expected; // another length: compare the secret with itself, then fail
    let diff = value.length ^ n;
    for (let i = 0; i < n; i++) diff |= got.charCodeAt(i) ^ expected.charCodeAt(i);
    return diff === 0;
  };
}

function sendJson(res, status, obj, extraHeaders) {
  const body = JSON.stringify(obj);
  const h = ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))];
  if (extraHeaders !== undefined) for (let i = 0; i < extraHeaders.length; i++) h.push(extraHeaders[i]);
  // The reason phrase named: after a writeHead that threw (a function's bad header), Node kept the failed call's.
  res.writeHead(status, STATUS_CODES[status], h);
  res.end(body);
}

/**
 * A host's own error answer: JSON {error, detail, ...extra} with X-Nest-Error: kind. When the answer's head is
 * already out, the response is only ended (the peer sees a short body).
 */
function sendError(res, status, kind, error, detail, extra) {
  if (res.headersSent) { res.end(); return; }
  const obj = { error, detail };
  if (extra !== undefined && extra !== null) Object.assign(obj, extra);
  sendJson(res, status, obj, ['X-Nest-Error', kind]);
}

/** Whether a body of this Content-Type reaches the function as a UTF-8 string (else base64). */
function isTextual(ct) {
  if (ct === undefined) return true;
  const semi = ct.indexOf(';');
  const t = (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  if (t === '') return true;
  return t.startsWith('text/') || t === 'application/json' || t.endsWith('+json') ||
    t === 'application/xml' || t.endsWith('+xml') || t === 'application/javascript' ||
    t === 'application/x-www-form-urlencoded';
}

function decodeComponent(s) {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s;
  s = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(s);
  } catch {
    return querystring.unescape(s); // lenient on malformed escapes
  }
}

/** A raw query string as [last-value map, all-values map], or null when it has no parameter. One pass, no split. */
function parseQuery(qs) {
  const single = {};
  const multi = {};
  let n = 0;
  const len = qs.length;
  let start = 0;
  while (start < len) {
    let amp = qs.indexOf('&', start);
    if (amp === -1) amp = len;
    if (amp > start) {
      const eq = qs.indexOf('=', start);
      let k, v;
      if (eq === -1 || eq > amp) { k = qs.slice(start, amp); v = ''; }
      else { k = qs.slice(start, eq); v = qs.slice(eq + 1, amp); }
      k = decodeComponent(k);
      if (k !== '__proto__') {
        v = decodeComponent(v);
        single[k] = v;
        const a = multi[k];
        if (Array.isArray(a)) a.push(v); else multi[k] = [v];
        n++;
      }
    }
    start = amp + 1;
  }
  return n === 0 ? null : [single, multi];
}

function skipHeader(lk) {
  return lk === 'content-length' || lk === 'transfer-encoding' || lk === 'connection' || lk === 'keep-alive';
}

function pushValues(out, k, v) {
  if (Array.isArray(v)) {
    for (let j = 0; j < v.length; j++) if (v[j] !== undefined && v[j] !== null) out.push(k, String(v[j]));
  } else {
    out.push(k, String(v));
  }
}

/**
 * The last answer of the common shape (a string body and one header, its Content-Type, as
 * `{statusCode, headers: {'content-type': ...}, body}`) as an encoding whose header list already ends in its
 * Content-Length: an equal answer after it is written from the same encoding, without a new list, encoding or length
 * string. Shared by every answer of this host (writeHead reads the list and keeps nothing); see encodeResult's `reuse`.
 */
let lastCommon = null;
// bodies longer than this (in characters) are not kept as the last answer: the shared encoding keeps its body alive
// until the next common answer, and a large one would hold on to the function's heap
const COMMON_BODY_KEPT_MAX = 4096;

/**
 * A handler's result as an HTTP answer {status, headers (flat name/value list), body (string, Uint8Array or
 * null)}, by the contract's rules: an object with a numeric statusCode is a response (headers,
 * multiValueHeaders, body, isBase64Encoded), anything else 200 JSON. Throws when the result cannot be sent (an
 * invalid statusCode, a cycle), which the caller answers as 502 response-error. Reads each field of the result once.
 * With `reuse` (an answer written at once by {@link writeEncoded}, never kept or sent elsewhere), an answer of the
 * common shape may come back as the shared encoding of an equal earlier one ({@link lastCommon}).
 */
function encodeResult(r, reuse) {
  const sc = r !== null && typeof r === 'object' ? r.statusCode : undefined;
  if (typeof sc !== 'number') {
    let body = JSON.stringify(r);
    if (body === undefined) body = 'null';
    return { status: 200, headers: ['Content-Type', 'application/json'], body };
  }
  if (!Number.isInteger(sc) || sc < 200 || sc > 599) {
    throw new Error(`invalid statusCode ${sc} (must be an integer from 200 to 599)`);
  }
  let payload = null;
  let defaultCt;
  const body = r.body;
  if (body === undefined || body === null) {
    payload = null;
  } else if (typeof body === 'string') {
    if (r.isBase64Encoded === true) { payload = Buffer.from(body, 'base64'); defaultCt = 'application/octet-stream'; }
    else { payload = body; defaultCt = 'text/plain; charset=utf-8'; }
  } else if (body instanceof Uint8Array) {
    payload = body;
    defaultCt = 'application/octet-stream';
  } else {
    payload = JSON.stringify(body);
    if (payload === undefined) payload = 'null';
    defaultCt = 'application/json';
  }
  const mvh = r.multiValueHeaders;
  const hasMv = mvh !== null && typeof mvh === 'object';
  const h = r.headers;
  const keys = h !== null && typeof h === 'object' ? Object.keys(h) : null;
  if (reuse === true && !hasMv && keys !== null && keys.length === 1 && typeof payload === 'string' &&
      sc !== 204 && sc !== 304) {
    const k = keys[0];
    const v = h[k];
    if (typeof v === 'string' && (k === 'content-type' || k.toLowerCase() === 'content-type')) {
      return commonEncoding(sc, k, v, payload);
    }
    return encodeHeaders(sc, payload, defaultCt, null, h, keys, k, v);
  }
  return encodeHeaders(sc, payload, defaultCt, hasMv ? mvh : null, h, keys, undefined, undefined);
}

/**
 * The encoding of a common-shape answer: the last one ({@link lastCommon}) when equal, else a new one, kept as the last
 * when its body is short.
 */
function commonEncoding(sc, name, value, payload) {
  const last = lastCommon;
  if (last !== null && last.status === sc && last.headers[0] === name && last.headers[1] === value &&
      last.body === payload) {
    return last;
  }
  const enc = {
    status: sc, headers: [name, value, 'Content-Length', String(Buffer.byteLength(payload))], body: payload,
    sized: true,
  };
  if (payload.length <= COMMON_BODY_KEPT_MAX) lastCommon = enc;
  return enc;
}

/**
 * The rest of encodeResult: the header list from multiValueHeaders (`mvh`, or null) and headers (`h`, its `keys`,
 * or null), the former winning, then the Content-Type by default. `k0`/`v0`: the first key's value, when read already.
 */
function encodeHeaders(sc, payload, defaultCt, mvh, h, keys, k0, v0) {
  const out = [];
  let hasCt = false;
  let mvKeys = null; // made only when there are multiValueHeaders
  if (mvh !== null) {
    for (const k of Object.keys(mvh)) {
      const v = mvh[k];
      const lk = k.toLowerCase();
      if (v === undefined || v === null || skipHeader(lk)) continue;
      if (lk === 'content-type') hasCt = true;
      (mvKeys || (mvKeys = new Set())).add(lk);
      pushValues(out, k, v);
    }
  }
  if (keys !== null) {
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const v = i === 0 && k0 !== undefined ? v0 : h[k];
      const lk = k.toLowerCase();
      if (v === undefined || v === null || skipHeader(lk) || (mvKeys !== null && mvKeys.has(lk))) continue; // multiValueHeaders win
      if (lk === 'content-type') hasCt = true;
      pushValues(out, k, v);
    }
  }
  if (sc === 204 || sc === 304) return { status: sc, headers: out, body: null, noLength: true };
  if (payload !== null && !hasCt) out.push('Content-Type', defaultCt);
  return { status: sc, headers: out, body: payload };
}

/**
 * Writes an answer from {@link encodeResult} (every answer carries Content-Length, never chunked). Takes `enc`
 * over: its header list gets the Content-Length appended (encodings are made for one answer), unless it has it
 * already (`sized`: a shared common-shape encoding, left as it is).
 */
function writeEncoded(res, enc) {
  const h = enc.headers;
  if (enc.sized === true) {
    res.writeHead(enc.status, h);
    res.end(enc.body);
    return;
  }
  if (enc.noLength) {
    res.writeHead(enc.status, h);
    res.end();
    return;
  }
  const body = enc.body === null || enc.body === undefined ? null : enc.body;
  const len = body === null ? 0 : (typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  h.push('Content-Length', String(len));
  res.writeHead(enc.status, h);
  if (body === null) res.end();
  else if (typeof body === 'string' || Buffer.isBuffer(body)) res.end(body);
  else res.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}

/**
 * Listens on the Unix socket `file` (a stale socket file there is removed first), then calls `then`; a failure to
 * listen is logged through `log(level, text)` and leaves the host on its TCP port alone.
 */
function listenSocket(srv, file, log, then) {
  if (!srv) return then();
  try {
    if (fs.lstatSync(file).isSocket()) fs.unlinkSync(file);
  } catch (e) { /* nothing there */ }
  const failed = (e) => {
    log('warn', `cannot listen on ${file}: ${e.message}; serving on the TCP port only`);
    then();
  };
  srv.once('error', failed);
  srv.listen(file, () => {
    srv.removeListener('error', failed);
    srv.on('error', (e) => log('warn', `socket ${file}: ${e.message}`));
    then();
  });
}

module.exports = {
  readSecretLine, secretChecker, sendJson, sendError, isTextual, parseQuery, encodeResult, writeEncoded,
  listenSocket,
};
