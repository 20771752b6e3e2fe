/**
 * One stage's executions as a stacked bar: succeeded, failed, timed out, rejected and canceled,
 * in progress, queued — each segment as wide as its share, with the counts beside it.
 */
import type { StageCounts } from '../../shared/console-api';

const SEGMENTS = [
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['timedOut', 'timed out'],
  ['rejected', 'rejected'],
  ['canceled', 'canceled'],
  ['inProgress', 'in progress'],
  ['queued', 'queued'],
] as const;

export function StageBar({ name, counts }: { name: string; counts?: StageCounts }) {
  const c = counts ?? {
    queued: 0,
    inProgress: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    rejected: 0,
    canceled: 0,
    removed: 0,
  };
  const total = SEGMENTS.reduce((n, [k]) => n + c[k], 0);
  const data = Object.fromEntries(SEGMENTS.map(([k]) => [`data-${k.toLowerCase()}`, String(c[k])]));
  return (
    <div class="stage-bar" data-stage={name} data-total={String(total)} {...data}>
      <div
        class="bar"
        role="img"
        aria-label={SEGMENTS.map(([k, label]) => `${c[k]} ${label}`).join(', ')}
      >
        {total === 0 ? (
          <div class="seg empty">no executions yet</div>
        ) : (
          SEGMENTS.filter(([k]) => c[k] > 0).map(([k, label]) => (
            <div
              class={`seg seg-${k}`}
              style={{ width: `${(c[k] / total) * 100}%` }}
              title={`${c[k]} ${label}`}
            />
          ))
        )}
      </div>
      <div class="legend">
        {SEGMENTS.map(([k, label]) => (
          <span class={`legend-item ${c[k] === 0 ? 'zero' : ''}`}>
            <i class={`swatch seg-${k}`} />
            {label} <b>{c[k]}</b>
          </span>
        ))}
      </div>
    </div>
  );
}
