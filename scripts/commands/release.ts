/**
 * `fleet release <file> --version <v> --plan <plan.json>`: queues the build of a release (validate,
 * sign, store; then the rollout is dispatched), prints the release id, and follows the build with a
 * progress bar until the first stage jobs exist — unless `--detach`.
 *
 * Exit codes: 0 built and dispatched (or queued, with --detach); 1 the build or dispatch failed
 * (the reason is printed); 2 the command could not run (missing file, bad plan, no Redis).
 */
import { access, readFile } from 'node:fs/promises';
import type { Command } from 'commander';

interface ReleaseOptions {
  version: string;
  plan: string;
  chip: string;
  detach: boolean;
}

function bar(percent: number, width = 30): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(percent)).padStart(3)}%`;
}

export function registerReleaseCommand(program: Command): void {
  program
    .command('release <file>')
    .description(
      'Release a firmware build (app.bin from idf.py build): the worker validates it (application for --chip, checksum, ' +
        "hash, version newer than what the plan's thing groups run, no secure_version rollback), signs it (Secure Boot V2 + " +
        'detached signature), stores it in S3 with its manifest, and rolls it out with the plan. Prints the release id ' +
        '(also the rollout id). The same file and version twice is the same release. Needs `fleet worker` running.',
    )
    .requiredOption(
      '--version <version>',
      'release version (semantic version, e.g. 1.4.0), newer than the fleet runs',
    )
    .requiredOption('--plan <plan.json>', 'rollout plan file (see plans/ and docs/rollout-plan.md)')
    .option('--chip <chip>', 'chip the fleet runs (esp32, esp32s2, esp32s3, esp32c3, ...)', 'esp32')
    .option(
      '--env <name>',
      'environment (informational here; the worker decides where it stores)',
      'dev',
    )
    .option('--detach', 'print the release id and return without following progress', false)
    .action(async (file: string, options: ReleaseOptions, command: Command) => {
      let planText: string;
      try {
        planText = await readFile(options.plan, 'utf8');
      } catch (error) {
        command.error(
          `release: cannot read plan ${options.plan}: ${(error as NodeJS.ErrnoException).code}`,
          { exitCode: 2 },
        );
        return;
      }
      try {
        await access(file);
      } catch (error) {
        command.error(
          `release: cannot read firmware ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
          { exitCode: 2 },
        );
        return;
      }
      const { FleetQueues } = await import('../../worker/fleet-queues');
      const queues = new FleetQueues({
        redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        queuePrefix: process.env.FLEET_QUEUE_PREFIX ?? 'fleet',
      });
      let code = 0;
      try {
        const submitted = await queues
          .submitRelease({ file, version: options.version, planText, chip: options.chip })
          .catch((error: Error) => {
            command.error(`release: ${error.message}`, { exitCode: 2 });
            throw error;
          });
        console.log(submitted.releaseId);
        if (!submitted.added)
          console.error(
            `release: ${submitted.releaseId} was submitted before; following that build`,
          );
        if (!options.detach) code = await follow(queues, submitted.releaseId);
      } finally {
        await queues.close();
      }
      process.exit(code);
    });
}

async function follow(
  queues: import('../../worker/fleet-queues').FleetQueues,
  releaseId: string,
): Promise<number> {
  const { jobIds } = await import('../../worker/queues');
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let hinted = false;
  let lastLine = '';
  const show = (line: string): void => {
    if (line === lastLine) return;
    lastLine = line;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  for (;;) {
    const build = await queues.queues.build.getJob(jobIds.build(releaseId));
    if (!build) return fail(`build job of ${releaseId} disappeared`);
    const state = await build.getState();
    const progress = (build.progress ?? {}) as { percent?: number; phase?: string };
    if (state === 'failed') return fail(`build failed: ${build.failedReason}`);
    if (state === 'completed') {
      show(`${bar(100)} built`);
      if (tty) process.stderr.write('\n');
      const result = build.returnvalue as {
        imageKey: string;
        sha256: string;
        size: number;
        uploaded: boolean;
      };
      console.error(
        `release: ${result.imageKey} (${result.size} bytes, SHA-256 ${result.sha256})${result.uploaded ? '' : ' — stored before, not uploaded again'}`,
      );
      break;
    }
    show(`${bar(progress.percent ?? 0)} ${progress.phase ?? state}`);
    if (!hinted && state === 'waiting' && Date.now() - started > 5000) {
      hinted = true;
      process.stderr.write(
        `${tty ? '\n' : ''}release: waiting for a worker — is \`fleet worker\` running against this Redis?\n`,
      );
    }
    await new Promise(r => setTimeout(r, 200));
  }
  for (;;) {
    const dispatch = await queues.queues.dispatch.getJob(jobIds.dispatch(releaseId));
    const state = dispatch ? await dispatch.getState() : 'waiting';
    if (state === 'failed') return fail(`dispatch failed: ${dispatch!.failedReason}`);
    if (state === 'completed') {
      const result = dispatch!.returnvalue as {
        started: Record<string, string>;
        scheduled: string[];
      };
      for (const [stage, job] of Object.entries(result.started))
        console.error(`release: stage ${stage}: AWS IoT job ${job}`);
      for (const stage of result.scheduled) console.error(`release: stage ${stage}: scheduled`);
      console.error(`release: follow it with \`fleet rollout status ${releaseId} --watch\``);
      return 0;
    }
    await new Promise(r => setTimeout(r, 200));
  }
}

function fail(message: string): number {
  process.stderr.write(`\nrelease: ${message}\n`);
  return 1;
}
