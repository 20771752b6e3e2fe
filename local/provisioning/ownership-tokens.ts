/**
 * Certificate ownership tokens for fleet provisioning: issued by CreateKeysAndCertificate and
 * CreateCertificateFromCsr, redeemed by RegisterThing. "For security, the certificateOwnershipToken
 * ... expires after one hour"; "if the certificate ... has not been activated and has not been
 * attached to a policy or a thing by the time the token expires, the certificate is deleted"
 * (https://docs.aws.amazon.com/iot/latest/developerguide/fleet-provision-api.html). A token is
 * single-use: once RegisterThing succeeds it is gone. Tokens live in memory only; after a restart a
 * device asks for a new certificate, as it would after expiry.
 */
import { randomBytes } from 'node:crypto';

/** Token lifetime: one hour, as AWS documents. */
export const OWNERSHIP_TOKEN_TTL_MS = 60 * 60 * 1000;

interface TokenEntry {
  readonly certificateId: string;
  readonly expiresAt: number;
  inUse: boolean;
}

/** Why a token cannot be redeemed. */
export type TokenProblem = 'unknown' | 'expired' | 'in-use';

/** See the file header. `now` is injectable so tests can move past the hour. */
export class OwnershipTokens {
  private readonly tokens = new Map<string, TokenEntry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly onExpired: (certificateId: string) => void = () => {},
  ) {}

  /** Issues a token for a PENDING_ACTIVATION certificate. */
  issue(certificateId: string): string {
    // Opaque, long, URL-safe; AWS tokens are opaque strings of several hundred characters.
    const token = randomBytes(96).toString('base64url');
    this.tokens.set(token, { certificateId, expiresAt: this.now() + OWNERSHIP_TOKEN_TTL_MS, inUse: false });
    return token;
  }

  /**
   * Reserves a token for one RegisterThing attempt, so two concurrent requests cannot both use it.
   * @returns the certificate id, or the problem
   */
  reserve(token: string): { certificateId: string } | { problem: TokenProblem } {
    const entry = this.tokens.get(token);
    if (!entry) return { problem: 'unknown' };
    if (this.now() >= entry.expiresAt) {
      this.expire(token, entry);
      return { problem: 'expired' };
    }
    if (entry.inUse) return { problem: 'in-use' };
    entry.inUse = true;
    return { certificateId: entry.certificateId };
  }

  /** Releases a reservation after a failed attempt (the device may retry until expiry). */
  release(token: string): void {
    const entry = this.tokens.get(token);
    if (entry) entry.inUse = false;
  }

  /** Consumes a token after a successful RegisterThing. */
  consume(token: string): void {
    this.tokens.delete(token);
  }

  /** Drops expired tokens and deletes their never-registered certificates. */
  sweep(): void {
    const now = this.now();
    for (const [token, entry] of this.tokens) if (now >= entry.expiresAt && !entry.inUse) this.expire(token, entry);
  }

  private expire(token: string, entry: TokenEntry): void {
    this.tokens.delete(token);
    this.onExpired(entry.certificateId);
  }
}
