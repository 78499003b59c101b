const test = require('node:test');
const { describe, it } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { add } = require('../math.js');

test('adds', () => {
  assert.strictEqual(add(2, 3), 5);
});

test('adds wrong', () => {
  assert.strictEqual(add(2, 2), 5);
});

test('skipped', { skip: 'not today' }, () => {});

test('flaky', () => {
  // Fails the first time it runs in a fresh copy, passes after: a stand-in for a flaky test.
  const marker = path.join(__dirname, '.flaky-ran');
  if (!fs.existsSync(marker)) {
    fs.writeFileSync(marker, '');
    throw new Error('first run fails');
  }
});

describe('ops', () => {
  it('multiplies', () => {
    assert.strictEqual(2 * 3, 6);
  });
  it('divides wrong', () => {
    assert.strictEqual(6 / 3, 3);
  });
});
