/**
 * What the IoT routes share: the jobs engine, registry, shadows, fleet index, the clock, broker
 * publishing and job documents as devices receive them. Built once by `iot-service.ts`.
 */
import type { FleetIndex } from '../fleet-index/fleet-index';
import type { JobsEngine } from '../jobs/jobs-engine';
import { JobsError } from '../jobs/jobs-error';
import type { Registry } from '../registry/registry';
import type { BrokerPublish } from '../shadows/shadow-handlers';
import type { ShadowStore } from '../shadows/shadow-store';

export interface IotContext {
  readonly engine: JobsEngine;
  readonly registry: Registry;
  readonly shadows: ShadowStore;
  readonly index: FleetIndex;
  readonly nowMs: () => number;
  readonly publish: BrokerPublish;
  /** Publishes raw bytes (HTTPS Publish). */
  publishRaw(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): Promise<void>;
  /** The job document as devices receive it (placeholders replaced), parsed. */
  documentFor(jobId: string): Promise<unknown>;
  /** Fetches the text of a `documentSource` S3 URL. */
  fetchDocumentSource(url: string): Promise<string>;
  /** DescribeEndpoint answers by endpointType. */
  readonly endpoints: Readonly<Record<string, string>>;
}

/** Paginates a list with an opaque offset token (maxResults and nextToken as the list APIs take them). */
export function paginate<T>(
  items: readonly T[],
  maxResultsText: string | null,
  nextToken: string | null,
  cap = 250,
): { page: T[]; nextToken?: string } {
  const max = maxResultsText === null ? cap : Number(maxResultsText);
  if (!Number.isInteger(max) || max < 1 || max > cap)
    throw new JobsError(
      'InvalidRequestException',
      `maxResults: expected an integer from 1 to ${cap}`,
    );
  const start = nextToken ? Number(Buffer.from(nextToken, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0)
    throw new JobsError('InvalidRequestException', 'nextToken: not a token this endpoint returned');
  const page = items.slice(start, start + max);
  return {
    page,
    ...(start + max < items.length
      ? { nextToken: Buffer.from(String(start + max)).toString('base64url') }
      : {}),
  };
}

/** Thing names of a group and its descendant groups. */
export function groupMembers(registry: Registry, groupName: string): string[] {
  const groups = new Set([groupName]);
  const all = registry.listThingGroups();
  for (let grew = true; grew;) {
    grew = false;
    for (const g of all) {
      if (g.parentGroupName && groups.has(g.parentGroupName) && !groups.has(g.thingGroupName)) {
        groups.add(g.thingGroupName);
        grew = true;
      }
    }
  }
  return registry
    .listThings()
    .filter(t => t.thingGroupNames.some(g => groups.has(g)))
    .map(t => t.thingName);
}
