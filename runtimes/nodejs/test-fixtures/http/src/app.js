'use strict';
// returns HTTP-shaped results (statusCode/headers/body); handler "src/app.handler"
const cyclic = {};
cyclic.self = cyclic;

exports.handler = async (event) => {
  switch (event.path) {
    case '/bin':
      return {
        statusCode: 201,
        headers: { 'Content-Type': 'image/png', 'X-Custom': 7 },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
        body: Buffer.from([0, 1, 2, 250, 255]).toString('base64'),
        isBase64Encoded: true,
      };
    case '/text':
      return { statusCode: 418, body: 'I am a teapot ☕' };
    case '/object':
      return { statusCode: 200, headers: { 'x-a': 'b' }, body: { ok: true } };
    case '/empty':
      return { statusCode: 202 };
    case '/no-content':
      return { statusCode: 204, headers: { 'x-a': 'b' } };
    case '/bad-status':
      return { statusCode: 99, body: 'x' };
    case '/bad-header':
      return { statusCode: 200, headers: { 'x-bad': 'a\nb' }, body: 'x' };
    case '/cycle':
      return cyclic;
    case '/cycle-body':
      return { statusCode: 200, body: cyclic };
    case '/echo-body':
      return { statusCode: 200, headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ body: event.body, isBase64Encoded: event.isBase64Encoded }) };
    default:
      return { statusCode: 404, body: 'no ' + event.path };
  }
};
