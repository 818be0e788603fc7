import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../hub/canonical-json.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members, so re-indenting or reordering a file changes nothing', () => {
    const a = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined };
    const b = JSON.parse(JSON.stringify({ a: { c: 'x', d: [3, { y: 2, z: 1 }] }, b: 1 }, null, 4));
    expect(canonicalJson(a)).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('keeps array order and distinguishes values', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson([undefined, null])).toBe('[null,null]');
  });
});
