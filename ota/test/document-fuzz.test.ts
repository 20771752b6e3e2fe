/**
 * Property tests: whatever JSON comes in, the parsers either accept it or throw their typed error
 * with field paths — never a TypeError or a zod error — and canonical JSON is stable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../canonical-json';
import { DocumentInvalidError } from '../errors/document-invalid-error';
import { PlanInvalidError } from '../errors/plan-invalid-error';
import { buildJobDocument, parseJobDocument, serializeJobDocument } from '../job-document';
import { s3ObjectUrl } from '../presigned-url-placeholder';
import { parseReleaseManifest, serializeReleaseManifest } from '../release-manifest';
import { parseRolloutPlan } from '../rollout-plan';
import { sampleManifest } from './sample-release';

const validDocument = buildJobDocument(sampleManifest(), {
  objectUrl: s3ObjectUrl({ region: 'eu-west-1', bucket: 'b', key: 'firmware/x.bin' }),
});

/** Replaces the value at one random path of `value` (objects and arrays) with `replacement`. */
function mutate(value: unknown, choices: number[], replacement: unknown): unknown {
  if (choices.length === 0 || value === null || typeof value !== 'object') return replacement;
  const [choice, ...rest] = choices;
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement;
    const i = choice % value.length;
    return value.map((item, j) => (j === i ? mutate(item, rest, replacement) : item));
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[choice % keys.length];
  return {
    ...(value as Record<string, unknown>),
    [key]: mutate((value as Record<string, unknown>)[key], rest, replacement),
  };
}

function expectTypedFailure(
  fn: () => unknown,
  type: typeof DocumentInvalidError | typeof PlanInvalidError,
): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    const problems = (error as DocumentInvalidError).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p.message.length).toBeGreaterThan(0);
  }
}

describe('document parsers under random input', () => {
  it('parseJobDocument: any JSON value gives a document or a DocumentInvalidError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), value =>
        expectTypedFailure(() => parseJobDocument(value), DocumentInvalidError),
      ),
      { numRuns: 300 },
    );
  });

  it('parseJobDocument: a valid document with one value replaced fails with the path of that value, or still round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
        fc.jsonValue(),
        (choices, replacement) => {
          const mutated = mutate(validDocument, choices, replacement);
          try {
            const doc = parseJobDocument(mutated);
            expect(parseJobDocument(serializeJobDocument(doc))).toEqual(doc);
          } catch (error) {
            expect(error).toBeInstanceOf(DocumentInvalidError);
            expect(
              (error as DocumentInvalidError).problems.every(p => typeof p.field === 'string'),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parseReleaseManifest and parseRolloutPlan never throw anything but their own errors', () => {
    fc.assert(
      fc.property(fc.jsonValue(), value => {
        expectTypedFailure(() => parseReleaseManifest(value), DocumentInvalidError);
        expectTypedFailure(() => parseRolloutPlan(value), PlanInvalidError);
        expectTypedFailure(
          () => parseRolloutPlan(JSON.stringify(value).slice(1)),
          PlanInvalidError,
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('canonical JSON under random input', () => {
  it('is a fixed point: parsing and re-serializing gives the same text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), value => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 8 }), dict => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
      }),
      { numRuns: 300 },
    );
  });

  it('gives a manifest the same bytes however it was built', () => {
    const manifest = sampleManifest();
    fc.assert(
      fc.property(
        fc.shuffledSubarray(Object.keys(manifest), { minLength: Object.keys(manifest).length }),
        keys => {
          const shuffled = Object.fromEntries(
            keys.map(k => [k, manifest[k as keyof typeof manifest]]),
          );
          expect(serializeReleaseManifest(parseReleaseManifest(shuffled))).toBe(
            serializeReleaseManifest(manifest),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
