/**
 * A realistic release for the document tests: the facts of `esp32-app-template.bin` from
 * `../shared/fixtures/esp32/README.md` (project, descriptor version, file SHA-256 and size) as the
 * source, with made-up but well-formed signed-image facts.
 */
import { createReleaseManifest, type ReleaseManifestInput } from '../release-manifest';

export const SAMPLE_SIGNATURE =
  'MEUCIQDgZ0ZkH1q3yW8mZ0Zk2y3Hq1r3yW8mZ0Zk2y3Hq1r3yQIgK3yW8mZ0Zk2y3Hq1r3yW8mZ0Zk2y3Hq1r3yW8mZ0Zk0=';

export function sampleManifestInput(
  overrides: Partial<ReleaseManifestInput> = {},
): ReleaseManifestInput {
  return {
    project: 'app-template',
    version: '1.4.0',
    descriptorVersion: '1cd5752',
    secureVersion: 0,
    chip: 'esp32',
    size: 606_208,
    sha256: 'a'.repeat(64),
    secureBoot: [
      {
        scheme: 'rsa3072',
        keyDigest: 'cb2791a371b0c0322bf7370478ba0962224cab1cf2287879e429673e7da84463',
      },
    ],
    signature: { algorithm: 'sig-sha256-ecdsa', keyId: 'fleet-dev-1', value: SAMPLE_SIGNATURE },
    source: {
      fileName: 'esp32-app-template.bin',
      size: 601_808,
      sha256: '6815282e070a80141d1922b87aaaeba2b1b5ee848400619edaf552a7c00ceab1',
    },
    createdAt: '2026-11-23T01:00:00Z',
    ...overrides,
  };
}

export function sampleManifest(overrides: Partial<ReleaseManifestInput> = {}) {
  return createReleaseManifest(sampleManifestInput(overrides));
}
