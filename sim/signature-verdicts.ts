/**
 * The detached-signature check of the virtual devices of one process, through `ota/`'s
 * `verifyDetachedSignature` — a pure function of the public key, the digest and the signature. A
 * real fleet runs one check per device on the device's own CPU; thousands of simulated devices
 * share one CPU, and running the same pure check 5,000 times over the same three inputs was 14 %
 * of the simulator's CPU in a rollout (pure-JS P-256), time the downloads of the others waited
 * for. So the verdict is kept per (key, digest, signature) and shared. Each device still hashes
 * every byte it received itself: a flipped byte or a short download gives another digest and is
 * caught by the size and SHA-256 checks before the signature is looked at.
 */
import type { KeyObject } from 'node:crypto';
import { verifyDetachedSignature } from '../ota/signing/detached-signature';

/** Verdicts kept at most (a rollout needs one per release; the bound only guards misuse). */
const MAX_VERDICTS = 256;

export class SignatureVerdicts {
  private readonly verdicts = new Map<string, boolean>();
  private readonly keyIds = new WeakMap<KeyObject, number>();
  private nextKeyId = 0;

  /** `verifyDetachedSignature(publicKey, sha256, signature)`, computed once per distinct input. */
  verify(publicKey: KeyObject, sha256: Uint8Array, signature: string): boolean {
    let keyId = this.keyIds.get(publicKey);
    if (keyId === undefined) this.keyIds.set(publicKey, (keyId = this.nextKeyId++));
    const key = `${keyId}:${Buffer.from(sha256).toString('hex')}:${signature}`;
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      verdict = verifyDetachedSignature(publicKey, sha256, signature);
      if (this.verdicts.size >= MAX_VERDICTS)
        this.verdicts.delete(this.verdicts.keys().next().value!);
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }
}
