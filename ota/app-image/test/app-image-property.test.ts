import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/utils/fixtures';
import { AppImageParser, parseAppImage } from '..';

/**
 * Property: however an image is damaged (bytes flipped, set, cut, inserted), the parser returns
 * (never throws), the streaming parser agrees with the buffer parser, and the damaged image is
 * never reported valid. Mutations are confined to bytes that matter: every byte of an
 * application image is covered by the checksum, the appended SHA-256 or both.
 */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

function apply(original: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(original);
  for (const m of mutations) {
    const at = m.at % Math.max(1, bytes.length);
    if (m.kind === 'flip') bytes[at] ^= 1 << m.bit;
    else if (m.kind === 'set') bytes[at] = m.value;
    else if (m.kind === 'cut') bytes = bytes.subarray(0, at);
    else bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
  }
  return bytes;
}

const mutation = (size: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.nat(size - 1),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
    fc.record({
      kind: fc.constant('set' as const),
      at: fc.nat(size - 1),
      value: fc.integer({ min: 0, max: 255 }),
    }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(size - 1) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(size),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    }),
  );

function streamed(bytes: Uint8Array, chunk: number) {
  const parser = new AppImageParser();
  for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk));
  return parser.finish();
}

describe('parser under random mutations', () => {
  for (const name of ['esp_idf_blink_esp32s2.bin', 'esp32-app-template.bin'] as const) {
    const original = readFixture(name);
    it(`never crashes and never validates a mutated ${name}`, () => {
      fc.assert(
        fc.property(
          fc.array(mutation(original.length), { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 1, max: 70_000 }),
          (ms, chunk) => {
            const bytes = apply(original, ms);
            fc.pre(Buffer.compare(bytes, original) !== 0); // a flip undone by another is no mutation
            const info = parseAppImage(bytes);
            expect(info.problems.length).toBeGreaterThan(0);
            expect(streamed(bytes, chunk)).toEqual(info);
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it('never crashes on arbitrary bytes behind a valid magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), bytes => {
        const input = Buffer.concat([Buffer.from([0xe9]), bytes]);
        const info = parseAppImage(input);
        expect(info.problems.length).toBeGreaterThan(0);
        expect(streamed(input, 13)).toEqual(info);
      }),
      { numRuns: 300 },
    );
  });
});
