/**
 * S3 buckets and objects on disk, in `<stateDir>/s3/`, written so that a killed server never
 * leaves a half-written object visible:
 *
 * - a body streams into `tmp/<uuid>` (fsync on close), is checked, then renamed to `data/<uuid>`;
 * - the object's metadata file `objects/<bucket>/<sha256(key)>.json` names its data file and is
 *   written the same way; its rename is the commit point (rename is atomic on POSIX);
 * - on start, `tmp/` is emptied and data files no metadata names are removed.
 *
 * An in-memory index of the metadata serves HEAD and LIST without touching the disk.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChecksumAlgorithm } from './checksum';
import { OpenFileCache } from './open-file-cache';

/** Bucket settings applied from Terraform (or CreateBucket), kept in `buckets/<name>.json`. */
export interface BucketState {
  readonly name: string;
  readonly createdAt: string;
  versioning?: 'Enabled' | 'Suspended';
  encryption?: { algorithm: 'aws:kms' | 'AES256'; kmsKeyId?: string; bucketKeyEnabled?: boolean };
  publicAccessBlock?: {
    blockPublicAcls: boolean;
    blockPublicPolicy: boolean;
    ignorePublicAcls: boolean;
    restrictPublicBuckets: boolean;
  };
  /** `BucketOwnerEnforced` disables ACLs (requests carrying one are refused). */
  objectOwnership?: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter';
  /** The bucket policy JSON text, as Terraform wrote it. */
  policy?: string;
}

/** What we keep about one object (its current version). */
export interface ObjectMeta {
  readonly key: string;
  readonly dataFile: string;
  readonly size: number;
  /** Quoted, as S3 sends it: `"<md5 hex>"`, or `"<md5 of part md5s>-<parts>"` for multipart. */
  readonly etag: string;
  readonly lastModified: string;
  readonly contentType: string;
  readonly userMetadata: Readonly<Record<string, string>>;
  /** Other representation headers stored and replayed (cache-control, content-disposition …). */
  readonly headers: Readonly<Record<string, string>>;
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly value: string };
  readonly versionId?: string;
}

/** A body written to `tmp/` and fsynced, not yet visible. */
export interface StagedBody {
  readonly path: string;
  readonly size: number;
  readonly md5: Buffer;
}

/** Observes the body bytes while they stream to disk (checksums, payload hash). */
export type BodyObserver = (chunk: Buffer) => void;

export class ObjectStore {
  private readonly tmpDir: string;
  private readonly dataDir: string;
  private readonly bucketsDir: string;
  private readonly objectsDir: string;
  readonly uploadsDir: string;
  private readonly buckets = new Map<string, BucketState>();
  private readonly objects = new Map<string, Map<string, ObjectMeta>>();
  /** Descriptors of committed data files, for ranged reads. */
  readonly openFiles = new OpenFileCache();
  private readonly keyLocks = new Map<string, Promise<void>>();

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
    this.dataDir = join(root, 'data');
    this.bucketsDir = join(root, 'buckets');
    this.objectsDir = join(root, 'objects');
    this.uploadsDir = join(root, 'uploads');
  }

  /** Load buckets and object metadata, drop staging leftovers and unreferenced data files. */
  async open(): Promise<void> {
    for (const dir of [
      this.tmpDir,
      this.dataDir,
      this.bucketsDir,
      this.objectsDir,
      this.uploadsDir,
    ]) {
      await mkdir(dir, { recursive: true });
    }
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir);
    for (const file of await readdir(this.bucketsDir)) {
      if (!file.endsWith('.json')) continue;
      const state = JSON.parse(await readFile(join(this.bucketsDir, file), 'utf8')) as BucketState;
      this.buckets.set(state.name, state);
      const index = new Map<string, ObjectMeta>();
      this.objects.set(state.name, index);
      const dir = join(this.objectsDir, state.name);
      await mkdir(dir, { recursive: true });
      for (const metaFile of await readdir(dir)) {
        if (!metaFile.endsWith('.json')) continue;
        const meta = JSON.parse(await readFile(join(dir, metaFile), 'utf8')) as ObjectMeta;
        index.set(meta.key, meta);
      }
    }
    const referenced = new Set(
      [...this.objects.values()].flatMap(index => [...index.values()].map(m => m.dataFile)),
    );
    for (const file of await readdir(this.dataDir)) {
      if (!referenced.has(file)) await unlink(join(this.dataDir, file));
    }
  }

  bucket(name: string): BucketState | undefined {
    return this.buckets.get(name);
  }

  bucketNames(): string[] {
    return [...this.buckets.keys()].sort();
  }

  /** Create the bucket if absent, then merge `settings` into it and persist atomically. */
  async putBucket(
    name: string,
    settings: Partial<Omit<BucketState, 'name' | 'createdAt'>> = {},
  ): Promise<BucketState> {
    const current = this.buckets.get(name) ?? { name, createdAt: new Date().toISOString() };
    const next: BucketState = { ...current, ...settings };
    await this.writeJsonAtomic(join(this.bucketsDir, `${name}.json`), next);
    await mkdir(join(this.objectsDir, name), { recursive: true });
    this.buckets.set(name, next);
    if (!this.objects.has(name)) this.objects.set(name, new Map());
    return next;
  }

  object(bucket: string, key: string): ObjectMeta | undefined {
    return this.objects.get(bucket)?.get(key);
  }

  /** Every key of the bucket, sorted by UTF-8 bytes as S3 lists them. */
  sortedKeys(bucket: string): string[] {
    const keys = [...(this.objects.get(bucket)?.keys() ?? [])];
    return keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  dataPath(meta: ObjectMeta): string {
    return join(this.dataDir, meta.dataFile);
  }

  /**
   * Stream `source` (through `decoders`, e.g. aws-chunked) into a new staging file, fsynced on
   * close, feeding `observe` each decoded chunk.
   */
  async stage(
    source: Readable | AsyncIterable<Buffer>,
    observe?: BodyObserver,
    decoders: readonly Transform[] = [],
  ): Promise<StagedBody> {
    const path = join(this.tmpDir, randomUUID());
    const md5 = createHash('md5');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        size += chunk.length;
        observe?.(chunk);
        done(null, chunk);
      },
    });
    try {
      const readable =
        source instanceof Readable ? source : Readable.from(source, { objectMode: false });
      await pipeline([readable, ...decoders, tap, createWriteStream(path, { flush: true })]);
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return { path, size, md5: md5.digest() };
  }

  /** Stage the concatenation of files (multipart completion), streaming. */
  async stageConcatenation(paths: readonly string[]): Promise<StagedBody> {
    async function* chain(): AsyncIterable<Buffer> {
      for (const path of paths)
        yield* createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
    }
    return this.stage(chain());
  }

  async discard(staged: StagedBody): Promise<void> {
    await rm(staged.path, { force: true });
  }

  /**
   * Make a staged body the current version of `key`: move the data into `data/`, then commit
   * by renaming the metadata file into place; the previous version's data is removed after.
   */
  commit(
    bucket: string,
    staged: StagedBody,
    meta: Omit<ObjectMeta, 'dataFile' | 'size'>,
  ): Promise<ObjectMeta> {
    return this.serialized(bucket, meta.key, () => this.commitNow(bucket, staged, meta));
  }

  private async commitNow(
    bucket: string,
    staged: StagedBody,
    meta: Omit<ObjectMeta, 'dataFile' | 'size'>,
  ): Promise<ObjectMeta> {
    const index = this.objects.get(bucket);
    if (!index) throw new Error(`bucket ${bucket} vanished during the upload`);
    const dataFile = randomUUID();
    const full: ObjectMeta = { ...meta, dataFile, size: staged.size };
    await rename(staged.path, join(this.dataDir, dataFile));
    await fsyncDir(this.dataDir);
    await this.writeJsonAtomic(this.metaPath(bucket, meta.key), full);
    const previous = index.get(meta.key);
    index.set(meta.key, full);
    if (previous) await this.removeData(previous.dataFile);
    return full;
  }

  /** Remove the current version of `key`; true when there was one. */
  delete(bucket: string, key: string): Promise<boolean> {
    return this.serialized(bucket, key, () => this.deleteNow(bucket, key));
  }

  /**
   * Run commits and deletes of one key one after another: two concurrent PUTs of a key must
   * leave the metadata file, the index and the surviving data file all naming the same version.
   */
  private serialized<T>(bucket: string, key: string, work: () => Promise<T>): Promise<T> {
    const lockKey = `${bucket}\n${key}`;
    const previous = this.keyLocks.get(lockKey) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.keyLocks.set(lockKey, settled);
    void settled.then(() => {
      if (this.keyLocks.get(lockKey) === settled) this.keyLocks.delete(lockKey);
    });
    return run;
  }

  private async deleteNow(bucket: string, key: string): Promise<boolean> {
    const index = this.objects.get(bucket);
    const previous = index?.get(key);
    if (!index || !previous) return false;
    await unlink(this.metaPath(bucket, key));
    await fsyncDir(join(this.objectsDir, bucket));
    index.delete(key);
    await this.removeData(previous.dataFile);
    return true;
  }

  private async removeData(dataFile: string): Promise<void> {
    const path = join(this.dataDir, dataFile);
    this.openFiles.forget(path);
    await rm(path, { force: true });
  }

  /** Write JSON through a fsynced temporary file and an atomic rename. */
  async writeJsonAtomic(path: string, value: unknown): Promise<void> {
    const tmp = join(this.tmpDir, `${randomUUID()}.json`);
    await writeFile(tmp, JSON.stringify(value, null, 2), { flush: true });
    await rename(tmp, path);
    await fsyncDir(join(path, '..'));
  }

  private metaPath(bucket: string, key: string): string {
    const name = createHash('sha256').update(key, 'utf8').digest('hex');
    return join(this.objectsDir, bucket, `${name}.json`);
  }
}

/** Make a rename durable: fsync the directory that holds the new name. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
