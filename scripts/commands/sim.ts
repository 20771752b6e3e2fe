/**
 * `fleet sim`: a virtual fleet against a running local cloud (`fleet local up`) or AWS IoT. The
 * devices provision themselves by claim on first start (records in `--state`, reused later),
 * stay connected, report their shadow, and take every OTA job they are offered until Ctrl-C.
 * Releases come from elsewhere: `fleet release … --plan …` with a `fleet worker` running.
 *
 *   fleet sim --devices 50 --mix healthy=90,flaky=5,broken=5 --seed 7 --local .fleet/local
 */
import { InvalidArgumentError, type Command } from 'commander';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description(
      'Run virtual ESP32 devices (aws-iot-device-sdk-v2, one MQTT connection each) until Ctrl-C: first start provisions each by claim (CSR), later starts reuse its certificate; they report firmware and health in their shadow and take OTA jobs (Range download, sha256 and signature checks, reboot into the new version), each with its behaviour from the mix',
    )
    .option('--devices <n>', 'number of devices (serials 510000000000, 510000000001, …)', positiveInt, 10)
    .option('--mix <mix>', 'behaviours in percent: healthy, flaky (drops mid-download, resumes), slow, broken (new version cannot connect: rollback, FAILED), rejecting (REJECTED), corrupting (flipped byte: FAILED hash_mismatch)', 'healthy=90,flaky=5,broken=5')
    .option('--seed <n>', 'seed of the behaviour assignment (same seed, same fleet)', positiveInt, 1)
    .option('--local <state-dir>', "the local cloud's state dir (its local-cloud.json); without it, AWS from FLEET_MQTT_ENDPOINT, FLEET_CA_FILE, FLEET_CLAIM_CERT_FILE, FLEET_CLAIM_KEY_FILE, FLEET_PROVISIONING_TEMPLATE, FLEET_UPDATE_PUBLIC_KEY_FILE", '.fleet/local')
    .option('--env <name>', 'environment (thing-name prefix esp32-<env>, update key alias)', process.env.FLEET_ENV ?? 'dev')
    .option('--state <dir>', "where the devices keep their keys, certificates and firmware version", '.fleet/sim')
    .option('--aws', 'connect to AWS IoT (the FLEET_* variables above) instead of a local cloud', false)
    .action(async (options: { devices: number; mix: string; seed: number; local: string; env: string; state: string; aws: boolean }, command: Command) => {
      const { parseBehaviourMix } = await import('../../sim/device-behaviour');
      const { loadSimTarget } = await import('../../sim/sim-target');
      const { VirtualFleet } = await import('../../sim/virtual-fleet');
      (await import('../../sim/device-connection')).skipSystemTrustStore(); // this process runs devices only
      let mix;
      try {
        mix = parseBehaviourMix(options.mix);
      } catch (error) {
        command.error((error as Error).message, { exitCode: 2 });
      }
      const target = await loadSimTarget({ localStateDir: options.aws ? undefined : options.local, env: options.env }).catch((error: Error) =>
        command.error(`fleet sim: ${error.message}`, { exitCode: 2 }),
      );
      const line = (text: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${text}`);
      const lastPhase = new Map<string, string>();
      const fleet = new VirtualFleet({
        target,
        stateDir: options.state,
        devices: options.devices,
        mix: mix!,
        seed: options.seed,
        // Each device's phase changes, not its download progress.
        onChange: s => {
          if (lastPhase.get(s.serial) === s.phase) return;
          lastPhase.set(s.serial, s.phase);
          line(`${s.serial} ${s.behaviour.padEnd(10)} ${s.phase}${s.jobId ? ` ${s.jobId}` : ''} v${s.version}${s.reason ? ` (${s.reason})` : ''}${s.error ? ` — ${s.error}` : ''}`);
        },
      });
      const started = Date.now();
      await fleet.start();
      const counts = fleet.countByPhase();
      line(`${options.devices - counts.error} of ${options.devices} devices online in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for jobs (Ctrl-C stops)`);
      await new Promise<void>(resolve => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await fleet.close();
      line(`stopped: ${JSON.stringify(fleet.countByPhase())}`);
      process.exit(0);
    });
}
