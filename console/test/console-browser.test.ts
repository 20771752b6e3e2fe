/**
 * The console in headless Chromium during a small rollout on the local cloud: the page connects
 * to the broker over MQTT/WebSockets with a presigned URL, devices appear in the fleet table as
 * they provision and go offline when they disconnect (presence events), the canary stage's bar
 * moves from queued to succeeded when its devices come back, and Pause goes through the worker's
 * queue and leaves the rollout paused. Screenshots go to `test-artifacts/console/` (git-ignored).
 *
 * The canary devices are offline when the release is dispatched, so the stage is seen all queued
 * first and then succeeded: the bar's movement does not depend on how fast the machine is. The
 * canary gate soaks 30 minutes, so the rollout is still rolling out when Pause is pressed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddThingToThingGroupCommand } from '@aws-sdk/client-iot';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iotService } from '../../local/control-plane/iot-service';
import { kmsService } from '../../local/kms/kms-service';
import { startLocalCloud } from '../../local/local-cloud';
import type { LocalCloud } from '../../local/local-cloud-config';
import { s3Service } from '../../local/s3/s3-service';
import { loadSimTarget, type SimTarget } from '../../sim/sim-target';
import { VirtualFleet } from '../../sim/virtual-fleet';
import { cleanupRedis, testPrefix } from '../../test/utils/cleanup-redis';
import { fixturePath, repoRoot } from '../../test/utils/fixtures';
import { createAwsClients, type AwsClients } from '../../worker/clients/aws-clients';
import { loadWorkerConfig } from '../../worker/config/load-worker-config';
import type { WorkerConfig } from '../../worker/config/worker-config';
import { FleetQueues } from '../../worker/fleet-queues';
import { startFleetWorker, type FleetWorker } from '../../worker/fleet-worker';
import { createRootLogger } from '../../worker/logging/logger';
import { QUEUE_NAMES } from '../../worker/queues';
import { thingGroupName } from '../../worker/rollout/thing-groups';
import { startConsoleServer, type ConsoleServer } from '../server/console-server';
import { loadConsoleConfig } from '../server/load-console-config';
import { launchChromium, type Chromium } from './utils/chromium';

const REDIS_URL = 'redis://127.0.0.1:6379';
const DEVICES = 4;
const CANARY = 2;
const ARTIFACTS = join(repoRoot, 'test-artifacts/console');

const plan = {
  name: 'console-browser-test',
  stages: [
    {
      name: 'canary',
      targets: ['canary'],
      targetSelection: 'SNAPSHOT',
      rate: { type: 'constant', maximumPerMinute: 100 },
      abort: [
        {
          failureType: 'ALL',
          action: 'CANCEL',
          thresholdPercentage: 50,
          minNumberOfExecutedThings: 1,
        },
      ],
      timeout: { inProgressTimeoutInMinutes: 10 },
      gate: {
        soakMinutes: 30,
        maxFailedPercentage: 0,
        minSucceededPercentage: 90,
        health: { maxCrashingPercentage: 0, maxOfflineMinutes: 60, maxOfflinePercentage: 50 },
      },
    },
    {
      name: 'fleet',
      targets: ['fleet'],
      targetSelection: 'CONTINUOUS',
      start: { after: 'canary', delayMinutes: 0 },
      rate: { type: 'constant', maximumPerMinute: 100 },
    },
  ],
};

describe('the web console in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-console-browser-'));
  const prefix = testPrefix();
  let cloud: LocalCloud;
  let config: WorkerConfig;
  let clients: AwsClients;
  let worker: FleetWorker;
  let queues: FleetQueues;
  let server: ConsoleServer;
  let browser: Chromium;
  let target: SimTarget;
  const fleets: VirtualFleet[] = [];

  beforeAll(async () => {
    // Fails (not skips) without chromium, before anything else starts.
    browser = await launchChromium();
    cloud = await startLocalCloud({
      stateDir: join(dir, 'local'),
      mqttPort: 0,
      webSocketPort: 0,
      services: [s3Service(), kmsService(), iotService({ tickMs: 200 })],
    });
    const environment = { REDIS_URL, FLEET_QUEUE_PREFIX: prefix, FLEET_GATE_POLL_SECONDS: '0.5' };
    config = loadWorkerConfig({ localStateDir: join(dir, 'local'), environment });
    clients = createAwsClients(config);
    worker = await startFleetWorker({
      config,
      log: createRootLogger('silent'),
      stalledIntervalSeconds: 2,
    });
    queues = new FleetQueues(config);
    server = await startConsoleServer({
      config: loadConsoleConfig({ configFile: cloud.configPath, environment }),
      port: 0,
    });
    target = await loadSimTarget({ localStateDir: join(dir, 'local') });
  });

  afterAll(async () => {
    for (const f of fleets) await f.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await queues?.close();
    await worker?.close();
    clients?.destroy();
    await cloud?.close();
    await cleanupRedis(prefix, Object.values(QUEUE_NAMES));
    rmSync(dir, { recursive: true, force: true });
  });

  const fleet = async (): Promise<VirtualFleet> => {
    const f = new VirtualFleet({
      target,
      stateDir: join(dir, 'sim'),
      devices: DEVICES,
      mix: { healthy: 100 },
      seed: 1,
    });
    fleets.push(f);
    await f.start();
    const failed = f.statuses().filter(s => s.phase === 'error');
    expect(failed).toEqual([]);
    return f;
  };

  const rowStates = (page: Page) =>
    page.$$eval('tr[data-thing]', rows =>
      rows.map(r => `${r.getAttribute('data-thing')}:${r.getAttribute('data-online')}`),
    );

  it('shows devices as they come and go, a canary bar moving from queued to succeeded, and pauses the rollout', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', e => problems.push(`page error: ${e.message}`));
    page.on('console', m => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
    await page.goto(`${server.url}#/fleet`);
    // The page reached the broker over MQTT/WebSockets with the URL the server presigned.
    await page.waitForSelector('[data-broker=connected]', { timeout: 20_000 });
    expect(await page.$$('tr[data-thing]')).toHaveLength(0);

    // Devices provision by claim and appear online, with their factory version.
    const first = await fleet();
    const names = first
      .statuses()
      .map(s => s.thingName!)
      .sort();
    await expect
      .poll(() => page.locator('tr[data-thing][data-online=true]').count(), {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(DEVICES);
    expect(await rowStates(page)).toEqual(names.map(n => `${n}:true`));
    expect(
      await page.$$eval('td[data-version]', tds => tds.map(td => td.getAttribute('data-version'))),
    ).toEqual(names.map(() => '1.0.0'));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'fleet.png'), fullPage: true });

    const statuses = first.statuses();
    for (const [i, s] of statuses.entries())
      await clients.iot.send(
        new AddThingToThingGroupCommand({
          thingName: s.thingName!,
          thingGroupName: thingGroupName(config.thingGroupPrefix, i < CANARY ? 'canary' : 'fleet'),
        }),
      );
    // They go offline (presence `disconnected` events over the WebSocket).
    await first.close();
    await expect
      .poll(() => page.locator('tr[data-thing][data-online=false]').count(), {
        timeout: 20_000,
        interval: 200,
      })
      .toBe(DEVICES);

    // The release is dispatched while the canary devices are off: the stage is all queued.
    const { releaseId } = await queues.submitRelease({
      file: fixturePath('esp32-app-template.bin'),
      version: '1.0.1',
      planText: JSON.stringify(plan),
    });
    await page.click('nav a[href="#/rollouts"]');
    const canaryBar = `[data-rollout="${releaseId}"] [data-stage=canary]`;
    await page.waitForSelector(`${canaryBar}[data-total="${CANARY}"]`, { timeout: 45_000 });
    expect(await page.getAttribute(canaryBar, 'data-queued')).toBe(String(CANARY));
    expect(await page.getAttribute(canaryBar, 'data-succeeded')).toBe('0');

    // The devices come back, take the job, and the bar moves to succeeded.
    await fleet();
    await page.waitForSelector(`${canaryBar}[data-succeeded="${CANARY}"]`, { timeout: 45_000 });
    expect(await page.getAttribute(canaryBar, 'data-queued')).toBe('0');
    expect(await page.getAttribute(`[data-rollout="${releaseId}"]`, 'data-rollout-state')).toBe(
      'rolling-out',
    );

    // Pause goes through the worker's advance queue; the page shows the rollout paused.
    await page.click(`[data-rollout="${releaseId}"] button[data-action=pause]`);
    await page.waitForSelector(`[data-rollout="${releaseId}"][data-rollout-state=paused]`, {
      timeout: 20_000,
    });
    expect((await queues.rollouts.get(releaseId))?.state).toBe('paused');
    expect(await page.isEnabled(`[data-rollout="${releaseId}"] button[data-action=resume]`)).toBe(
      true,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 180_000);
});
