/**
 * The JSON the console's thin server answers (`console/server/console-routes.ts`) and the page
 * reads (`console/web/api.ts`). Types only: both sides import them, neither imports the other.
 *
 * | route                                   | answer                                  |
 * | --------------------------------------- | --------------------------------------- |
 * | `GET /api/connection`                   | {@link ConnectionInfo}                  |
 * | `GET /api/fleet?search&group&version&nextToken` | {@link FleetPage}               |
 * | `GET /api/fleet/facets`                 | {@link FleetFacets}                     |
 * | `GET /api/things/<thingName>`           | {@link ThingDetail}                     |
 * | `GET /api/rollouts`                     | {@link RolloutList}                     |
 * | `POST /api/rollouts/<id>/<action>`      | {@link OperatorResult}                  |
 *
 * Errors are `{ error: string }` with a 4xx (the request) or 502 (AWS or Redis answered an error).
 */

/** A presigned MQTT-over-WebSocket URL for the browser (the credentials never reach the page). */
export interface ConnectionInfo {
  /** `ws://…/mqtt?X-Amz-…` (local cloud, loopback) or `wss://<iot:Data-ATS>/mqtt?X-Amz-…` (AWS). */
  readonly url: string;
  /** MQTT client id the console's IoT policy allows. */
  readonly clientId: string;
  /** Epoch ms after which the URL no longer opens a connection (ask again to reconnect). */
  readonly expiresAt: number;
}

/** One thing as the fleet table shows it (fleet index document, docs/device-shadow.md fields). */
export interface ThingRow {
  readonly thingName: string;
  readonly groups: readonly string[];
  readonly version?: string;
  readonly slot?: string;
  /** `ota.lastResult`: SUCCEEDED, FAILED, REJECTED, ROLLED_BACK. */
  readonly lastResult?: string;
  readonly lastReason?: string;
  /** From the index's connectivity; the page overrides it with presence events. */
  readonly connected?: boolean;
  /** Epoch ms of the last connect or disconnect the index knows. */
  readonly connectivityAt?: number;
}

export interface FleetPage {
  /** The fleet-index query the filters became (shown, so an operator can reuse it). */
  readonly query: string;
  readonly things: readonly ThingRow[];
  /** Things matching the query (GetStatistics count). */
  readonly total: number;
  readonly nextToken?: string;
}

export interface FleetFacets {
  readonly groups: readonly string[];
  readonly versions: readonly { readonly version: string; readonly count: number }[];
  readonly things: number;
}

export interface JobExecutionRow {
  readonly jobId: string;
  readonly status: string;
  readonly queuedAt?: number;
  readonly startedAt?: number;
  readonly lastUpdatedAt?: number;
  readonly executionNumber?: number;
}

export interface ThingDetail {
  readonly thingName: string;
  readonly thingArn?: string;
  readonly thingTypeName?: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly row?: ThingRow;
  /** The classic shadow document, or null when the thing has none. */
  readonly shadow: unknown;
  readonly jobs: readonly JobExecutionRow[];
}

/** Execution counts of one stage's AWS IoT job (DescribeJob `jobProcessDetails`). */
export interface StageCounts {
  readonly queued: number;
  readonly inProgress: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly rejected: number;
  readonly canceled: number;
  readonly removed: number;
}

export interface StageView {
  readonly name: string;
  readonly targets: readonly string[];
  readonly state: string;
  readonly jobId?: string;
  readonly awsStatus?: string;
  readonly counts?: StageCounts;
  readonly pending?: string;
  readonly decision?: string;
  readonly reasons?: readonly string[];
}

export interface RolloutEventView {
  readonly at: number;
  readonly kind: string;
  readonly stage?: string;
  readonly decision?: string;
  readonly reasons: readonly string[];
}

export interface RolloutView {
  readonly id: string;
  readonly state: string;
  readonly reason?: string;
  readonly build?: { readonly state: string; readonly failedReason?: string };
  readonly stages: readonly StageView[];
  readonly events: readonly RolloutEventView[];
}

export interface RolloutList {
  readonly rollouts: readonly RolloutView[];
}

export const OPERATOR_ACTION_NAMES = ['pause', 'resume', 'abort'] as const;
export type OperatorActionName = (typeof OPERATOR_ACTION_NAMES)[number];

export interface OperatorResult {
  readonly rolloutId: string;
  readonly action: OperatorActionName;
  /** What the worker recorded (`paused`, `resumed`, `aborted`, or why nothing changed). */
  readonly decision: string;
}
