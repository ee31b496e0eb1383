// The zip writer: CRC-32's check value and an archive whose directory names every file at its offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, zip } from '../src/zip.js';

test('crc32 of "123456789" is the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('the archive lists each file, stored, at the offset of its local header', () => {
  const enc = new TextEncoder();
  const files = [{ path: 'index.js', bytes: enc.encode('exports.handler = 1;\n') }, { path: 'lib/ü.txt', bytes: new Uint8Array([0, 255]) }];
  const z = zip(files);
  const v = new DataView(z.buffer);
  const end = z.length - 22;
  assert.equal(v.getUint32(end, true), 0x06054b50);
  assert.equal(v.getUint16(end + 10, true), 2);
  let at = v.getUint32(end + 16, true);
  for (const f of files) {
    assert.equal(v.getUint32(at, true), 0x02014b50);
    const nameLen = v.getUint16(at + 28, true);
    const name = new TextDecoder().decode(z.subarray(at + 46, at + 46 + nameLen));
    assert.equal(name, f.path);
    assert.equal(v.getUint16(at + 10, true), 0, 'stored');
    assert.equal(v.getUint32(at + 16, true), crc32(f.bytes));
    const local = v.getUint32(at + 42, true);
    assert.equal(v.getUint32(local, true), 0x04034b50);
    const data = local + 30 + v.getUint16(local + 26, true);
    assert.deepEqual([...z.subarray(data, data + f.bytes.length)], [...f.bytes]);
    at += 46 + nameLen;
  }
});
