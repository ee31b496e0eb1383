'use strict';
// Answers chosen by the path, most of the common shape ({statusCode, headers: {content-type}, body}) that the host
// writes from a shared encoding, and the event as a function sees it (own data properties, spread, JSON).
const TEXT = { 'content-type': 'text/plain' };
exports.handler = async (event, context) => {
  switch (event.path) {
    case '/hello': return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' };
    case '/same-object': return { statusCode: 200, headers: TEXT, body: 'hello' };
    case '/large': return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(5000) + event.query.n };
    case '/long': return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'hello, world' };
    case '/utf8': return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'h\u00e9llo' };
    case '/html': return { statusCode: 200, headers: { 'Content-Type': 'text/html' }, body: 'hello' };
    case '/created': return { statusCode: 201, headers: { 'content-type': 'text/plain' }, body: 'hello' };
    case '/other-header': return { statusCode: 200, headers: { 'x-a': 'b' }, body: 'hello' };
    case '/number-value': return { statusCode: 200, headers: { 'content-type': 7 }, body: 'hello' };
    case '/no-content': return { statusCode: 204, headers: { 'content-type': 'text/plain' }, body: 'hello' };
    case '/base64': return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'aGk=', isBase64Encoded: true };
    case '/multi': return { statusCode: 200, headers: { 'content-type': 'text/plain' }, multiValueHeaders: { 'content-type': ['text/csv'] }, body: 'hello' };
    case '/bad-value': return { statusCode: 200, headers: { 'content-type': 'text/plain\r\nx-injected: 1' }, body: 'hello' };
    case '/proto': return { statusCode: 200, headers: JSON.parse('{"__proto__": "p", "content-type": "text/plain"}'), body: 'hello' };
    case '/proto-only': return { statusCode: 200, headers: JSON.parse('{"__proto__": "p"}'), body: 'hello' };
    case '/constructor': return { statusCode: 200, headers: { constructor: 'c' }, body: 'hello' };
    case '/inherited': return { statusCode: 200, headers: Object.create({ 'content-type': 'text/html' }), body: 'hello' };
    case '/own-and-inherited': {
      // one own header, one inherited enumerable one (not sent)
      return { statusCode: 200, headers: Object.assign(Object.create({ 'x-inherited': 'i' }), { 'content-type': 'text/plain' }), body: 'hello' };
    }
    case '/own-and-hidden': {
      // one enumerable header, one not enumerable (not sent)
      const headers = Object.defineProperty({ 'content-type': 'text/plain' }, 'x-hidden', { value: 'h', enumerable: false });
      return { statusCode: 200, headers, body: 'hello' };
    }
    case '/getters': {
      // each field of the result is read once, whatever the shape
      const reads = {};
      const counted = (name, value) => ({ get() { reads[name] = (reads[name] || 0) + 1; return value; }, enumerable: true });
      const headers = Object.defineProperties({}, { 'content-type': counted('content-type', 'text/plain') });
      const r = Object.defineProperties({}, {
        statusCode: counted('statusCode', 200), headers: counted('headers', headers), body: counted('body', 'hello'),
        multiValueHeaders: counted('multiValueHeaders', undefined), isBase64Encoded: counted('isBase64Encoded', false),
      });
      globalThis.lastReads = reads;
      return r;
    }
    case '/reads': return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(globalThis.lastReads) };
    case '/event': {
      const accessors = Object.entries(Object.getOwnPropertyDescriptors(event)).filter(([, d]) => !('value' in d)).map(([k]) => k);
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          function: context.functionName, keys: Object.keys(event), accessors,
          proto: Object.getPrototypeOf(event) === Object.prototype, json: JSON.parse(JSON.stringify(event)),
          spread: { ...event }, headerKeys: Object.keys(event.headers),
          headersProto: Object.getPrototypeOf(event.headers) === Object.prototype,
        }),
      };
    }
    default: return { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'no such path' };
  }
};
