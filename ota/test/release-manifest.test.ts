import { describe, expect, it } from 'vitest';
import { DocumentInvalidError } from '../errors/document-invalid-error';
import { OtaErrorCode } from '../errors/error-code';
import {
  createReleaseManifest,
  parseReleaseManifest,
  RELEASE_ID_MAX,
  releaseChipForId,
  releaseIdOf,
  releaseManifestDigest,
  serializeReleaseManifest,
} from '../release-manifest';
import { sampleManifest, sampleManifestInput } from './sample-release';

function problemsOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentInvalidError);
    expect((error as DocumentInvalidError).code).toBe(OtaErrorCode.DocumentInvalid);
    return [...(error as DocumentInvalidError).problems];
  }
  throw new Error('expected a DocumentInvalidError');
}

describe('release manifest', () => {
  it('round-trips through canonical JSON unchanged', () => {
    const manifest = sampleManifest();
    const text = serializeReleaseManifest(manifest);
    expect(parseReleaseManifest(text)).toEqual(manifest);
    expect(serializeReleaseManifest(parseReleaseManifest(text))).toBe(text);
  });

  it('serializes with sorted keys and no whitespace', () => {
    const text = serializeReleaseManifest(sampleManifest());
    expect(text).not.toMatch(/\s(?=["{[])/);
    expect(
      text.startsWith(
        '{"chip":"esp32","createdAt":"2026-11-23T01:00:00Z","descriptorVersion":"1cd5752",',
      ),
    ).toBe(true);
  });

  it('gives the same bytes and digest for the same release built twice, whatever the key order', () => {
    const input = sampleManifestInput();
    const reversed = Object.fromEntries(Object.entries(input).reverse()) as typeof input;
    const a = createReleaseManifest(input);
    const b = createReleaseManifest(reversed);
    expect(serializeReleaseManifest(b)).toBe(serializeReleaseManifest(a));
    expect(releaseManifestDigest(b)).toBe(releaseManifestDigest(a));
    expect(releaseManifestDigest(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(releaseManifestDigest(sampleManifest({ size: 606_209 }))).not.toBe(
      releaseManifestDigest(a),
    );
  });

  it('accepts createdAt as a Date and stores it as ISO 8601 UTC', () => {
    const manifest = sampleManifest({ createdAt: new Date(Date.UTC(2026, 10, 23, 1, 2, 3)) });
    expect(manifest.createdAt).toBe('2026-11-23T01:02:03.000Z');
  });

  describe('release id', () => {
    it('depends on the source image and the version only', () => {
      const a = sampleManifest();
      // A fresh signature changes the signed image; the release is still the same release.
      const resigned = sampleManifest({
        sha256: 'b'.repeat(64),
        size: 610_304,
        createdAt: '2027-01-01T00:00:00Z',
      });
      expect(releaseIdOf(resigned)).toBe(releaseIdOf(a));
      expect(releaseIdOf(sampleManifest({ version: '1.4.1' }))).not.toBe(releaseIdOf(a));
      expect(
        releaseIdOf(sampleManifest({ source: { ...a.source, sha256: 'c'.repeat(64) } })),
      ).not.toBe(releaseIdOf(a));
    });

    it('reads as v<version>-<16 hex> within AWS job id characters', () => {
      expect(releaseIdOf(sampleManifest())).toMatch(/^v1_4_0-[0-9a-f]{16}$/);
      const long = releaseIdOf(sampleManifest({ version: '10.20.30-rc.1.alpha.beta.gamma' }));
      expect(long.length).toBeLessThanOrEqual(RELEASE_ID_MAX);
      expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
    });
  });

  it('maps image chip ids to release chip names', () => {
    expect(releaseChipForId(0x0000)).toBe('esp32');
    expect(releaseChipForId(0x0002)).toBe('esp32s2');
    expect(releaseChipForId(0x0099)).toBeUndefined();
  });

  describe('refuses, naming the field', () => {
    it.each([
      ['a non-semver version', { version: 'v1.4.0' }, 'version', /semantic version/],
      [
        'a version too long for the descriptor',
        { version: '1.0.0-' + 'a'.repeat(30) },
        'version',
        /at most 31/,
      ],
      ['a project name over 31 characters', { project: 'p'.repeat(32) }, 'project', /at most 31/],
      [
        'a negative secure_version',
        { secureVersion: -1 },
        'secureVersion',
        /integer from 0 to 4294967295/,
      ],
      ['an unknown chip', { chip: 'esp8266' as never }, 'chip', /expected one of esp32, esp32s2/],
      ['a zero size', { size: 0 }, 'size', /^expected a positive integer$/],
      ['a fractional size', { size: 1.5 }, 'size', /^expected a positive integer$/],
      ['an upper-case digest', { sha256: 'A'.repeat(64) }, 'sha256', /64 lowercase hex/],
      [
        'four Secure Boot blocks',
        { secureBoot: Array(4).fill({ scheme: 'rsa3072', keyDigest: 'a'.repeat(64) }) },
        'secureBoot',
        /at most 3 blocks/,
      ],
      ['a local time', { createdAt: '2026-11-23 01:00' }, 'createdAt', /ISO 8601 UTC/],
      ['an invalid Date', { createdAt: new Date('not a date') }, 'createdAt', /ISO 8601 UTC/],
    ])('%s', (_what, override, field, message) => {
      const problems = problemsOf(() => createReleaseManifest(sampleManifestInput(override)));
      expect(problems[0].field).toBe(field);
      expect(problems[0].message).toMatch(message);
    });

    it('a bad nested field, with its dotted path', () => {
      const input = sampleManifestInput();
      const problems = problemsOf(() =>
        createReleaseManifest({
          ...input,
          signature: {
            ...input.signature,
            algorithm: 'sig-sha1-rsa' as never,
            value: 'not base64!',
          },
        }),
      );
      expect(problems).toEqual([
        { field: 'signature.algorithm', message: 'expected "sig-sha256-ecdsa"' },
        { field: 'signature.value', message: 'expected base64 (A-Z a-z 0-9 + /, = padding)' },
      ]);
    });

    it('every problem at once, and an unknown field by name', () => {
      const text = serializeReleaseManifest(sampleManifest()).replace(
        '"size":606208',
        '"size":"big","colour":"red"',
      );
      const problems = problemsOf(() => parseReleaseManifest(text));
      expect(problems).toEqual(
        expect.arrayContaining([
          { field: 'size', message: 'expected a positive integer' },
          { field: 'colour', message: 'unknown field' },
        ]),
      );
    });

    it('a missing field', () => {
      const { source: _source, ...rest } = sampleManifest();
      const problems = problemsOf(() => parseReleaseManifest(rest));
      expect(problems).toEqual([{ field: 'source', message: 'missing (expected an object)' }]);
    });

    it('text that is not JSON, saying so', () => {
      const problems = problemsOf(() => parseReleaseManifest('{"version": '));
      expect(problems[0].field).toBe('');
      expect(problems[0].message).toMatch(/^not valid JSON/);
    });

    it('another manifest version', () => {
      const problems = problemsOf(() =>
        parseReleaseManifest({ ...sampleManifest(), manifestVersion: 2 }),
      );
      expect(problems[0]).toEqual({
        field: 'manifestVersion',
        message: 'expected 1 (the only manifest version this code reads)',
      });
    });
  });

  it('puts the first problem and the count in the message', () => {
    expect(() =>
      createReleaseManifest(sampleManifestInput({ size: 0, chip: 'x' as never })),
    ).toThrow(
      'invalid release manifest: chip: expected one of esp32, esp32s2, esp32c3, esp32s3, esp32c2, esp32c6, esp32h2 (and 1 more problem)',
    );
  });
});
