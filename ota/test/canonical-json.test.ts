import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json';
import { OtaError } from '../errors/ota-error';

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives the same bytes whatever order the keys were inserted in', () => {
    const one = { version: '1.4.0', size: 5, nested: { b: true, a: null } };
    const two = { nested: { a: null, b: true }, size: 5, version: '1.4.0' };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 §3.2.3 does', () => {
    // The RFC's own sorting example: 😀 (U+D83D U+DE00) sorts before דּ (U+FB33) by code unit,
    // though its code point is higher.
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const order = [...canonicalJson(value).matchAll(/:"([^"]+)"/g)].map(m => m[1]);
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });

  it('writes numbers in their shortest round-trip form, -0 as 0', () => {
    expect(canonicalJson([1, 1.5, 1e21, 1e-7, -0, 0.1 + 0.2, 100])).toBe(
      '[1,1.5,1e+21,1e-7,0,0.30000000000000004,100]',
    );
  });

  it('escapes strings as JSON.stringify does', () => {
    expect(canonicalJson({ s: 'a"b\\c\n\u0001é' })).toBe('{"s":"a\\"b\\\\c\\n\\u0001é"}');
  });

  it('leaves out undefined members', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it.each([
    ['NaN', { a: { b: NaN } }, 'a.b'],
    ['Infinity', { a: [1, Infinity] }, 'a[1]'],
    ['a Date', { when: new Date(0) }, 'when'],
    ['a bigint', { n: 1n }, 'n'],
    ['undefined in an array', { list: [1, undefined] }, 'list[1]'],
    ['a function', { f: () => 1 }, 'f'],
  ])('refuses %s, naming its path', (_what, value, field) => {
    try {
      canonicalJson(value);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OtaError);
      expect((error as OtaError).field).toBe(field);
      expect((error as OtaError).message).toContain(field);
    }
  });

  it('refuses a cycle', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/self is a reference to itself/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});
