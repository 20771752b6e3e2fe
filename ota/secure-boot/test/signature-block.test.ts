import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixturePath, readFixture } from '../../../test/utils/fixtures';
import { readFileSync } from 'node:fs';
import { parseAppImage } from '../../app-image';
import { keyDigestOf, verifyImageSignature } from '..';

const pub = (n: '' | '2' | '3') =>
  createPublicKey(
    readFileSync(
      fixturePath(`rsa_secure_boot_signing_pubkey${n}.pem` as 'rsa_secure_boot_signing_pubkey.pem'),
    ),
  );

const DIGESTS = [
  'cb2791a371b0c0322bf7370478ba0962224cab1cf2287879e429673e7da84463',
  '901a7409238d52d4cbf96f563fb3f4296dabd66a33f53b15eecd8cb3e7ec45d3',
  '27919392d68bab79286a26759143a5b1d599efcebd754e5703b5dd23b5e3dd3b',
];

describe('Secure Boot V2 blocks of the fixtures', () => {
  it('computes the key digest of each public key as espsecure prints it', () => {
    expect([keyDigestOf(pub('')), keyDigestOf(pub('2')), keyDigestOf(pub('3'))]).toEqual(DIGESTS);
  });

  it('verifies bootloader_signed_v2_rsa.bin with its key and with no other', () => {
    const info = parseAppImage(readFixture('bootloader_signed_v2_rsa.bin'));
    expect(verifyImageSignature(info, pub('')).verified).toBe(true);
    expect(verifyImageSignature(info, pub('2')).verified).toBe(false);
  });

  it('verifies each block of bootloader_multi_signed_v2_rsa.bin with its own key only', () => {
    const info = parseAppImage(readFixture('bootloader_multi_signed_v2_rsa.bin'));
    const matrix = (['', '2', '3'] as const).map(k =>
      verifyImageSignature(info, pub(k)).blocks.map(b => b.verified),
    );
    expect(matrix).toEqual([
      [true, false, false],
      [false, true, false],
      [false, false, true],
    ]);
  });

  it('fails verification when any bit of the signed part (content or block) is flipped', () => {
    const original = readFixture('bootloader_signed_v2_rsa.bin');
    const key = pub('');
    // every 97th byte of the content, and every byte the block's CRC covers, each bit position
    const offsets: number[] = [];
    for (let at = 0; at < 0x8000; at += 97) offsets.push(at);
    for (let at = 0x8000; at < 0x8000 + 1200; at += 3) offsets.push(at);
    for (const [i, at] of offsets.entries()) {
      const bytes = Buffer.from(original);
      bytes[at] ^= 1 << (i % 8);
      const result = verifyImageSignature(parseAppImage(bytes), key);
      expect(result.verified, `bit ${i % 8} of byte 0x${at.toString(16)}`).toBe(false);
    }
  });
});
