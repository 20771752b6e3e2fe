/**
 * `npm start`: a whole fleet rollout on one machine. Redis (the local one, or a private
 * redis-server), the local cloud for `dev` (state in `.fleet/local`), the worker in-process, a
 * virtual fleet that provisions itself (records in `.fleet/sim`), then a release of the fixture
 * image as version N+1 with live progress and a summary. Exit code 0 only if the rollout reached
 * the end the plan and the devices' behaviours predict.
 *
 * The default plan is `plans/demo.json`: `canary-then-fleet` without its two-hour soak and
 * delay (see that file's description). `--plan plans/canary-then-fleet.json` runs the real plan,
 * which takes hours and so needs `--keep-running` and `fleet rollout status`.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_MIX, formatBehaviourMix, parseBehaviourMix } from '../sim/device-behaviour';
import { parsePort } from './commands/port-option';

// The AWS SDK warns, mid-output, that its releases after January 2027 need Node >= 22; the lock
// file pins versions that run on Node 20, and the README says so. Keep our output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixture = resolve(repoRoot, '../shared/fixtures/esp32/esp32-app-template.bin');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

const program = new Command('npm start')
  .description(
    'Run a whole fleet rollout on this machine: Redis, the local cloud (dev), the worker, and a virtual fleet of ESP32s that provision themselves by claim; then release the fixture image as version N+1 and follow the rollout stage by stage until it ends. Exit code 0 only if it ended as the plan and the devices\' behaviours predict.',
  )
  .option('--devices <n>', 'virtual devices in the fleet (5 % of them, at least 2, form the canary group)', positiveInt, 200)
  .option('--mix <mix>', `behaviours in percent: healthy, flaky (drops mid-download, resumes), slow, broken (new version cannot connect, rolls back), rejecting, corrupting (a flipped byte: hash check fails)`, formatBehaviourMix(DEFAULT_MIX))
  .option('--seed <n>', 'seed of the behaviour assignment (the same seed gives the same fleet)', positiveInt, 1)
  .option('--plan <file>', 'rollout plan (plans/demo.json is canary-then-fleet without its hours of soak)', resolve(repoRoot, 'plans/demo.json'))
  .option('--image <file>', 'ESP32 app image to release', fixture)
  .option('--keep-running', 'leave the local cloud, worker and devices up afterwards and print how to reach them (Ctrl-C stops)', false)
  .option('--firmware-devices <n>', "firmware fleet-device processes (the POSIX build) added to the fleet stage when firmware/build has one; 0 for none", (v: string) => (v === '0' ? 0 : positiveInt(v)), 2)
  .option('--console-port <n>', 'port of the web console (a taken port falls back to a free one)', parsePort, 8090)
  .option('--no-console', 'do not serve the web console')
  .option('--timeout <seconds>', 'give up when the rollout has not ended after this long', positiveInt, 120)
  .addHelpText(
    'after',
    `
State: .fleet/local (local cloud: registry, certificates, S3, KMS keys) and .fleet/sim (each
device's key, certificate and firmware). A second run reuses them: devices skip provisioning, and
the release is one patch version above what the fleet runs. Delete .fleet/ to start from scratch.
Redis: 127.0.0.1:6379 if it answers (or REDIS_URL); else a private redis-server on a free port.
Logs of the local cloud and worker: FLEET_LOG_LEVEL=info (they go to stdout between progress lines).`,
  );

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<{ console: boolean; consolePort: number; firmwareDevices: number; devices: number; mix: string; seed: number; plan: string; image: string; keepRunning: boolean; timeout: number }>();
  const mix = parseBehaviourMix(opts.mix);
  for (const [what, file] of [['--plan', opts.plan], ['--image', opts.image]] as const)
    if (!existsSync(file)) throw new Error(`${what}: ${file} does not exist`);
  const { ensureRedis } = await import('./start/ensure-redis');
  const { runFleetDemo, defaultStateDirs } = await import('./start/fleet-demo');
  const { ProgressDisplay, formatSummary } = await import('./start/progress-display');
  const { fleetDeviceBinary } = await import('./start/firmware-devices');
  const redis = await ensureRedis(process.env.REDIS_URL);
  if (redis.started) console.log(`no Redis at 127.0.0.1:6379: started redis-server at ${redis.url} (stopped at the end)`);
  const dirs = defaultStateDirs(repoRoot);
  const binary = fleetDeviceBinary(repoRoot);
  if (opts.firmwareDevices > 0)
    console.log(binary ? `adding ${opts.firmwareDevices} firmware fleet-device processes (${binary})` : 'no firmware host build (npm run test:firmware builds one): virtual devices only');
  const display = new ProgressDisplay();
  let demo;
  try {
    demo = await runFleetDemo({
      cloudStateDir: dirs.cloud,
      simStateDir: dirs.sim,
      devices: opts.devices,
      mix,
      seed: opts.seed,
      planFile: opts.plan,
      imageFile: opts.image,
      redisUrl: redis.url,
      timeoutMs: opts.timeout * 1000,
      fleetDeviceBinary: binary,
      firmwareDevices: binary ? opts.firmwareDevices : 0,
      onProgress: s => display.update(s),
      ...(opts.console ? { console: { port: opts.consolePort } } : {}),
    });
  } catch (error) {
    await redis.stop();
    throw error;
  }
  console.log(formatSummary(demo.result));
  if (opts.keepRunning) {
    const c = demo.cloud.config;
    console.log(`
Still running (Ctrl-C stops everything):
  local cloud   ${demo.cloud.configPath}  (MQTT ${c.mqtt.host}:${c.mqtt.port}, IoT ${c.endpoints.iot}, S3 ${c.endpoints.s3})
  Redis         ${redis.url}${demo.result.snapshot.consoleUrl ? `\n  web console   ${demo.result.snapshot.consoleUrl}` : ''}
  try           REDIS_URL=${redis.url} FLEET_QUEUE_PREFIX=${demo.result.queuePrefix} npm run fleet -- rollout status ${demo.result.releaseId} --local .fleet/local`);
    await new Promise<void>(resolve => process.once('SIGINT', () => resolve()));
  }
  await demo.stop();
  await redis.stop();
  return demo.result.ok ? 0 : 1;
}

main().then(
  code => process.exit(code),
  (error: Error) => {
    console.error(`npm start: ${error.message}`);
    process.exit(1);
  },
);
