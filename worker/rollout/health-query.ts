/**
 * The health of the devices that took a stage's update, from fleet indexing: three `GetStatistics`
 * counts (updated, crashing, offline) over the stage's thing groups — the same three calls for 10
 * devices or 100,000, never one call per device
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_GetStatistics.html, query syntax:
 * https://docs.aws.amazon.com/iot/latest/developerguide/query-syntax.html).
 *
 * Shadow fields read (the device shadow the firmware and the virtual devices report, as the local
 * cloud's fleet index tests use it: `reported.firmware.{version,slot}` and
 * `reported.health.{bootsSinceUpdate,crashesSinceUpdate,reconnects,uptimeSeconds}`):
 * - updated: `shadow.reported.firmware.version` equals the release version;
 * - crashing: `shadow.reported.health.crashesSinceUpdate` is above 0 (a crash or a reboot loop
 *   since the update);
 * - offline: `connectivity.connected` is false since before now − `maxOfflineMinutes`.
 * Change the field names here only.
 */
import { GetStatisticsCommand } from '@aws-sdk/client-iot';
import type { ObservedHealth } from '../../ota/rollout-plan/evaluate-gate';
import { rethrowAws } from '../clients/aws-error';
import type { ProcessorContext } from '../processors/processor-context';

export const HEALTH_FIELDS = {
  version: 'shadow.reported.firmware.version',
  crashes: 'shadow.reported.health.crashesSinceUpdate',
} as const;

/** Quotes a value for the query syntax. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, c => `\\${c}`)}"`;
}

/** The three query strings (exported for tests and the benchmark). */
export function healthQueries(
  groups: readonly string[],
  version: string,
  offlineSince: number,
): { updated: string; crashing: string; offline: string } {
  const inGroups =
    groups.length === 1
      ? `thingGroupNames:${groups[0]}`
      : `(${groups.map(g => `thingGroupNames:${g}`).join(' OR ')})`;
  const updated = `${inGroups} AND ${HEALTH_FIELDS.version}:${quote(version)}`;
  return {
    updated,
    crashing: `${updated} AND ${HEALTH_FIELDS.crashes}>0`,
    offline: `${updated} AND connectivity.connected:false AND connectivity.timestamp<${offlineSince}`,
  };
}

async function count(ctx: Pick<ProcessorContext, 'clients'>, queryString: string): Promise<number> {
  try {
    const out = await ctx.clients.iot.send(
      new GetStatisticsCommand({ indexName: 'AWS_Things', queryString }),
    );
    return out.statistics?.count ?? 0;
  } catch (error) {
    rethrowAws(`GetStatistics "${queryString}"`, error);
  }
}

export async function observeHealth(
  ctx: Pick<ProcessorContext, 'clients'>,
  groups: readonly string[],
  version: string,
  maxOfflineMinutes: number,
  now: number,
): Promise<ObservedHealth> {
  const q = healthQueries(groups, version, now - maxOfflineMinutes * 60_000);
  const [updatedDevices, crashing, offline] = await Promise.all([
    count(ctx, q.updated),
    count(ctx, q.crashing),
    count(ctx, q.offline),
  ]);
  return { updatedDevices, crashing, offline };
}
