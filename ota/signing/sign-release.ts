import type { AppDescriptor } from '../app-image/app-image-info';
import { ImageInvalidError } from '../errors/image-invalid-error';
import { ImageSigner, type SignedImage } from '../secure-boot/image-signer';
import { createDetachedSignature, type DetachedSignature } from './detached-signature';
import type { Signer } from './signer';

/** Options of `signRelease`. */
export interface SignReleaseOptions {
  /** Signs the Secure Boot V2 block (RSA-3072 or ECDSA P-256 key). */
  readonly secureBootSigner: Signer;
  /** Signs the detached `sig-sha256-ecdsa` signature (ECDSA P-256 key). */
  readonly updateSigner: Signer;
  /** Chip the fleet runs; an image for another chip is refused. @defaultValue any known chip */
  readonly targetChip?: string;
  /** Add a block to an already signed image. @defaultValue false */
  readonly append?: boolean;
  /**
   * Receives the signed image, in order, as it is produced (e.g. a file or multipart upload);
   * awaited, so it can apply backpressure. When `signRelease` rejects, what it received is not a
   * valid release and must be discarded.
   */
  readonly write: (chunk: Uint8Array) => void | Promise<void>;
}

/** A signed release: the image facts, its digests and both signatures. */
export interface SignedRelease extends Omit<SignedImage, 'outputHash'> {
  /** The app descriptor (a release is always an application). */
  readonly app: AppDescriptor;
  readonly detachedSignature: DetachedSignature;
  /** The key that signed the Secure Boot block. */
  readonly secureBootKeyId: string;
}

/**
 * Validates, Secure-Boot-signs and detached-signs a firmware image in one streaming pass:
 * chunks come in (a file read stream), the signed image goes out through `write`, every byte is
 * hashed once, and memory stays constant. Refuses (with `ImageInvalidError` listing every
 * problem) anything that is not a valid application for `targetChip`.
 *
 * The Secure Boot digest covers image + padding; the detached signature covers image + padding
 * + signature sector, i.e. exactly the bytes the device downloads.
 */
export async function signRelease(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: SignReleaseOptions,
): Promise<SignedRelease> {
  const signer = new ImageSigner({
    signer: options.secureBootSigner,
    targetChip: options.targetChip,
    append: options.append,
  });
  for await (const chunk of chunks) {
    for (const piece of signer.push(chunk)) await options.write(piece);
  }
  const { tail, result } = await signer.finish();
  const { outputHash, ...image } = result;
  if (!image.input.app) throw new ImageInvalidError(image.input.problems, 'not an application');
  const detachedSignature = await createDetachedSignature(
    options.updateSigner,
    outputHash.digest(),
  );
  await options.write(tail);
  return {
    ...image,
    app: image.input.app,
    detachedSignature,
    secureBootKeyId: options.secureBootSigner.keyId,
  };
}
