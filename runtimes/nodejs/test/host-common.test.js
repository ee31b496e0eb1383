'use strict';
// Unit tests for runtimes/nodejs/host-common.js (pieces both hosts use). Run: node --test runtimes/nodejs/test/

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { secretChecker } = require('../host-common');

describe('secretChecker', () => {
  const table = [
    // [secret, value, expected]
    ['s3cret-value', 's3cret-value', true],
    ['s3cret-value', 's3cret-valuf', false], // last character differs
    ['s3cret-value', 't3cret-value', false], // first character differs
    ['s3cret-value', 's3cret-valu', false], // shorter
    ['s3cret-value', 's3cret-value ', false], // longer
    ['s3cret-value', '', false],
    ['s3cret-value', undefined, false], // header missing
    ['s3cret-value', ['s3cret-value'], false], // not a string
    ['', '', false], // an empty secret never matches
    [undefined, '', false],
    [null, 'null', false],
    ['\u00e9t\u00e9', '\u00e9t\u00e9', true], // the same non-ASCII text
    // the UTF-8 bytes of the secret as the HTTP parser hands them over (latin1): not the secret
    ['\u00e9t\u00e9', Buffer.from('\u00e9t\u00e9', 'utf8').toString('latin1'), false],
  ];
  for (const [secret, value, expected] of table) {
    it(`${JSON.stringify(secret)} against ${JSON.stringify(value)}: ${expected}`, () => {
      assert.equal(secretChecker(secret)(value), expected);
    });
  }
});
