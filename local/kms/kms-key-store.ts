/**
 * KMS keys on disk in `<stateDir>/kms/`: one `keys/<key id>.json` per key (private key PEM
 * inside, file mode 0600, written atomically) and `aliases.json`. Keys are generated on first
 * apply and found again by their Terraform address on later starts, so `GetPublicKey` answers
 * the same key across restarts; a changed key spec replaces the key, as Terraform would.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../state/write-file-atomic';
import { KmsError } from './kms-error';
import { keyGenerationOf, signingAlgorithmsFor, type SigningKeySpec } from './kms-signer';

/** Key specs we keep: asymmetric signing keys, and symmetric keys (declared, e.g. for SSE-KMS). */
export type KmsKeySpec = SigningKeySpec | 'SYMMETRIC_DEFAULT';

/** What we persist per key. */
export interface KmsKeyRecord {
  readonly keyId: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly keySpec: KmsKeySpec;
  readonly keyUsage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT';
  readonly description: string;
  readonly enabled: boolean;
  /** The Terraform address that declared the key, when it came from the stack. */
  readonly address?: string;
  /** PKCS #8 PEM of an asymmetric key. */
  readonly privateKeyPem?: string;
  /** Base64 of a symmetric key's 256-bit material (kept, not used: Encrypt/Decrypt are not served). */
  readonly symmetricKey?: string;
}

/** A loaded key: its record plus parsed key objects (asymmetric keys only). */
export interface KmsKey extends KmsKeyRecord {
  readonly privateKey?: KeyObject;
  readonly publicKeyDer?: Buffer;
}

/**
 * A stable key id (UUID-shaped) for a declared key: SHA-256 of account, region, Terraform address
 * and key spec. On AWS the id is random; locally it only has to be unique and stable.
 */
export function declaredKeyId(
  accountId: string,
  region: string,
  address: string,
  spec: string,
): string {
  const h = createHash('sha256').update(`${accountId}/${region}/${address}/${spec}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class KmsKeyStore {
  private readonly keys = new Map<string, KmsKey>();
  private aliases = new Map<string, string>();
  private readonly keysDir: string;
  private readonly aliasesFile: string;

  constructor(
    root: string,
    readonly region: string,
    readonly accountId: string,
  ) {
    this.keysDir = join(root, 'keys');
    this.aliasesFile = join(root, 'aliases.json');
    mkdirSync(this.keysDir, { recursive: true, mode: 0o700 });
    for (const file of readdirSync(this.keysDir)) {
      if (file.endsWith('.json'))
        this.remember(JSON.parse(readFileSync(join(this.keysDir, file), 'utf8')) as KmsKeyRecord);
    }
    try {
      this.aliases = new Map(
        Object.entries(
          JSON.parse(readFileSync(this.aliasesFile, 'utf8')) as Record<string, string>,
        ),
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private remember(record: KmsKeyRecord): KmsKey {
    let key: KmsKey = record;
    if (record.privateKeyPem) {
      const privateKey = createPrivateKey(record.privateKeyPem);
      key = {
        ...record,
        privateKey,
        publicKeyDer: createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
      };
    }
    this.keys.set(record.keyId, key);
    return key;
  }

  /**
   * The key declared at `address` with `spec`, generated (and saved, 0600) the first time.
   * Its id is derived from account, region, address and spec (see {@link declaredKeyId}), so the
   * Terraform apply can name it before the store is open, and a changed spec makes a new key.
   */
  ensureKey(address: string, spec: KmsKeySpec, description: string): KmsKey {
    const keyId = declaredKeyId(this.accountId, this.region, address, spec);
    const existing = this.keys.get(keyId);
    if (existing) return existing;
    const base = {
      keyId,
      arn: `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`,
      createdAt: Math.floor(Date.now() / 1000),
      keySpec: spec,
      description,
      enabled: true,
      address,
    };
    let record: KmsKeyRecord;
    if (spec === 'SYMMETRIC_DEFAULT') {
      record = {
        ...base,
        keyUsage: 'ENCRYPT_DECRYPT',
        symmetricKey: randomBytes(32).toString('base64'),
      };
    } else {
      const gen = keyGenerationOf(spec);
      const { privateKey } =
        gen.type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: gen.modulusLength })
          : generateKeyPairSync('ec', { namedCurve: gen.namedCurve });
      record = {
        ...base,
        keyUsage: 'SIGN_VERIFY',
        privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      };
    }
    writeFileAtomicSync(join(this.keysDir, `${keyId}.json`), JSON.stringify(record, null, 2), {
      mode: 0o600,
    });
    return this.remember(record);
  }

  /** Point `alias/<name>` at a key (CreateAlias/UpdateAlias semantics). */
  setAlias(aliasName: string, keyId: string): void {
    if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(aliasName) || aliasName.startsWith('alias/aws/')) {
      throw new KmsError(
        'ValidationException',
        `alias name "${aliasName}" must be alias/ followed by letters, digits, /, _ or - (and not alias/aws/)`,
      );
    }
    this.resolve(keyId);
    this.aliases.set(aliasName, this.resolve(keyId).keyId);
    writeFileAtomicSync(
      this.aliasesFile,
      JSON.stringify(Object.fromEntries(this.aliases), null, 2),
    );
  }

  aliasArn(aliasName: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:${aliasName}`;
  }

  /** Aliases pointing at a key (for DescribeKey tools and ListAliases). */
  aliasesOf(keyId: string): string[] {
    return [...this.aliases.entries()].filter(([, id]) => id === keyId).map(([name]) => name);
  }

  allAliases(): Array<[string, string]> {
    return [...this.aliases.entries()];
  }

  /**
   * A key by id, key ARN, alias name or alias ARN, as KMS accepts `KeyId`.
   * @throws KmsError NotFoundException in KMS's words
   */
  resolve(keyId: string): KmsKey {
    const arnPrefix = `arn:aws:kms:${this.region}:${this.accountId}:`;
    let ref = keyId;
    if (ref.startsWith('arn:')) {
      if (!ref.startsWith(arnPrefix))
        throw new KmsError('NotFoundException', `Invalid arn ${keyId}`);
      ref = ref.slice(arnPrefix.length);
      if (ref.startsWith('key/')) ref = ref.slice(4);
    }
    if (ref.startsWith('alias/')) {
      const target = this.aliases.get(ref);
      if (!target)
        throw new KmsError('NotFoundException', `Alias ${arnPrefix}${ref} is not found.`);
      ref = target;
    }
    const key = this.keys.get(ref);
    if (!key)
      throw new KmsError('NotFoundException', `Key '${arnPrefix}key/${ref}' does not exist`);
    return key;
  }

  list(): KmsKey[] {
    return [...this.keys.values()];
  }

  /** KMS's `KeyMetadata` for DescribeKey. */
  metadata(key: KmsKey): Record<string, unknown> {
    return {
      AWSAccountId: this.accountId,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.createdAt,
      Enabled: key.enabled,
      Description: key.description,
      KeyUsage: key.keyUsage,
      KeyState: key.enabled ? 'Enabled' : 'Disabled',
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: key.keySpec,
      KeySpec: key.keySpec,
      ...(key.keySpec === 'SYMMETRIC_DEFAULT'
        ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }
        : { SigningAlgorithms: signingAlgorithmsFor(key.keySpec) }),
      MultiRegion: false,
    };
  }
}
