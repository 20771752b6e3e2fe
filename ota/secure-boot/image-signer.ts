import type { Hash } from 'node:crypto';
import type { AppImageInfo } from '../app-image/app-image-info';
import { AppImageParser } from '../app-image/app-image-parser';
import { sectorStartFor } from '../app-image/decode';
import type { ImageProblemCode } from '../app-image/image-problem';
import { ImageInvalidError } from '../errors/image-invalid-error';
import { SignatureSectorFullError } from '../errors/signature-sector-full-error';
import { SigningError } from '../errors/signing-error';
import { algorithmOf } from '../signing/key-algorithm';
import type { Signer } from '../signing/signer';
import { FILL_BYTE, MAX_BLOCKS, SECTOR_SIZE } from './constants';
import { encodeEcdsaP256Block, encodeRsaBlock } from './encode-signature-block';
import { parseSignatureBlock, type SignatureBlock } from './signature-block';
import { verifySignatureBlock } from './verify-signature-block';

/** Options of `ImageSigner`. */
export interface ImageSignerOptions {
  /** Signs the Secure Boot V2 block; its key picks the block version (RSA-3072 → 2, P-256 → 3). */
  readonly signer: Signer;
  /**
   * Add a block to an image that already has a signature sector (at most three blocks), as
   * `espsecure sign_data --append-signatures`. An unsigned input is signed afresh either way.
   * @defaultValue false: an already signed input is refused
   */
  readonly append?: boolean;
  /** Chip the image must be built for. @defaultValue any known chip */
  readonly targetChip?: string;
  /**
   * Problems that do not block signing. Bootloaders have no app descriptor, so
   * `fleet image sign` passes `['not-an-application']`; releases pass nothing.
   * @defaultValue none: any problem refuses the image
   */
  readonly tolerate?: readonly ImageProblemCode[];
}

/** What `ImageSigner.finish` returns besides the output's last bytes. */
export interface SignedImage {
  /** The input, as parsed and validated. */
  readonly input: AppImageInfo;
  /** Output size in bytes (a multiple of 4096). */
  readonly size: number;
  /** SHA-256 of the signed content (image + 0xFF padding): the digest every block signs. */
  readonly contentSha256: string;
  /** SHA-256 of the whole output (content + signature sector), lowercase hex. */
  readonly sha256: string;
  /** Every block of the output's sector; the new one is last. */
  readonly blocks: readonly SignatureBlock[];
  /** The running SHA-256 state of the whole output, for a caller that needs the digest bytes. */
  readonly outputHash: Hash;
}

/**
 * Signs an image in one streaming pass, with constant memory (Secure Boot V2, esp32-image.md
 * "Secure Boot V2 signature sector"): `push` each input chunk and write the returned pieces, then
 * write `tail` from `finish()` — 0xFF padding to 4 KB (unless already there) and a signature
 * sector with the existing blocks (`append`) and the new one, 0xFF-filled.
 *
 * The input is validated on the way (`AppImageParser`); `finish` throws `ImageInvalidError`
 * listing every problem, so pieces already written must be discarded when it throws (write to
 * a temporary file or an uncompleted upload). Each byte is hashed once: the parser's SHA-256
 * state at the image end is continued over padding and sector.
 */
export class ImageSigner {
  private readonly parser: AppImageParser;
  private emitted = 0;

  constructor(private readonly options: ImageSignerOptions) {
    this.parser = new AppImageParser({ targetChip: options.targetChip });
  }

  /** Feeds an input chunk; returns the output pieces that are final already (views, no copy). */
  push(chunk: Uint8Array): Uint8Array[] {
    const start = this.parser.position;
    this.parser.push(chunk);
    const end = this.parser.imageEnd;
    const limit = end === undefined ? Infinity : this.options.append ? sectorStartFor(end) : end;
    const upTo = Math.min(start + chunk.length, limit);
    if (upTo <= this.emitted) return [];
    const piece = chunk.subarray(this.emitted - start, upTo - start);
    this.emitted = upTo;
    return [piece];
  }

  /** Ends the input; signs; returns the bytes still to write and the result. */
  async finish(): Promise<{ tail: Buffer; result: SignedImage }> {
    const info = this.parser.finish();
    const tolerated = new Set(this.options.tolerate ?? []);
    const blocking = info.problems.filter(p => !tolerated.has(p.code));
    if (blocking.length > 0)
      throw new ImageInvalidError(blocking, 'refusing to sign an invalid image');
    const imageEnd = info.imageEnd ?? info.size;
    const existing = info.signatureSector?.blocks ?? [];
    if (info.signatureSector && !this.options.append) {
      throw new ImageInvalidError(
        [
          {
            offset: info.signatureSector.offset,
            message: 'image is already signed; use append to add a signature block',
          },
        ],
        'refusing to sign',
      );
    }
    if (existing.length >= MAX_BLOCKS)
      throw new SignatureSectorFullError(info.signatureSector?.offset ?? 0, MAX_BLOCKS);

    const sectorStart = sectorStartFor(imageEnd);
    const padding = Buffer.alloc(sectorStart - this.emitted, FILL_BYTE);
    const state =
      this.emitted === sectorStart && info.signatureSector
        ? this.parser.hashStateAt('sector-start')
        : this.parser.hashStateAt('image-end');
    if (!state) throw new SigningError('internal: no hash state at the image end');
    state.update(padding);
    const contentDigest = state.copy().digest();

    const block = await this.signBlock(contentDigest, existing.length, sectorStart);
    const sector = Buffer.alloc(SECTOR_SIZE, FILL_BYTE);
    existing.forEach((b, i) => Buffer.from(b.raw).copy(sector, i * b.raw.length));
    block.copy(sector, existing.length * block.length);
    state.update(sector);
    const blocks = [
      ...existing.map(b => ({ ...b, raw: Buffer.from(b.raw) })),
      parseSignatureBlock(block, existing.length, sectorStart + existing.length * block.length)!,
    ];
    return {
      tail: Buffer.concat([padding, sector]),
      result: {
        input: info,
        size: sectorStart + SECTOR_SIZE,
        contentSha256: contentDigest.toString('hex'),
        sha256: state.copy().digest('hex'),
        blocks,
        outputHash: state,
      },
    };
  }

  /** Signs the content digest; checks the new block with the public key if the signer is remote. */
  private async signBlock(digest: Buffer, index: number, sectorStart: number): Promise<Buffer> {
    const { signer } = this.options;
    const publicKey = await signer.getPublicKey();
    const algorithm = algorithmOf(publicKey, 'signer');
    const signature = await signer.signDigest(digest);
    const block =
      algorithm === 'RSA-PSS-3072'
        ? encodeRsaBlock(digest, publicKey, signature)
        : encodeEcdsaP256Block(digest, publicKey, signature);
    const parsed = parseSignatureBlock(block, index, sectorStart);
    if (
      !parsed ||
      (signer.verifyAfterSigning && !verifySignatureBlock(parsed, digest, publicKey).verified)
    ) {
      throw new SigningError(
        `signature from key ${signer.keyId} does not verify with its own public key`,
      );
    }
    return block;
  }
}

/** Signs an image held in memory (tests, small files): the signed bytes and the result. */
export async function signImage(
  bytes: Uint8Array,
  options: ImageSignerOptions,
): Promise<{ image: Buffer; result: SignedImage }> {
  const signer = new ImageSigner(options);
  const pieces = signer.push(bytes);
  const { tail, result } = await signer.finish();
  return { image: Buffer.concat([...pieces, tail]), result };
}
