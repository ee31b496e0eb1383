'use strict';
// A merged-host fixture: module state (one module cache per worker), env, a loop that never returns, a heap
// blow-up and an async handler that outlives its timeout without blocking the loop.
let calls = 0;
globalThis.nestSharedProbe = globalThis.nestSharedProbe || 'set-by-' + process.env.NAME;

exports.handler = async (event, context) => {
  calls++;
  if (event.path === '/loop') { for (;;) { /* runaway */ } }
  if (event.path === '/heap') {
    const keep = [];
    for (;;) keep.push(new Array(100000).fill(keep.length));
  }
  if (event.path === '/late') {
    await new Promise((r) => setTimeout(r, Number(event.query.ms || 300)));
    return 'late';
  }
  if (event.path === '/log') console.log('hello from', process.env.NAME);
  if (event.path === '/throw') throw new TypeError('bad input');
  if (event.path === '/trace') return { traceparent: context.traceparent, traceId: context.traceId };
  if (event.path === '/http') return { statusCode: 201, headers: { 'x-fn': process.env.NAME }, body: 'made' };
  return { name: process.env.NAME, calls, probe: globalThis.nestSharedProbe, fn: context.functionName,
    secret: process.env.NEST_HOST_SECRET === undefined ? 'hidden' : 'visible' };
};
