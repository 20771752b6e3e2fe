/**
 * Fleet: every thing with its firmware version, slot, last OTA result and whether it is online.
 * Rows come a page at a time from the fleet index (`/api/fleet`, filters become one index query);
 * online/offline follows the broker's presence events, and versions and OTA results follow the
 * shadows' `update/documents` as devices report them.
 */
import { useEffect, useState } from 'preact/hooks';
import type { FleetPage, ThingRow } from '../../shared/console-api';
import { api } from '../api';
import { ago, perFrame, statusClass } from '../format';
import { usePolled, useSubscription } from '../hooks';
import type { PresenceBook } from '../presence';

/** What a shadow document update says about a row (docs/device-shadow.md). */
type Reported = Partial<Pick<ThingRow, 'version' | 'slot' | 'lastResult'>>;
const SHADOW_DOCUMENTS = '$aws/things/+/shadow/update/documents';

function reportedOf(payload: Uint8Array): Reported | undefined {
  try {
    const doc = JSON.parse(new TextDecoder().decode(payload)) as {
      current?: {
        state?: {
          reported?: {
            firmware?: { version?: string; slot?: string };
            ota?: { lastResult?: string };
          };
        };
      };
    };
    const r = doc.current?.state?.reported;
    if (!r) return undefined;
    return {
      version: r.firmware?.version,
      slot: r.firmware?.slot,
      lastResult: r.ota?.lastResult ?? undefined,
    };
  } catch {
    return undefined;
  }
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function online(row: ThingRow, presence: PresenceBook): boolean | undefined {
  const p = presence.get(row.thingName);
  return p && p.at >= (row.connectivityAt ?? 0) ? p.connected : row.connected;
}

export function FleetView({ presence }: { presence: PresenceBook }) {
  const [search, setSearch] = useState('');
  const [group, setGroup] = useState('');
  const [version, setVersion] = useState('');
  const debounced = useDebounced(search, 250);
  const facets = usePolled(() => api.facets(), [], 30_000);
  const first = usePolled(
    () => api.fleet({ search: debounced, group, version }),
    [debounced, group, version],
    10_000,
  );
  const [more, setMore] = useState<FleetPage[]>([]);
  const [loadingMore, setLoadingMore] = useState(false);
  useEffect(() => setMore([]), [debounced, group, version]);

  const [live] = useState(() => new Map<string, Reported>());
  const [, setTick] = useState(0);
  const [rerender] = useState(() => perFrame(() => setTick(t => t + 1)));
  useSubscription(SHADOW_DOCUMENTS, (topic, payload) => {
    const r = reportedOf(payload);
    if (!r) return;
    live.set(topic.split('/')[2], r);
    rerender();
  });

  // A device that comes online and is not in the table yet (new, or provisioned just now):
  // reload the first page once per such connect event (a claim connection or the console's own
  // client id is never a row, and must not cause a reload loop).
  const [tried] = useState(() => new Map<string, number>());
  const [pending] = useState({ timer: 0 });
  const pages = first.data ? [first.data, ...more] : [];
  const rows = pages.flatMap(p => p.things);
  const last = pages[pages.length - 1];
  const total = first.data?.total ?? 0;
  const onlineShown = rows.filter(r => online(r, presence)).length;
  useEffect(() => {
    if (!first.data || first.data.nextToken || debounced || group || version) return;
    const known = new Set(rows.map(r => r.thingName));
    let reload = false;
    for (const name of presence.names()) {
      const p = presence.get(name)!;
      if (known.has(name) || !p.connected || tried.get(name) === p.at) continue;
      tried.set(name, p.at);
      reload = true;
    }
    if (reload && !pending.timer)
      pending.timer = window.setTimeout(() => {
        pending.timer = 0;
        first.reload();
      }, 500);
  }, [presence.revision, first.data]);
  const loadMore = async () => {
    if (!last?.nextToken) return;
    setLoadingMore(true);
    try {
      const page = await api.fleet({ search: debounced, group, version }, last.nextToken);
      setMore(m => [...m, page]);
    } finally {
      setLoadingMore(false);
    }
  };
  const versions = facets.data?.versions ?? [];
  const fleetSize = facets.data?.things ?? 0;

  return (
    <section class="fleet">
      <div class="title-row">
        <h1>Fleet</h1>
        <span class="summary" data-total={total}>
          {first.loading && !first.data
            ? 'loading…'
            : `${total.toLocaleString()} things · ${onlineShown.toLocaleString()} of ${rows.length.toLocaleString()} shown online`}
        </span>
      </div>
      {versions.length > 0 && (
        <div class="version-mix" title="firmware versions across the fleet (fleet index)">
          {versions.map((v, i) => (
            <button
              class={`mix-part mix-${i % 6} ${version === v.version ? 'selected' : ''}`}
              style={{ flexGrow: v.count }}
              onClick={() => setVersion(version === v.version ? '' : v.version)}
              title={`${v.version}: ${v.count} things`}
            >
              {v.version} · {Math.round((v.count / Math.max(1, fleetSize)) * 100)} %
            </button>
          ))}
        </div>
      )}
      <div class="toolbar">
        <input
          type="search"
          placeholder="Search thing name…"
          value={search}
          onInput={e => setSearch((e.target as HTMLInputElement).value)}
          aria-label="search thing name"
        />
        <select
          value={group}
          onChange={e => setGroup((e.target as HTMLSelectElement).value)}
          aria-label="thing group"
        >
          <option value="">All groups</option>
          {(facets.data?.groups ?? []).map(g => (
            <option value={g}>{g}</option>
          ))}
        </select>
        <select
          value={version}
          onChange={e => setVersion((e.target as HTMLSelectElement).value)}
          aria-label="firmware version"
        >
          <option value="">All versions</option>
          {versions.map(v => (
            <option value={v.version}>
              {v.version} ({v.count})
            </option>
          ))}
        </select>
        <button onClick={() => first.reload()}>Refresh</button>
        {first.data && (
          <code class="query" title="the fleet-index query these filters make">
            {first.data.query}
          </code>
        )}
      </div>
      {first.error && <p class="error">{first.error}</p>}
      <table class="table things">
        <thead>
          <tr>
            <th>Status</th>
            <th>Thing</th>
            <th>Groups</th>
            <th>Firmware</th>
            <th>Slot</th>
            <th>Last OTA</th>
            <th>Seen</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(row => {
            const r = {
              ...row,
              ...Object.fromEntries(
                Object.entries(live.get(row.thingName) ?? {}).filter(([, v]) => v !== undefined),
              ),
            } as ThingRow;
            const on = online(row, presence);
            const at = presence.get(row.thingName)?.at ?? row.connectivityAt;
            return (
              <tr key={row.thingName} data-thing={row.thingName} data-online={String(on === true)}>
                <td>
                  <span class={`state ${on ? 'online' : on === false ? 'offline' : 'unknown'}`}>
                    {on ? 'online' : on === false ? 'offline' : '—'}
                  </span>
                </td>
                <td>
                  <a href={`#/things/${encodeURIComponent(row.thingName)}`} class="mono">
                    {row.thingName}
                  </a>
                </td>
                <td>
                  {row.groups.map(g => (
                    <span class="chip">{g}</span>
                  ))}
                </td>
                <td class="mono" data-version={r.version ?? ''}>
                  {r.version ?? '—'}
                </td>
                <td class="mono">{r.slot ?? '—'}</td>
                <td>
                  {r.lastResult ? (
                    <span class={`badge ${statusClass(r.lastResult)}`} title={row.lastReason}>
                      {r.lastResult}
                    </span>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
                <td class="muted">{ago(at)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {first.data && rows.length === 0 && <p class="empty">No thing matches {first.data.query}.</p>}
      <div class="table-foot">
        <span class="muted">
          {rows.length.toLocaleString()} of {total.toLocaleString()}
        </span>
        {last?.nextToken && (
          <button onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </section>
  );
}
