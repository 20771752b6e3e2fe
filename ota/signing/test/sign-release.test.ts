import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/utils/fixtures';
import { parseAppImage } from '../../app-image';
import { ImageInvalidError } from '../../errors/image-invalid-error';
import { KeyUnsupportedError } from '../../errors/key-unsupported-error';
import { verifyImageSignature } from '../../secure-boot';
import { PemSigner, signRelease, verifyDetachedSignature } from '..';

const pair = (kind: 'rsa' | 'ec') =>
  kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 3072 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signerOf = (keys: ReturnType<typeof pair>) =>
  new PemSigner(keys.privateKey.export({ format: 'pem', type: 'pkcs8' }));

const secureBoot = pair('rsa');
const update = pair('ec');

function* chunks(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('signRelease', () => {
  it('streams a release through once: signed image, digests and a detached signature the device can check', async () => {
    const app = readFixture('esp_idf_blink_esp32s2.bin');
    const written: Uint8Array[] = [];
    const release = await signRelease(chunks(app, 10_000), {
      secureBootSigner: signerOf(secureBoot),
      updateSigner: signerOf(update),
      targetChip: 'esp32s2',
      write: chunk => void written.push(Buffer.from(chunk)),
    });
    const image = Buffer.concat(written);
    expect(release.size).toBe(image.length);
    expect(release.sha256).toBe(createHash('sha256').update(image).digest('hex'));
    expect(release.contentSha256).toBe(
      createHash('sha256')
        .update(image.subarray(0, image.length - 4096))
        .digest('hex'),
    );
    expect(release.app).toMatchObject({
      projectName: 'blink',
      version: 'qa-test-v5.0-20220830-4-g4532e6',
    });
    // the detached signature covers the whole signed image; checked with node:crypto over the bytes
    const der = Buffer.from(release.detachedSignature.value, 'base64');
    expect(release.detachedSignature.type).toBe('sig-sha256-ecdsa');
    expect(verify('sha256', image, update.publicKey, der)).toBe(true);
    expect(
      verifyDetachedSignature(
        update.publicKey,
        Buffer.from(release.sha256, 'hex'),
        release.detachedSignature.value,
      ),
    ).toBe(true);
    // and the Secure Boot block verifies
    const info = parseAppImage(image);
    expect(info.problems).toEqual([]);
    expect(verifyImageSignature(info, secureBoot.publicKey).verified).toBe(true);
  });

  it('refuses a bootloader, a wrong chip and an RSA update key, writing no signature sector', async () => {
    const base = { secureBootSigner: signerOf(secureBoot), updateSigner: signerOf(update) };
    let bytesWritten = 0;
    const write = (chunk: Uint8Array) => void (bytesWritten += chunk.length);
    await expect(
      signRelease([readFixture('bootloader_esp32.bin')], { ...base, write }),
    ).rejects.toThrow(ImageInvalidError);
    await expect(
      signRelease([readFixture('esp32-app-template.bin')], {
        ...base,
        targetChip: 'esp32s2',
        write,
      }),
    ).rejects.toThrow(/target is ESP32-S2/);
    await expect(
      signRelease([readFixture('esp32-app-template.bin')], {
        ...base,
        updateSigner: signerOf(secureBoot),
        write,
      }),
    ).rejects.toThrow(KeyUnsupportedError);
    // only image content went out before each refusal, never padding or a signature sector
    expect(bytesWritten).toBeLessThanOrEqual(7_888 + 2 * 601_808);
  });
});

describe('createDetachedSignature with a remote signer', () => {
  it('refuses a detached signature that does not verify with the signer public key', async () => {
    const { createDetachedSignature } = await import('../detached-signature');
    const other = signerOf(pair('ec'));
    const wrong = {
      keyId: 'kms:other',
      verifyAfterSigning: true,
      getPublicKey: async () => update.publicKey,
      signDigest: other.signDigest.bind(other),
      begin: other.begin.bind(other),
    };
    const digest = createHash('sha256').update('image').digest();
    await expect(createDetachedSignature(wrong, digest)).rejects.toThrow(/does not verify/);
    const ok = await createDetachedSignature(
      { ...wrong, signDigest: signerOf(update).signDigest.bind(signerOf(update)) },
      digest,
    );
    expect(verifyDetachedSignature(update.publicKey, digest, ok.value)).toBe(true);
  });
});
