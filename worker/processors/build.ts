/**
 * `build` processor: validate, sign and store one release, then queue its dispatch.
 *
 * Input: `BuildJobData` (queues.ts). Output: `BuildResult`. Steps, each idempotent:
 * 1. the manifest exists → the release is built; go to 5.
 * 2. the image exists but not the manifest (a crash between the uploads) → write the manifest the
 *    image carries in its metadata; go to 5.
 * 3. version policy against what the plan's thing groups were last given (`release-store.ts`):
 *    not newer → fail. Then sign in one streaming pass (`signRelease`: validate, Secure Boot V2
 *    block, detached signature) into a temporary file; secure_version lower → fail.
 * 4. upload the image (HeadObject said it is absent), then the manifest beside it.
 * 5. queue `dispatch-<releaseId>` (a no-op if it is queued already).
 * Errors: bad image, wrong chip, bootloader, downgrade, lower secure_version, bad plan →
 * `UnrecoverableError` with `ota/`'s message, nothing written to S3. AWS throttling/5xx → thrown
 * (retried with backoff); AWS 4xx → `UnrecoverableError` with AWS's message.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { UnrecoverableError, type Job } from 'bullmq';
import semver from 'semver';
import { parseRolloutPlan } from '../../ota/rollout-plan/parse-rollout-plan';
import {
  createReleaseManifest,
  RELEASE_CHIPS,
  releaseIdOf,
  type ReleaseManifest,
  type SecureBootScheme,
} from '../../ota/release-manifest';
import { signRelease } from '../../ota/signing/sign-release';
import {
  checkVersionPolicy,
  combineFleetStates,
  type FleetVersionState,
} from '../../ota/version-policy';
import { rethrowAws } from '../clients/aws-error';
import { buildJobSchema, DEFAULT_JOB_OPTIONS, jobIds, type BuildJobData } from '../queues';
import { releaseKeys } from '../release/release-store';
import { planThingGroups } from '../rollout/thing-groups';
import { parseJobData, unrecoverableIfOta } from './job-data';
import type { ProcessorContext } from './processor-context';

/** Progress reported through `job.updateProgress` (read by `fleet release`). */
export interface BuildProgress {
  readonly phase: 'checking' | 'signing' | 'uploading' | 'done';
  /** 0–100. */
  readonly percent: number;
  readonly bytes?: number;
  readonly total?: number;
}

export interface BuildResult {
  readonly releaseId: string;
  readonly imageKey: string;
  readonly manifestKey: string;
  readonly sha256: string;
  readonly size: number;
  /** False when the object was there already (same input built before). */
  readonly uploaded: boolean;
}

const SCHEMES: Record<string, SecureBootScheme | undefined> = {
  'RSA-3072': 'rsa3072',
  'ECDSA-P256': 'ecdsa-p256',
  'ECDSA-P384': 'ecdsa-p384',
};

async function openSource(
  ctx: ProcessorContext,
  data: ReturnType<typeof buildJobSchema.parse>,
): Promise<{ stream: AsyncIterable<Uint8Array>; size: number }> {
  if (data.source.kind === 'file') {
    const path = data.source.path;
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new UnrecoverableError(
        `cannot read firmware file ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.code}`,
      );
    });
    return { stream: createReadStream(path, { highWaterMark: 256 * 1024 }), size: info.size };
  }
  const bucket = data.source.bucket ?? ctx.config.firmwareBucket;
  try {
    const out = await ctx.clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: data.source.key }),
    );
    return { stream: out.Body as Readable, size: out.ContentLength ?? 0 };
  } catch (error) {
    rethrowAws(`GetObject s3://${bucket}/${data.source.key}`, error);
  }
}

/** The state of the plan's thing groups, leaving out groups this very release was given already. */
async function fleetState(
  ctx: ProcessorContext,
  groups: readonly string[],
  releaseId: string,
): Promise<FleetVersionState> {
  const records = await Promise.all(groups.map(g => ctx.releases.getGroupRecord(g)));
  const states = records.flatMap((r, i) =>
    r === null || r.releaseId === releaseId
      ? []
      : [
          {
            target: `thing group "${groups[i]}"`,
            currentVersion: r.version,
            secureVersion: r.secureVersion,
          },
        ],
  );
  const target =
    groups.length === 1
      ? `thing group "${groups[0]}"`
      : `thing groups ${groups.map(g => `"${g}"`).join(', ')}`;
  const combined = combineFleetStates(target, states);
  // Name the group that holds the newest version, so the message points at it.
  const newest = states.find(s => s.currentVersion === combined.currentVersion);
  return newest ? { ...combined, target: newest.target } : combined;
}

function assertPolicy(
  candidate: { version: string; secureVersion: number },
  fleet: FleetVersionState,
  only?: 'version',
): void {
  const violations = checkVersionPolicy(candidate, fleet).filter(
    v => only === undefined || v.code === 'VERSION_NOT_NEWER',
  );
  if (violations.length > 0)
    throw new UnrecoverableError(violations.map(v => v.message).join('; '));
}

async function signToFile(
  ctx: ProcessorContext,
  job: Job,
  data: ReturnType<typeof buildJobSchema.parse>,
  file: string,
  signal?: AbortSignal,
): Promise<ReleaseManifest> {
  const { stream, size } = await openSource(ctx, data);
  const signers = await ctx.signers();
  const out = await open(file, 'w', 0o600);
  const sourceHash = createHash('sha256');
  let bytes = 0;
  let lastReport = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream) {
      if (signal?.aborted) throw new Error(`build of ${data.releaseId} was cancelled`);
      sourceHash.update(chunk);
      bytes += chunk.length;
      if (size > 0 && bytes - lastReport >= size / 20) {
        lastReport = bytes;
        await job.updateProgress({
          phase: 'signing',
          percent: Math.round(10 + (70 * bytes) / size),
          bytes,
          total: size,
        } satisfies BuildProgress);
      }
      yield chunk;
    }
  }
  try {
    const signed = await signRelease(chunks(), {
      ...signers,
      targetChip: data.chip,
      write: async piece => {
        await out.write(piece);
      },
    }).catch(unrecoverableIfOta);
    const sourceSha256 = sourceHash.digest('hex');
    if (sourceSha256 !== data.sourceSha256) {
      throw new UnrecoverableError(
        `firmware ${data.fileName} changed after it was submitted: its SHA-256 is ${sourceSha256}, the release was made for ${data.sourceSha256}`,
      );
    }
    const manifest = createReleaseManifest({
      project: signed.app.projectName,
      version: data.version,
      descriptorVersion: signed.app.version,
      secureVersion: signed.app.secureVersion,
      chip: data.chip as ReleaseManifest['chip'],
      size: signed.size,
      sha256: signed.sha256,
      secureBoot: signed.blocks.map(b => {
        const scheme = SCHEMES[b.scheme];
        if (scheme === undefined)
          throw new UnrecoverableError(
            `signature block ${b.index} has scheme ${b.scheme}, which a release cannot carry`,
          );
        return { scheme, keyDigest: b.keyDigest };
      }),
      signature: {
        algorithm: signed.detachedSignature.type,
        keyId: signed.detachedSignature.keyId,
        value: signed.detachedSignature.value,
      },
      source: { fileName: data.fileName, size: bytes, sha256: sourceSha256 },
      createdAt: new Date(ctx.now()),
    });
    return manifest;
  } catch (error) {
    return unrecoverableIfOta(error);
  } finally {
    await out.close();
  }
}

/** The `build` processor (see the file header). */
export function buildProcessor(ctx: ProcessorContext) {
  return async (
    job: Job<BuildJobData>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<BuildResult> => {
    const data = parseJobData(buildJobSchema, job.data, 'build');
    const log = ctx.log.child({
      releaseId: data.releaseId,
      jobId: job.id,
      attempt: job.attemptsMade + 1,
    });
    if (!(data.chip in RELEASE_CHIPS)) {
      throw new UnrecoverableError(
        `chip "${data.chip}" is not one a release may target (${Object.keys(RELEASE_CHIPS).join(', ')})`,
      );
    }
    if (semver.valid(data.version) !== data.version) {
      throw new UnrecoverableError(
        `version "${data.version}" is not a semantic version such as 1.4.0`,
      );
    }
    if (
      releaseIdOf({ version: data.version, source: { sha256: data.sourceSha256 } }) !==
      data.releaseId
    ) {
      throw new UnrecoverableError(
        `release id ${data.releaseId} does not belong to this input and version`,
      );
    }
    let plan;
    try {
      plan = parseRolloutPlan(data.plan);
    } catch (error) {
      unrecoverableIfOta(error);
    }
    const imageKey = releaseKeys.image(data.releaseId);
    const manifestKey = releaseKeys.manifest(data.releaseId);
    await job.updateProgress({ phase: 'checking', percent: 0 } satisfies BuildProgress);

    let manifest = await ctx.releases.getManifest(data.releaseId);
    let uploaded = false;
    if (manifest !== null) {
      log.info({ manifestKey }, 'release already built');
    } else {
      const metadata = await ctx.releases.head(imageKey);
      const fromImage = metadata === null ? null : ctx.releases.manifestFromMetadata(metadata);
      if (fromImage !== null) {
        log.warn(
          { imageKey },
          'image stored without its manifest (earlier attempt stopped between uploads); writing the manifest',
        );
        manifest = fromImage;
      } else {
        const groups = planThingGroups(ctx.config.thingGroupPrefix, plan!);
        const fleet = await fleetState(ctx, groups, data.releaseId);
        assertPolicy({ version: data.version, secureVersion: 0 }, fleet, 'version');
        // A worker killed while signing leaves its temporary file; the lock on this job says no
        // other attempt of this release runs now, so any such file is a leftover.
        for (const name of await readdir(tmpdir())) {
          if (name.startsWith(`fleet-build-${data.releaseId}-`))
            await rm(join(tmpdir(), name), { force: true });
        }
        const file = join(tmpdir(), `fleet-build-${data.releaseId}-${randomUUID()}.bin`);
        try {
          log.info({ source: data.source, chip: data.chip }, 'signing');
          manifest = await signToFile(ctx, job, data, file, signal);
          assertPolicy(manifest, fleet);
          await job.updateProgress({ phase: 'uploading', percent: 85 } satisfies BuildProgress);
          await ctx.releases.putImage(data.releaseId, file, manifest);
          uploaded = true;
          log.info({ imageKey, sha256: manifest.sha256, size: manifest.size }, 'image uploaded');
        } finally {
          await rm(file, { force: true });
        }
      }
      await ctx.releases.putManifest(data.releaseId, manifest);
    }
    if (data.dispatch) {
      await ctx.queues.dispatch.add(
        'dispatch',
        { releaseId: data.releaseId, plan: data.plan },
        { ...DEFAULT_JOB_OPTIONS, jobId: jobIds.dispatch(data.releaseId) },
      );
    }
    await job.updateProgress({ phase: 'done', percent: 100 } satisfies BuildProgress);
    return {
      releaseId: data.releaseId,
      imageKey,
      manifestKey,
      sha256: manifest.sha256,
      size: manifest.size,
      uploaded,
    };
  };
}
