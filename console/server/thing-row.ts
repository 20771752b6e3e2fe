/**
 * One SearchIndex result as a fleet table row: the fields devices report in their classic shadow
 * (docs/device-shadow.md: `firmware.version`, `firmware.slot`, `ota.lastResult`, `ota.reason`),
 * the thing's groups and its connectivity. SearchIndex returns the shadow as a JSON string
 * (API_ThingDocument); a shadow that does not parse or lacks a field leaves it out. Pure.
 */
import type { ThingDocument } from '@aws-sdk/client-iot';
import type { ThingRow } from '../shared/console-api';

function at(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export function thingRow(doc: ThingDocument): ThingRow {
  let shadow: unknown;
  try {
    shadow = doc.shadow ? JSON.parse(doc.shadow) : undefined;
  } catch {
    shadow = undefined;
  }
  const reported = at(shadow, 'reported');
  const connectivity = doc.connectivity;
  const row: ThingRow = {
    thingName: doc.thingName ?? '',
    groups: [...(doc.thingGroupNames ?? [])].sort(),
    version: text(at(reported, 'firmware', 'version')),
    slot: text(at(reported, 'firmware', 'slot')),
    lastResult: text(at(reported, 'ota', 'lastResult')),
    lastReason: text(at(reported, 'ota', 'reason')),
    connected: connectivity?.connected,
    connectivityAt:
      connectivity?.timestamp === undefined ? undefined : Number(connectivity.timestamp),
  };
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as ThingRow;
}
