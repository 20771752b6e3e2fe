/**
 * Fleet indexing on: registry, classic shadow and connectivity status, so a rollout gate can ask
 * one query about every device on a release, e.g.
 * `thingGroupNames:esp32-fleet-prod-canary AND shadow.reported.firmware.version:1.4.0 AND connectivity.connected:true`.
 * The custom fields make the shadow values usable in aggregations (`GetStatistics`).
 *
 * This is an account-and-region setting: two stacks in one account and region must not both
 * manage it (see `OtaJobsProps.manageAccountSettings`).
 *
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/managing-fleet-index.html
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/query-syntax.html
 */
import { Construct } from 'constructs';
import { IotIndexingConfiguration } from '@cdktf/provider-aws/lib/iot-indexing-configuration';

/**
 * Shadow fields the devices report (docs/device-shadow.md), indexed as custom fields (type as
 * AWS spells it) so the health gate can aggregate them: version and slot per release, and the
 * crash and boot counters since the update.
 */
export const INDEXED_SHADOW_FIELDS = [
  { name: 'shadow.reported.firmware.version', type: 'String' },
  { name: 'shadow.reported.firmware.slot', type: 'String' },
  { name: 'shadow.reported.ota.lastResult', type: 'String' },
  { name: 'shadow.reported.health.crashesSinceUpdate', type: 'Number' },
  { name: 'shadow.reported.health.bootsSinceUpdate', type: 'Number' },
] as const;

export class FleetIndexing extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new IotIndexingConfiguration(this, 'Configuration', {
      thingIndexingConfiguration: {
        thingIndexingMode: 'REGISTRY_AND_SHADOW',
        thingConnectivityIndexingMode: 'STATUS',
        customField: INDEXED_SHADOW_FIELDS.map(field => ({ name: field.name, type: field.type })),
      },
      thingGroupIndexingConfiguration: { thingGroupIndexingMode: 'ON' },
    });
  }
}
