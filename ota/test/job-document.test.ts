import { describe, expect, it } from 'vitest';
import { DocumentInvalidError } from '../errors/document-invalid-error';
import {
  AWS_JOB_DOCUMENT_MAX,
  buildJobDocument,
  JOB_DOCUMENT_LIMITS,
  parseJobDocument,
  serializeJobDocument,
  type JobDocument,
} from '../job-document';
import {
  parsePresignedUrlPlaceholder,
  presignedUrlPlaceholder,
  s3ObjectUrl,
} from '../presigned-url-placeholder';
import { releaseIdOf } from '../release-manifest';
import { SAMPLE_SIGNATURE, sampleManifest } from './sample-release';

const OBJECT_URL = s3ObjectUrl({
  region: 'eu-west-1',
  bucket: 'fleet-firmware-dev',
  key: `firmware/${'a'.repeat(64)}.bin`,
});

function sampleDocument(): JobDocument {
  return buildJobDocument(sampleManifest(), { objectUrl: OBJECT_URL });
}

function firstProblem(input: unknown): { field: string; message: string } {
  try {
    parseJobDocument(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentInvalidError);
    return (error as DocumentInvalidError).problems[0];
  }
  throw new Error('expected a DocumentInvalidError');
}

function withFirmware(patch: Record<string, unknown>): unknown {
  const doc = sampleDocument();
  return { ...doc, firmware: { ...doc.firmware, ...patch } };
}

describe('presigned URL placeholder', () => {
  it('wraps a path-style S3 URL in the form the AWS IoT developer guide shows', () => {
    expect(OBJECT_URL).toBe(
      `https://s3.eu-west-1.amazonaws.com/fleet-firmware-dev/firmware/${'a'.repeat(64)}.bin`,
    );
    expect(presignedUrlPlaceholder(OBJECT_URL)).toBe(
      `\${aws:iot:s3-presigned-url-v2:${OBJECT_URL}}`,
    );
  });

  it('URL-encodes the key for the -v2 form, keeping the slashes', () => {
    expect(s3ObjectUrl({ region: 'us-east-1', bucket: 'b', key: 'rc/fw v1+2}(x).bin' })).toBe(
      'https://s3.us-east-1.amazonaws.com/b/rc/fw%20v1%2B2%7D%28x%29.bin',
    );
    expect(s3ObjectUrl({ partition: 'aws-cn', region: 'cn-north-1', bucket: 'b', key: 'k' })).toBe(
      'https://s3.cn-north-1.amazonaws.com.cn/b/k',
    );
  });

  it('reads both the current and the older placeholder form back', () => {
    expect(parsePresignedUrlPlaceholder(presignedUrlPlaceholder(OBJECT_URL))).toEqual({
      objectUrl: OBJECT_URL,
      v2: true,
    });
    expect(
      parsePresignedUrlPlaceholder('${aws:iot:s3-presigned-url:https://s3.amazonaws.com/b/k}'),
    ).toEqual({
      objectUrl: 'https://s3.amazonaws.com/b/k',
      v2: false,
    });
    expect(parsePresignedUrlPlaceholder('https://s3.amazonaws.com/b/k')).toBeNull();
    expect(
      parsePresignedUrlPlaceholder('${aws:iot:s3-presigned-url-v2:http://insecure/b/k}'),
    ).toBeNull();
  });
});

describe('job document', () => {
  it('is built from the manifest with the placeholder URL and the release id', () => {
    const manifest = sampleManifest();
    expect(sampleDocument()).toEqual({
      version: 1,
      operation: 'ota',
      releaseId: releaseIdOf(manifest),
      firmware: {
        version: '1.4.0',
        descriptorVersion: '1cd5752',
        secureVersion: 0,
        chip: 'esp32',
        size: 606_208,
        sha256: 'a'.repeat(64),
        url: `\${aws:iot:s3-presigned-url-v2:${OBJECT_URL}}`,
        signature: SAMPLE_SIGNATURE,
        signatureAlgorithm: 'sig-sha256-ecdsa',
        keyId: 'fleet-dev-1',
      },
    });
  });

  it('serializes compactly and parses back to the same document', () => {
    const text = serializeJobDocument(sampleDocument());
    expect(text.startsWith('{"firmware":{"chip":"esp32",')).toBe(true);
    expect(parseJobDocument(text)).toEqual(sampleDocument());
    expect(text.length).toBeLessThan(1024);
  });

  it('accepts the document as the device receives it, with the placeholder replaced', () => {
    const presigned = `https://fleet-firmware-dev.s3.eu-west-1.amazonaws.com/firmware/x.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=${'T'.repeat(1200)}&X-Amz-Signature=${'f'.repeat(64)}`;
    expect(parseJobDocument(withFirmware({ url: presigned })).firmware.url).toBe(presigned);
  });

  it('stays within the device buffer even with the longest fields and a long presigned URL', () => {
    const doc = withFirmware({
      version: '1.0.0-' + 'r'.repeat(25),
      descriptorVersion: 'd'.repeat(31),
      keyId: 'k'.repeat(128),
      url: 'https://x/' + 'u'.repeat(JOB_DOCUMENT_LIMITS['firmware.url'] - 10),
    });
    const text = serializeJobDocument(parseJobDocument(doc));
    expect(text.length).toBeLessThanOrEqual(JOB_DOCUMENT_LIMITS.document);
    expect(text.length).toBeLessThan(AWS_JOB_DOCUMENT_MAX);
  });

  describe('refuses, naming the field', () => {
    it.each([
      ['a zero size', { size: 0 }, 'firmware.size', 'expected a positive integer'],
      ['a size given as text', { size: '606208' }, 'firmware.size', 'expected a positive integer'],
      [
        'a short digest',
        { sha256: 'abc' },
        'firmware.sha256',
        'expected 64 lowercase hex digits (a SHA-256)',
      ],
      [
        'another signature algorithm',
        { signatureAlgorithm: 'sig-sha256-rsa' },
        'firmware.signatureAlgorithm',
        'expected "sig-sha256-ecdsa"',
      ],
      [
        'an over-long signature',
        { signature: 'A'.repeat(97) },
        'firmware.signature',
        'expected at most 96 characters (a DER ECDSA P-256 signature in base64)',
      ],
      [
        'a URL that is neither placeholder nor http(s)',
        { url: 'ftp://host/x' },
        'firmware.url',
        'expected a presigned-URL placeholder "${aws:iot:s3-presigned-url-v2:https://…}" or an http(s) URL',
      ],
      [
        'a URL over the device buffer',
        { url: 'https://x/' + 'u'.repeat(4096) },
        'firmware.url',
        'expected at most 4096 characters',
      ],
      [
        'an unknown chip',
        { chip: 'esp8266' },
        'firmware.chip',
        'expected one of esp32, esp32s2, esp32c3, esp32s3, esp32c2, esp32c6, esp32h2',
      ],
      [
        'a key id with spaces',
        { keyId: 'my key' },
        'firmware.keyId',
        'expected letters, digits and . _ : / + = @ - only',
      ],
      [
        'a missing secure version',
        { secureVersion: undefined },
        'firmware.secureVersion',
        'expected an integer from 0 to 4294967295',
      ],
      ['an unknown firmware field', { colour: 'red' }, 'firmware.colour', 'unknown field'],
    ])('%s', (_what, patch, field, message) => {
      expect(firstProblem(withFirmware(patch))).toEqual({ field, message });
    });

    it('another schema version', () => {
      expect(firstProblem({ ...sampleDocument(), version: 2 })).toEqual({
        field: 'version',
        message: 'expected 1 (the only job document version this code reads)',
      });
    });

    it('another operation', () => {
      expect(firstProblem({ ...sampleDocument(), operation: 'reboot' })).toEqual({
        field: 'operation',
        message: 'expected "ota"',
      });
    });

    it('a release id with characters a job id cannot hold', () => {
      expect(firstProblem({ ...sampleDocument(), releaseId: 'v1.4.0' })).toEqual({
        field: 'releaseId',
        message: 'expected letters, digits, "_" and "-" only',
      });
    });

    it('text over the AWS 32 KB limit', () => {
      const text = JSON.stringify({ ...sampleDocument(), pad: 'x'.repeat(AWS_JOB_DOCUMENT_MAX) });
      expect(firstProblem(text).message).toMatch(/over AWS's 32768/);
    });

    it('an object URL that is not https', () => {
      expect(() => buildJobDocument(sampleManifest(), { objectUrl: 'http://s3/b/k' })).toThrow(
        'invalid job document: firmware.url: expected an https S3 object URL of at most 1024 characters',
      );
    });
  });

  it('says which field in the error message', () => {
    expect(() => parseJobDocument(withFirmware({ size: -5 }))).toThrow(
      'invalid job document: firmware.size: expected a positive integer',
    );
  });
});
