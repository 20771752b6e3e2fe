/** Small display helpers (pure). */

/** `12 s ago`, `5 min ago`, `3 h ago`, or the date. */
export function ago(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

/** `14:02:07` in local time. */
export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

/** CSS class of an AWS job/execution status or OTA result. */
export function statusClass(status: string | undefined): string {
  switch (status) {
    case 'SUCCEEDED':
    case 'COMPLETED':
    case 'completed':
    case 'promoted':
    case 'promote':
    case 'finished':
      return 'ok';
    case 'FAILED':
    case 'ROLLED_BACK':
    case 'TIMED_OUT':
    case 'aborted':
    case 'abort':
    case 'CANCELED':
    case 'canceled':
      return 'bad';
    case 'REJECTED':
    case 'paused':
    case 'wait':
      return 'warn';
    case 'IN_PROGRESS':
    case 'rolling-out':
    case 'started':
      return 'busy';
    default:
      return 'muted';
  }
}

/** Batches calls into one per animation frame (bursts of MQTT messages re-render once). */
export function perFrame(fn: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      fn();
    });
  };
}
