/**
 * Where releases live in the firmware bucket, and the calls that read and write them.
 *
 * | key                                    | what                                                |
 * | -------------------------------------- | --------------------------------------------------- |
 * | `firmware/<releaseId>.bin`             | the signed image devices download                   |
 * | `firmware/<releaseId>.manifest.json`   | its release manifest (canonical JSON), beside it    |
 * | `fleet-state/thing-groups/<group>.json` | the release a thing group was last given (version policy) |
 *
 * Keys are content-addressed by the release id, which is a SHA-256 over the unsigned input and the
 * version (`releaseIdOf`): a KMS signature is not deterministic (RSA-PSS salt, ECDSA nonce), so
 * the signed bytes of a rebuild differ and cannot name the object. The same input and version
 * always map to the same key, so a rebuild (or a retry after a crash) finds the object by
 * `HeadObject` and never uploads it twice. The image object carries its manifest in user metadata
 * (`x-amz-meta-release-manifest`, base64url) so a crash between the two uploads is repaired from
 * the object alone, without signing again.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  parseReleaseManifest,
  serializeReleaseManifest,
  type ReleaseManifest,
} from '../../ota/release-manifest';
import { awsErrorName, rethrowAws } from '../clients/aws-error';

export const releaseKeys = {
  image: (releaseId: string) => `firmware/${releaseId}.bin`,
  manifest: (releaseId: string) => `firmware/${releaseId}.manifest.json`,
  group: (group: string) => `fleet-state/thing-groups/${group}.json`,
};

/** S3 user metadata key holding the manifest on the image object. */
export const MANIFEST_METADATA = 'release-manifest';

/** What a thing group was last given: the input of the version policy. */
export interface GroupReleaseRecord {
  readonly group: string;
  readonly releaseId: string;
  readonly version: string;
  readonly secureVersion: number;
  readonly updatedAt: string;
}

function isNotFound(error: unknown): boolean {
  const name = awsErrorName(error);
  return (
    name === 'NotFound' ||
    name === 'NoSuchKey' ||
    (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 404
  );
}

/** Reads and writes releases in one bucket. */
export class ReleaseStore {
  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    readonly bucket: string,
  ) {}

  /** The object's user metadata, or null if there is no such object. */
  async head(key: string): Promise<Record<string, string> | null> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Metadata ?? {};
    } catch (error) {
      if (isNotFound(error)) return null;
      rethrowAws(`HeadObject s3://${this.bucket}/${key}`, error);
    }
  }

  async getText(key: string): Promise<string | null> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isNotFound(error)) return null;
      rethrowAws(`GetObject s3://${this.bucket}/${key}`, error);
    }
  }

  /** The stored manifest of a release, or null if it was not built (completely) yet. */
  async getManifest(releaseId: string): Promise<ReleaseManifest | null> {
    const text = await this.getText(releaseKeys.manifest(releaseId));
    return text === null ? null : parseReleaseManifest(text);
  }

  /** Uploads the signed image from a file, with its manifest in the object's metadata. */
  async putImage(releaseId: string, file: string, manifest: ReleaseManifest): Promise<void> {
    const key = releaseKeys.image(releaseId);
    const { size } = await stat(file);
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: createReadStream(file),
          ContentLength: size,
          ContentType: 'application/octet-stream',
          Metadata: {
            [MANIFEST_METADATA]: Buffer.from(serializeReleaseManifest(manifest)).toString(
              'base64url',
            ),
          },
        }),
      );
    } catch (error) {
      rethrowAws(`PutObject s3://${this.bucket}/${key}`, error);
    }
  }

  /** The manifest an image object carries in its metadata (see the file header). */
  manifestFromMetadata(metadata: Record<string, string>): ReleaseManifest | null {
    const value = metadata[MANIFEST_METADATA];
    return value === undefined
      ? null
      : parseReleaseManifest(Buffer.from(value, 'base64url').toString('utf8'));
  }

  async putManifest(releaseId: string, manifest: ReleaseManifest): Promise<void> {
    await this.putJson(releaseKeys.manifest(releaseId), serializeReleaseManifest(manifest));
  }

  async getGroupRecord(group: string): Promise<GroupReleaseRecord | null> {
    const text = await this.getText(releaseKeys.group(group));
    return text === null ? null : (JSON.parse(text) as GroupReleaseRecord);
  }

  async putGroupRecord(record: GroupReleaseRecord): Promise<void> {
    await this.putJson(releaseKeys.group(record.group), JSON.stringify(record));
  }

  private async putJson(key: string, text: string): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: text,
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      rethrowAws(`PutObject s3://${this.bucket}/${key}`, error);
    }
  }
}
