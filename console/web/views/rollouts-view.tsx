/**
 * Rollouts: the newest releases' rollouts, per stage the AWS IoT job's executions as a bar, the
 * gate's decision and reasons, the history, and pause / resume / abort (through the worker's
 * advance queue, `/api/rollouts/<id>/<action>`). Polled every 2 s: counts come from DescribeJob.
 */
import { useState } from 'preact/hooks';
import type { OperatorActionName, RolloutView } from '../../shared/console-api';
import { api } from '../api';
import { StageBar } from '../components/stage-bar';
import { clock, statusClass } from '../format';
import { usePolled } from '../hooks';

const CAN: Record<OperatorActionName, (state: string) => boolean> = {
  pause: s => s === 'rolling-out' || s === 'dispatching',
  resume: s => s === 'paused',
  abort: s => s === 'rolling-out' || s === 'dispatching' || s === 'paused',
};

function RolloutCard({ rollout, onChanged }: { rollout: RolloutView; onChanged: () => void }) {
  const [busy, setBusy] = useState<OperatorActionName | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const act = async (action: OperatorActionName) => {
    if (
      action === 'abort' &&
      !confirm(`Abort rollout ${rollout.id}? Every AWS IoT job of the release is canceled.`)
    )
      return;
    setBusy(action);
    setMessage(undefined);
    try {
      const r = await api.operator(rollout.id, action);
      setMessage({ ok: true, text: `${action}: ${r.decision}` });
    } catch (error) {
      setMessage({ ok: false, text: `${action}: ${(error as Error).message}` });
    } finally {
      setBusy(undefined);
      onChanged();
    }
  };
  const history = [...rollout.events].reverse();
  return (
    <article class="card rollout" data-rollout={rollout.id} data-rollout-state={rollout.state}>
      <div class="card-head">
        <div>
          <h2 class="mono">{rollout.id}</h2>
          <span class={`badge ${statusClass(rollout.state)}`}>{rollout.state}</span>
          {rollout.reason && <span class="muted reason">{rollout.reason}</span>}
          {rollout.build && rollout.build.state !== 'completed' && (
            <span class="muted reason">
              build {rollout.build.state}
              {rollout.build.failedReason ? `: ${rollout.build.failedReason}` : ''}
            </span>
          )}
        </div>
        <div class="actions">
          {(['pause', 'resume', 'abort'] as const).map(a => (
            <button
              class={a === 'abort' ? 'danger' : ''}
              disabled={!CAN[a](rollout.state) || busy !== undefined}
              onClick={() => act(a)}
              data-action={a}
            >
              {busy === a ? `${a}…` : a[0].toUpperCase() + a.slice(1)}
            </button>
          ))}
        </div>
      </div>
      {message && <p class={message.ok ? 'notice' : 'error'}>{message.text}</p>}
      <div class="stages">
        {rollout.stages.map(stage => (
          <div class="stage">
            <div class="stage-head">
              <b>{stage.name}</b>
              <span class="muted">→ {stage.targets.join(', ')}</span>
              <span class={`badge ${statusClass(stage.state)}`}>{stage.state}</span>
              {stage.awsStatus && (
                <span class={`badge outline ${statusClass(stage.awsStatus)}`} title={stage.jobId}>
                  job {stage.awsStatus}
                </span>
              )}
              {stage.pending && stage.pending !== 'completed' && (
                <span class="muted">next step {stage.pending}</span>
              )}
            </div>
            <StageBar name={stage.name} counts={stage.counts} />
            {stage.decision && (
              <div class="gate">
                gate: <span class={`badge ${statusClass(stage.decision)}`}>{stage.decision}</span>
                {stage.reasons && stage.reasons.length > 0 && (
                  <span class="muted"> {stage.reasons.join('; ')}</span>
                )}
              </div>
            )}
          </div>
        ))}
      </div>
      {history.length > 0 && (
        <details class="history" open>
          <summary>History ({history.length})</summary>
          <ol>
            {history.slice(0, 30).map(e => (
              <li>
                <span class="mono muted">{clock(e.at)}</span> <b>{e.kind}</b>
                {e.stage ? ` ${e.stage}` : ''}
                {e.decision && <span class={`badge ${statusClass(e.decision)}`}>{e.decision}</span>}
                <span class="muted"> {e.reasons.join('; ')}</span>
              </li>
            ))}
          </ol>
        </details>
      )}
    </article>
  );
}

export function RolloutsView() {
  const list = usePolled(() => api.rollouts(), [], 2000);
  return (
    <section>
      <div class="title-row">
        <h1>Rollouts</h1>
        <span class="summary">
          {list.data ? `${list.data.rollouts.length} newest` : 'loading…'}
        </span>
      </div>
      {list.error && <p class="error">{list.error}</p>}
      {list.data && list.data.rollouts.length === 0 && (
        <p class="empty">
          No rollouts yet: `fleet release app.bin --version … --plan …` starts one.
        </p>
      )}
      {list.data?.rollouts.map(r => (
        <RolloutCard key={r.id} rollout={r} onChanged={list.reload} />
      ))}
    </section>
  );
}
