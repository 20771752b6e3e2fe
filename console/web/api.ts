/** Calls to the console's server (`console/server/console-routes.ts`); errors carry its message. */
import type {
  ConnectionInfo,
  FleetFacets,
  FleetPage,
  OperatorActionName,
  OperatorResult,
  RolloutList,
  ThingDetail,
} from '../shared/console-api';

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, init);
  const body = (await res
    .json()
    .catch(() => ({ error: `${res.status} ${res.statusText}` }))) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${path}: ${res.status}`);
  return body;
}

export const api = {
  connection: () => call<ConnectionInfo>('/api/connection'),
  fleet: (filter: { search?: string; group?: string; version?: string }, nextToken?: string) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filter, nextToken })) if (v) q.set(k, v);
    return call<FleetPage>(`/api/fleet?${q}`);
  },
  facets: () => call<FleetFacets>('/api/fleet/facets'),
  thing: (name: string) => call<ThingDetail>(`/api/things/${encodeURIComponent(name)}`),
  rollouts: () => call<RolloutList>('/api/rollouts'),
  operator: (id: string, action: OperatorActionName, reason?: string) =>
    call<OperatorResult>(`/api/rollouts/${encodeURIComponent(id)}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(reason ? { reason } : {}),
    }),
};
