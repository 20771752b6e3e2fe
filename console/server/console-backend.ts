/**
 * What the console's routes do, over the official clients: the fleet index (SearchIndex,
 * GetStatistics, GetBucketsAggregation), the registry (DescribeThing, ListThingGroups), the
 * classic shadow (GetThingShadow), job executions (ListJobExecutionsForThing), the worker's
 * rollout records and operator actions (`worker/fleet-queues.ts`, `worker/rollout/`), and the
 * presigned WebSocket URL. The same calls work against the local cloud and AWS; only the
 * configuration's endpoints and credentials differ.
 */
import { randomBytes } from 'node:crypto';
import {
  DescribeEndpointCommand,
  DescribeThingCommand,
  GetBucketsAggregationCommand,
  GetStatisticsCommand,
  IoTClient,
  ListJobExecutionsForThingCommand,
  ListThingGroupsCommand,
  SearchIndexCommand,
} from '@aws-sdk/client-iot';
import { GetThingShadowCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { FleetQueues } from '../../worker/fleet-queues';
import { runOperatorAction } from '../../worker/rollout/operator-action';
import { rolloutStatus } from '../../worker/rollout/rollout-status';
import type {
  ConnectionInfo,
  FleetFacets,
  FleetPage,
  OperatorActionName,
  OperatorResult,
  RolloutList,
  ThingDetail,
} from '../shared/console-api';
import type { ConsoleConfig, ConsoleCredentials } from './console-config';
import { fleetQuery, type FleetFilter } from './fleet-query';
import { presignMqttWebSocketUrl } from './presign-mqtt-url';
import { thingRow } from './thing-row';

/** Rows per fleet page: SearchIndex allows at most 500 (API_SearchIndex). */
const FLEET_PAGE_SIZE = 250;
/** Rollouts the page shows, newest first. */
const ROLLOUTS_SHOWN = 8;
/** How long a POST waits for the worker to process an operator action. */
const OPERATOR_TIMEOUT_MS = 30_000;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An error the page should see as 4xx (the request was wrong), with the status to answer. */
export class ConsoleRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleRequestError';
  }
}

function ms(value: Date | undefined): number | undefined {
  return value === undefined ? undefined : value.getTime();
}

export class ConsoleBackend {
  readonly iot: IoTClient;
  readonly queues: FleetQueues;
  private data?: Promise<IoTDataPlaneClient>;
  private wsUrl?: Promise<string>;

  constructor(readonly config: ConsoleConfig) {
    const common = {
      region: config.region,
      ...(config.credentials ? { credentials: config.credentials } : {}),
    };
    this.iot = new IoTClient({
      ...common,
      ...(config.iotEndpoint ? { endpoint: config.iotEndpoint } : {}),
    });
    this.queues = new FleetQueues({ redisUrl: config.redisUrl, queuePrefix: config.queuePrefix });
  }

  /** `https://<iot:Data-ATS>` on AWS (DescribeEndpoint once), the configured one locally. */
  private async atsEndpoint(): Promise<string> {
    const out = await this.iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    if (!out.endpointAddress) throw new Error('DescribeEndpoint iot:Data-ATS returned no address');
    return out.endpointAddress;
  }

  private dataPlane(): Promise<IoTDataPlaneClient> {
    this.data ??= (async () => {
      const endpoint = this.config.iotDataEndpoint ?? `https://${await this.atsEndpoint()}`;
      return new IoTDataPlaneClient({
        region: this.config.region,
        endpoint,
        ...(this.config.credentials ? { credentials: this.config.credentials } : {}),
      });
    })();
    return this.data;
  }

  /** The broker URL the browser opens: loopback `wss://` of the local cloud becomes `ws://`. */
  private webSocketUrl(): Promise<string> {
    this.wsUrl ??= (async () => {
      const url = new URL(this.config.mqttWebSocketUrl ?? `wss://${await this.atsEndpoint()}/mqtt`);
      // The local cloud's WebSocket port also speaks plain ws:// to loopback clients, so the
      // browser need not trust the local CA; the signature covers the host, not the scheme.
      if (this.config.local && LOOPBACK.has(url.hostname)) url.protocol = 'ws:';
      return url.toString();
    })();
    return this.wsUrl;
  }

  private async signingCredentials(): Promise<ConsoleCredentials> {
    if (this.config.browserCredentials) return this.config.browserCredentials;
    // AWS: the default chain's credentials (the console's role), as the SDK resolved them.
    const provider = this.iot.config.credentials;
    const c = await provider();
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
    };
  }

  /** A fresh presigned WebSocket URL and client id (GET /api/connection). */
  async connection(now = new Date()): Promise<ConnectionInfo> {
    const expires = this.config.urlExpiresSeconds;
    const url = presignMqttWebSocketUrl({
      url: (await this.webSocketUrl()).replace(/\/$/, ''),
      region: this.config.region,
      credentials: await this.signingCredentials(),
      expiresInSeconds: expires,
      now,
    });
    return {
      url,
      clientId: `${this.config.clientIdPrefix}${randomBytes(6).toString('hex')}`,
      expiresAt: now.getTime() + expires * 1000,
    };
  }

  /** One page of the fleet table (GET /api/fleet). */
  async fleet(filter: FleetFilter, nextToken?: string): Promise<FleetPage> {
    const queryString = fleetQuery(filter);
    const search = await this.iot.send(
      new SearchIndexCommand({ queryString, maxResults: FLEET_PAGE_SIZE, nextToken }),
    );
    // SearchIndex gives no total; count only when there is more than this page (one more pass).
    const total =
      search.nextToken === undefined && nextToken === undefined
        ? (search.things ?? []).length
        : ((await this.iot.send(new GetStatisticsCommand({ queryString }))).statistics?.count ?? 0);
    return {
      query: queryString,
      things: (search.things ?? []).map(thingRow),
      total,
      ...(search.nextToken ? { nextToken: search.nextToken } : {}),
    };
  }

  /** Groups and firmware versions to filter by (GET /api/fleet/facets). */
  async facets(): Promise<FleetFacets> {
    const groups: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.iot.send(
        new ListThingGroupsCommand({ maxResults: 250, nextToken: token }),
      );
      for (const g of page.thingGroups ?? []) if (g.groupName) groups.push(g.groupName);
      token = page.nextToken;
    } while (token);
    // One index pass: the aggregation's totalCount is the number of things (API_GetBucketsAggregation).
    const buckets = await this.iot.send(
      new GetBucketsAggregationCommand({
        queryString: 'thingName:*',
        aggregationField: 'shadow.reported.firmware.version',
        bucketsAggregationType: { termsAggregation: { maxBuckets: 100 } },
      }),
    );
    return {
      groups: groups.sort(),
      versions: (buckets.buckets ?? []).map(b => ({
        version: b.keyValue ?? '',
        count: b.count ?? 0,
      })),
      things: buckets.totalCount ?? 0,
    };
  }

  /** The device page (GET /api/things/<name>): registry, index row, shadow, job history. */
  async thing(thingName: string): Promise<ThingDetail> {
    if (!/^[a-zA-Z0-9:_-]{1,128}$/.test(thingName))
      throw new ConsoleRequestError(
        400,
        `thing name: expected 1-128 of [a-zA-Z0-9:_-], got ${JSON.stringify(thingName)}`,
      );
    const described = await this.iot.send(new DescribeThingCommand({ thingName }));
    const data = await this.dataPlane();
    const [indexed, shadow, jobs] = await Promise.all([
      this.iot.send(
        new SearchIndexCommand({ queryString: `thingName:${thingName}`, maxResults: 1 }),
      ),
      data.send(new GetThingShadowCommand({ thingName })).then(
        out => JSON.parse(new TextDecoder().decode(out.payload)) as unknown,
        (error: Error) => {
          if (error.name === 'ResourceNotFoundException') return null;
          throw error;
        },
      ),
      this.iot.send(new ListJobExecutionsForThingCommand({ thingName, maxResults: 50 })),
    ]);
    const doc = indexed.things?.[0];
    return {
      thingName,
      thingArn: described.thingArn,
      thingTypeName: described.thingTypeName,
      attributes: described.attributes ?? {},
      ...(doc ? { row: thingRow(doc) } : {}),
      shadow,
      jobs: (jobs.executionSummaries ?? []).map(e => ({
        jobId: e.jobId ?? '',
        status: e.jobExecutionSummary?.status ?? 'UNKNOWN',
        queuedAt: ms(e.jobExecutionSummary?.queuedAt),
        startedAt: ms(e.jobExecutionSummary?.startedAt),
        lastUpdatedAt: ms(e.jobExecutionSummary?.lastUpdatedAt),
        executionNumber: e.jobExecutionSummary?.executionNumber,
      })),
    };
  }

  /** The newest rollouts with their stages' counts and the gate's history (GET /api/rollouts). */
  async rollouts(): Promise<RolloutList> {
    const ids = await this.queues.rollouts.list(ROLLOUTS_SHOWN);
    const statuses = await Promise.all(ids.map(id => rolloutStatus(this.queues, this.iot, id)));
    return {
      rollouts: statuses
        .filter(s => s !== null)
        .map(s => ({
          id: s.id,
          state: s.state,
          reason: s.reason,
          build: s.build ? { state: s.build.state, failedReason: s.build.failedReason } : undefined,
          stages: s.stages,
          events: s.events,
        })),
    };
  }

  /** Pause, resume or abort through the worker's advance queue (POST /api/rollouts/<id>/<action>). */
  async operator(id: string, action: OperatorActionName, reason?: string): Promise<OperatorResult> {
    if ((await this.queues.rollouts.get(id)) === null)
      throw new ConsoleRequestError(404, `no rollout ${id}`);
    const outcome = await runOperatorAction(this.queues, action, id, {
      reason: reason ?? `${action} from the web console`,
      timeoutMs: OPERATOR_TIMEOUT_MS,
    });
    if (outcome.state === 'failed') throw new ConsoleRequestError(409, outcome.reason);
    return {
      rolloutId: id,
      action,
      decision: outcome.state === 'completed' ? outcome.decision : 'queued',
    };
  }

  async close(): Promise<void> {
    this.iot.destroy();
    if (this.data) (await this.data.catch(() => undefined))?.destroy();
    await this.queues.close();
  }
}
