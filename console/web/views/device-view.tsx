/**
 * A device's page: registry facts, online state, the classic shadow (updated live from
 * `$aws/things/<thing>/shadow/update/documents`), a desired-state editor that publishes
 * `{"state":{"desired":…}}` to `$aws/things/<thing>/shadow/update` over MQTT (the answer comes on
 * `…/update/accepted` or `…/rejected`), and the thing's job executions.
 * Commands a device understands: docs/device-shadow.md ("Desired state: commands").
 */
import { useState } from 'preact/hooks';
import { api } from '../api';
import { broker } from '../broker';
import { ago, statusClass } from '../format';
import { useBrokerState, usePolled, useSubscription } from '../hooks';
import type { PresenceBook } from '../presence';
import { online } from './fleet-view';

function template(): string {
  const id = `console-${Date.now().toString(36)}`;
  return JSON.stringify(
    { command: { id, name: 'report', args: {}, issuedAt: Math.floor(Date.now() / 1000) } },
    null,
    2,
  );
}

export function DeviceView({ thingName, presence }: { thingName: string; presence: PresenceBook }) {
  const detail = usePolled(() => api.thing(thingName), [thingName], 5000);
  const brokerState = useBrokerState();
  const [liveShadow, setLiveShadow] = useState<unknown>();
  const [desired, setDesired] = useState(template);
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const prefix = `$aws/things/${thingName}/shadow/update`;
  useSubscription(`${prefix}/documents`, (_t, payload) => {
    try {
      setLiveShadow(
        (JSON.parse(new TextDecoder().decode(payload)) as { current?: unknown }).current,
      );
    } catch {
      // not a shadow document: ignore
    }
  });
  useSubscription(`${prefix}/accepted`, () =>
    setResult({ ok: true, text: 'accepted by the shadow service' }),
  );
  useSubscription(`${prefix}/rejected`, (_t, payload) =>
    setResult({ ok: false, text: `rejected: ${new TextDecoder().decode(payload)}` }),
  );

  const publish = async (e: Event) => {
    e.preventDefault();
    let state: unknown;
    try {
      state = JSON.parse(desired);
    } catch (error) {
      setResult({ ok: false, text: `desired state is not JSON: ${(error as Error).message}` });
      return;
    }
    if (state === null || typeof state !== 'object' || Array.isArray(state)) {
      setResult({ ok: false, text: 'desired state must be a JSON object, e.g. {"command": {…}}' });
      return;
    }
    setResult({ ok: true, text: 'published, waiting for the shadow service…' });
    try {
      await broker.publish(
        prefix,
        JSON.stringify({ state: { desired: state }, clientToken: `console-${Date.now()}` }),
      );
    } catch (error) {
      setResult({ ok: false, text: `publish failed: ${(error as Error).message}` });
    }
  };

  const d = detail.data;
  const shadow = liveShadow !== undefined ? liveShadow : d?.shadow;
  const on = d?.row ? online(d.row, presence) : presence.get(thingName)?.connected;
  return (
    <section class="device" data-device={thingName}>
      <p class="crumbs">
        <a href="#/fleet">Fleet</a> / <span class="mono">{thingName}</span>
      </p>
      <div class="title-row">
        <h1 class="mono">{thingName}</h1>
        <span class={`state ${on ? 'online' : on === false ? 'offline' : 'unknown'}`}>
          {on ? 'online' : on === false ? 'offline' : 'unknown'}
        </span>
      </div>
      {detail.error && <p class="error">{detail.error}</p>}
      {d && (
        <div class="facts">
          <div>
            <span class="muted">firmware</span> <b class="mono">{d.row?.version ?? '—'}</b>{' '}
            <span class="muted">({d.row?.slot ?? '—'})</span>
          </div>
          <div>
            <span class="muted">last OTA</span>{' '}
            {d.row?.lastResult ? (
              <span class={`badge ${statusClass(d.row.lastResult)}`}>{d.row.lastResult}</span>
            ) : (
              '—'
            )}{' '}
            {d.row?.lastReason && <span class="muted">{d.row.lastReason}</span>}
          </div>
          <div>
            <span class="muted">groups</span>{' '}
            {(d.row?.groups ?? []).map(g => (
              <span class="chip">{g}</span>
            ))}
          </div>
          <div>
            <span class="muted">type</span> {d.thingTypeName ?? '—'}
          </div>
          <div>
            <span class="muted">seen</span>{' '}
            {ago(presence.get(thingName)?.at ?? d.row?.connectivityAt) || '—'}
          </div>
          {Object.entries(d.attributes).map(([k, v]) => (
            <div>
              <span class="muted">{k}</span> {v}
            </div>
          ))}
        </div>
      )}
      <div class="columns">
        <div class="card">
          <h2>Shadow {liveShadow !== undefined && <span class="badge busy">live</span>}</h2>
          <pre class="json" data-shadow>
            {shadow === null ? 'no shadow yet' : JSON.stringify(shadow, null, 2)}
          </pre>
        </div>
        <div class="card">
          <h2>Desired state</h2>
          <form onSubmit={publish}>
            <textarea
              class="mono"
              rows={10}
              value={desired}
              onInput={e => setDesired((e.target as HTMLTextAreaElement).value)}
              aria-label="desired state JSON"
            />
            <div class="actions">
              <button
                type="submit"
                class="primary"
                disabled={brokerState !== 'connected'}
                title={`publishes {"state":{"desired":…}} to ${prefix}`}
              >
                Publish desired state
              </button>
              <button type="button" onClick={() => setDesired(template())}>
                New command
              </button>
            </div>
          </form>
          {result && <p class={result.ok ? 'notice' : 'error'}>{result.text}</p>}
          <p class="muted hint">
            Published over MQTT to <code>{prefix}</code>.
          </p>
          <p class="muted hint">
            Commands: <code>reboot</code>, <code>report</code>, <code>check-jobs</code>{' '}
            (docs/device-shadow.md). The device answers in its reported state and clears the
            command.
          </p>
        </div>
      </div>
      <div class="card">
        <h2>Job history</h2>
        {d && d.jobs.length === 0 && <p class="empty">No job executions.</p>}
        {d && d.jobs.length > 0 && (
          <table class="table">
            <thead>
              <tr>
                <th>Job</th>
                <th>Status</th>
                <th>Queued</th>
                <th>Started</th>
                <th>Last update</th>
                <th>#</th>
              </tr>
            </thead>
            <tbody>
              {d.jobs.map(j => (
                <tr>
                  <td class="mono">{j.jobId}</td>
                  <td>
                    <span class={`badge ${statusClass(j.status)}`}>{j.status}</span>
                  </td>
                  <td class="muted">{ago(j.queuedAt)}</td>
                  <td class="muted">{ago(j.startedAt)}</td>
                  <td class="muted">{ago(j.lastUpdatedAt)}</td>
                  <td class="muted">{j.executionNumber ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
