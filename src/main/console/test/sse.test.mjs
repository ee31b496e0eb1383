// The event-stream parser: events split across chunks, ids kept for Last-Event-ID, comments and CRLF.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventParser } from '../src/sse.js';

test('events split across chunks arrive whole, with their ids', () => {
  const got = [];
  const p = new EventParser((e) => got.push(e));
  p.push('id: 7\ndata: {"line":"a"');
  assert.equal(got.length, 0);
  p.push('}\n\n: keep-alive\n\nid: 8\r\ndata: x\r\ndata: y\r\n\r\n');
  assert.deepEqual(got, [
    { id: '7', event: 'message', data: '{"line":"a"}' },
    { id: '8', event: 'message', data: 'x\ny' },
  ]);
  assert.equal(p.lastId, '8');
});

test('an event without an id keeps the last one; a named event keeps its name', () => {
  const got = [];
  const p = new EventParser((e) => got.push(e));
  p.push('id: 3\ndata: a\n\nevent: gap\ndata: b\n\n');
  assert.deepEqual(got.map((e) => [e.id, e.event, e.data]), [['3', 'message', 'a'], ['3', 'gap', 'b']]);
});

test('an id with a NUL is ignored and an event without data is not dispatched', () => {
  const got = [];
  const p = new EventParser((e) => got.push(e));
  p.push('id: 1\ndata: a\n\nid: 2\u0000\ndata: b\n\nid: 5\n\n');
  assert.deepEqual(got.map((e) => e.id), ['1', '1']);
  assert.equal(p.lastId, '5');
});
