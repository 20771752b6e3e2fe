import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readFixture } from '../../../test/utils/fixtures';
import { parseAppImage } from '../../app-image';
import { ImageInvalidError } from '../../errors/image-invalid-error';
import { SignatureSectorFullError } from '../../errors/signature-sector-full-error';
import { PemSigner } from '../../signing/pem-signer';
import { ImageSigner, keyDigestOf, signImage, verifyImageSignature } from '..';

function keyPair(kind: 'rsa' | 'ec'): { signer: PemSigner; publicKey: KeyObject } {
  const { privateKey, publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 3072 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { signer: new PemSigner(privateKey.export({ format: 'pem', type: 'pkcs8' })), publicKey };
}

const rsa = keyPair('rsa');
const ec = keyPair('ec');
const ec2 = keyPair('ec');
const app = readFixture('esp32-app-template.bin');

describe('ImageSigner', () => {
  it.each([
    ['RSA-3072', rsa],
    ['ECDSA-P256', ec],
  ] as const)(
    'signs with a %s block that verifies, and pads the content with 0xFF to 4 KB',
    async (scheme, key) => {
      const { image, result } = await signImage(app, { signer: key.signer });
      expect(image.length % 4096).toBe(0);
      expect(image.length).toBe(Math.ceil(app.length / 4096) * 4096 + 4096);
      expect(image.subarray(0, app.length).equals(app)).toBe(true);
      expect(image.subarray(app.length, image.length - 4096).every(b => b === 0xff)).toBe(true);
      const info = parseAppImage(image);
      expect(info.problems).toEqual([]);
      expect(info.sha256).toBe(result.sha256);
      expect(info.signatureSector?.contentSha256).toBe(result.contentSha256);
      expect(info.signatureSector?.blocks.map(b => [b.scheme, b.keyDigest])).toEqual([
        [scheme, keyDigestOf(key.publicKey)],
      ]);
      expect(verifyImageSignature(info, key.publicKey).verified).toBe(true);
      expect(verifyImageSignature(info, ec2.publicKey).verified).toBe(false);
    },
  );

  it('gives the same bytes when the input arrives in chunks, and the same bytes twice', async () => {
    const { image } = await signImage(app, { signer: ec.signer });
    const signer = new ImageSigner({ signer: ec.signer });
    const out: Uint8Array[] = [];
    for (let i = 0; i < app.length; i += 4093) out.push(...signer.push(app.subarray(i, i + 4093)));
    const { tail } = await signer.finish();
    expect(Buffer.concat([...out, tail]).equals(image)).toBe(true);
    expect((await signImage(app, { signer: ec.signer })).image.equals(image)).toBe(true);
  });

  it('appends blocks up to three and refuses a fourth', async () => {
    const once = (await signImage(app, { signer: rsa.signer })).image;
    const twice = (await signImage(once, { signer: ec.signer, append: true })).image;
    const thrice = (await signImage(twice, { signer: ec2.signer, append: true })).image;
    expect(thrice.length).toBe(once.length);
    const info = parseAppImage(thrice);
    expect(info.problems).toEqual([]);
    expect(info.signatureSector?.blocks.map(b => b.scheme)).toEqual([
      'RSA-3072',
      'ECDSA-P256',
      'ECDSA-P256',
    ]);
    for (const [i, key] of [rsa, ec, ec2].entries()) {
      expect(verifyImageSignature(info, key.publicKey).blocks.map(b => b.verified)).toEqual(
        [0, 1, 2].map(j => j === i),
      );
    }
    await expect(signImage(thrice, { signer: rsa.signer, append: true })).rejects.toThrow(
      SignatureSectorFullError,
    );
  });

  it('appends to an image signed by espsecure (the fixture) and keeps its block valid', async () => {
    const fixture = readFixture('bootloader_signed_v2_rsa.bin');
    const { image } = await signImage(fixture, {
      signer: ec.signer,
      append: true,
      tolerate: ['not-an-application'],
    });
    expect(image.subarray(0, 0x8000 + 1216).equals(fixture.subarray(0, 0x8000 + 1216))).toBe(true);
    const info = parseAppImage(image);
    expect(info.signatureSector?.blocks).toHaveLength(2);
    expect(verifyImageSignature(info, ec.publicKey).blocks.map(b => b.verified)).toEqual([
      false,
      true,
    ]);
  });

  it('refuses an already signed image without append, an invalid image, and a bootloader unless tolerated', async () => {
    const signed = (await signImage(app, { signer: ec.signer })).image;
    await expect(signImage(signed, { signer: ec.signer })).rejects.toThrow(/already signed/);
    const broken = Buffer.from(app);
    broken[1000] ^= 1;
    const error = await signImage(broken, { signer: ec.signer }).catch(e => e);
    expect(error).toBeInstanceOf(ImageInvalidError);
    expect((error as ImageInvalidError).problems.map(p => p.message).join()).toMatch(
      /checksum mismatch/,
    );
    await expect(
      signImage(readFixture('bootloader_esp32.bin'), { signer: ec.signer }),
    ).rejects.toThrow(/not an application/);
    await expect(signImage(app, { signer: ec.signer, targetChip: 'esp32c3' })).rejects.toThrow(
      /built for ESP32, target is ESP32-C3/,
    );
  });
});

describe('ImageSigner with a remote signer', () => {
  it('refuses a signature that does not verify with the signer public key', async () => {
    // a signer that reports one key and signs with another (e.g. a KMS key id mix-up)
    const wrong = {
      keyId: 'kms:mixed-up',
      verifyAfterSigning: true,
      getPublicKey: async () => ec.publicKey,
      signDigest: (digest: Uint8Array) => ec2.signer.signDigest(digest),
      begin: () => ec2.signer.begin(),
    };
    await expect(signImage(app, { signer: wrong })).rejects.toThrow(
      /signature from key kms:mixed-up does not verify/,
    );
    const right = { ...wrong, signDigest: (digest: Uint8Array) => ec.signer.signDigest(digest) };
    expect(parseAppImage((await signImage(app, { signer: right })).image).problems).toEqual([]);
  });
});
