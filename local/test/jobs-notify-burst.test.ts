import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIotBroker, type IotBroker } from '../broker/iot-broker';
import { ReservedTopicDispatcher } from '../broker/reserved-topics';
import { parseCreateJobRequest, requestFingerprint } from '../jobs/create-job-request';
import { JobsEngine } from '../jobs/jobs-engine';
import { JobsNotifier } from '../jobs/jobs-mqtt-handlers';
import { loadOrCreateLocalCa } from '../pki/local-ca';
import { Registry } from '../registry/registry';

// Regression for the 5,000-device fleet bench crash (RangeError: Maximum call stack size exceeded in
// mqemitter). Why this setup is the same as the bench at the layer where the recursion happens:
// - aedes hands every publish to mqemitter, which runs at most `concurrency` (aedes' default, 100)
//   emits at once and queues the rest; an emit that finishes starts the next queued one from inside
//   its own completion (mqemitter.js `released` → `_do` → fastparallel), and an emit with no
//   subscriber finishes synchronously, so a long run of queued unsubscribed messages is drained by
//   recursion (upstream: https://github.com/mcollina/mqemitter/pull/204, unmerged).
// - The queue forms when ≥ 100 deliveries are in flight. A connected client's QoS 0 delivery
//   completes in a later setImmediate (aedes lib/client.js `deliverQoS0`); the subscribers below
//   complete the same way, without 100 TLS handshakes.
// - Our broker (startIotBroker: its hooks, its `publish` handler, its aedes options) and the real
//   JobsEngine + JobsNotifier are used; `publish` is the iot-service's `publishRaw`
//   (`broker.aedes.publish`).
const THINGS = 5000;
const SUBSCRIBED = 100;
const silent = { info: () => {}, debug: () => {}, error: () => {} };

let broker: IotBroker;
let registry: Registry;

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jobs-notify-burst-'));
  const ca = await loadOrCreateLocalCa(stateDir);
  const server = await ca.createServerCredentials(['localhost'], ['127.0.0.1']);
  registry = new Registry(stateDir, { region: 'eu-west-1', accountId: '123456789012' });
  broker = await startIotBroker({
    registry,
    dispatcher: new ReservedTopicDispatcher(),
    caCertPem: ca.caCertPem,
    serverKeyPem: server.keyPem,
    serverCertPem: server.certPem,
    port: 0,
    log: silent,
  });
}, 30_000);

afterAll(async () => {
  await broker?.close();
  registry?.close();
});

describe('job notifications at fleet scale', () => {
  it('notifies 5,000 things of one job without overflowing the stack', async () => {
    const things = Array.from({ length: THINGS }, (_, i) => `esp32-${String(i).padStart(5, '0')}`);
    // The first 100 things are "connected" and, like sim/virtual-device.ts, subscribe to notify-next only.
    const received = new Map<string, unknown>();
    for (const thing of things.slice(0, SUBSCRIBED)) {
      const topic = `$aws/things/${thing}/jobs/notify-next`;
      await new Promise<void>(resolve =>
        broker.aedes.subscribe(
          topic,
          (packet, done) => {
            received.set(thing, JSON.parse(packet.payload.toString()));
            setImmediate(done);
          },
          () => resolve(),
        ),
      );
    }

    let published = 0;
    let allPublished: () => void = () => {};
    const done = new Promise<void>(resolve => (allPublished = resolve));
    const publish = (topic: string, body: unknown): Promise<void> =>
      new Promise(resolve =>
        broker.aedes.publish(
          {
            cmd: 'publish',
            topic,
            payload: Buffer.from(JSON.stringify(body)),
            qos: 0,
            retain: false,
            dup: false,
          } as never,
          () => {
            // notify + notify-next for every thing
            if (++published === 2 * THINGS) allPublished();
            resolve();
          },
        ),
      );

    const ARN = (resource: string): string => `arn:aws:iot:eu-west-1:123456789012:${resource}`;
    const engine = new JobsEngine({ now: Date.now, arn: ARN, resolveTarget: () => things });
    const notifier = new JobsNotifier({
      engine,
      publish,
      nowMs: Date.now,
      documentFor: async () => ({ operation: 'ota' }),
    });
    engine.onEvent(event => {
      if (event.kind === 'pending') notifier.pendingChanged(event.thingName);
    });
    const body = {
      document: '{"operation":"ota"}',
      targets: [ARN('thinggroup/fleet')],
      targetSelection: 'SNAPSHOT',
    };
    const request = parseCreateJobRequest('ota-5000', body, Date.now());
    engine.createJob({ ...request, document: request.document! }, requestFingerprint(body));

    await done;
    // Let the last deliveries (setImmediate) run.
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(published).toBe(2 * THINGS);
    expect(received.size).toBe(SUBSCRIBED);
    expect(received.get(things[0])).toMatchObject({
      execution: { jobId: 'ota-5000', status: 'QUEUED' },
    });
    expect(received.get(things[SUBSCRIBED - 1])).toMatchObject({
      execution: { jobId: 'ota-5000' },
    });
  }, 15_000);
});
