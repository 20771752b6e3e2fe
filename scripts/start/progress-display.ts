/**
 * Live progress of `npm start`: on a terminal, a block redrawn in place (devices provisioned, one
 * bar per stage: succeeded / failed / in progress / queued, the gate's decisions); otherwise
 * (CI, a pipe) one plain line per change, so logs stay readable.
 */
import type { DemoResult, DemoSnapshot, StageProgress } from './fleet-demo';

const WIDTH = 40;

function bar(s: StageProgress): string {
  const total = Math.max(1, s.targets);
  const part = (n: number) => Math.round((n / total) * WIDTH);
  const ok = part(s.succeeded);
  const bad = part(s.failed + s.rejected + s.timedOut + s.canceled);
  const busy = part(s.inProgress);
  const queued = part(s.queued);
  const rest = Math.max(0, WIDTH - ok - bad - busy - queued);
  return `${'█'.repeat(ok)}${'▓'.repeat(bad)}${'▒'.repeat(busy)}${'░'.repeat(queued)}${' '.repeat(rest)}`.slice(0, WIDTH);
}

function stageLine(s: StageProgress): string {
  return `${s.name.padEnd(8)} [${bar(s)}] ${s.state.padEnd(9)} queued ${s.queued}  in progress ${s.inProgress}  succeeded ${s.succeeded}  failed ${s.failed + s.rejected + s.timedOut}${s.canceled ? `  canceled ${s.canceled}` : ''}  of ${s.targets}`;
}

function gateLines(snapshot: DemoSnapshot): string[] {
  return snapshot.events
    .filter(e => e.kind === 'gate' || e.kind === 'state' || e.kind === 'stage-started')
    .map(e => `  ${new Date(e.at).toISOString().slice(11, 19)} ${e.kind}${e.stage ? ` ${e.stage}` : ''}${e.decision ? `: ${e.decision}` : ''}${e.reasons.length ? ` — ${e.reasons.join('; ')}` : ''}`);
}

export class ProgressDisplay {
  private drawn = 0;
  private lastPlain = new Set<string>();

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  lines(s: DemoSnapshot): string[] {
    const lines = [`esp32-fleet · ${(s.elapsedMs / 1000).toFixed(1)} s · ${s.phase}`];
    if (s.consoleUrl) lines.push(`console  ${s.consoleUrl}`);
    lines.push(`devices  ${s.provisioned}/${s.devices} online (${s.provisionedNow} provisioned by claim in this run)`);
    if (s.version) lines.push(`release  ${s.version} (${s.releaseId})  rollout ${s.rollout?.state ?? 'queued for build'}`);
    for (const stage of s.stages) lines.push(stageLine(stage));
    const gates = gateLines(s);
    if (gates.length) lines.push('gate and stage decisions:', ...gates);
    return lines;
  }

  update(s: DemoSnapshot): void {
    if (this.tty) {
      const lines = this.lines(s);
      if (this.drawn) this.out.write(`\x1b[${this.drawn}A`);
      this.out.write(lines.map(l => `\x1b[2K${l}\n`).join(''));
      this.drawn = lines.length;
      return;
    }
    // Plain: print each line that was not printed before (ignoring the clock line); device counts
    // only every tenth of the fleet.
    const step = Math.max(1, Math.ceil(s.devices / 10));
    for (const line of this.lines(s).slice(1)) {
      if (line.startsWith('devices') && s.provisioned % step !== 0 && s.provisioned !== s.devices) continue;
      if (this.lastPlain.has(line)) continue;
      this.lastPlain.add(line);
      this.out.write(`${(s.elapsedMs / 1000).toFixed(1).padStart(6)} s  ${line.trim()}\n`);
    }
  }
}

/** The summary table printed at the end. */
export function formatSummary(r: DemoResult): string {
  const out: string[] = ['', `release ${r.version} (${r.releaseId}): rollout ${r.snapshot.rollout?.state ?? 'never dispatched'}, expected ${r.expectation.state}`, ''];
  out.push('stage     devices  succeeded  failed  rejected  timed out  canceled  expected  outcome');
  for (const s of r.snapshot.stages) {
    const e = r.expectation.stages.find(x => x.stage === s.name);
    out.push(`${s.name.padEnd(9)} ${String(s.targets).padStart(7)}  ${String(s.succeeded).padStart(9)}  ${String(s.failed).padStart(6)}  ${String(s.rejected).padStart(8)}  ${String(s.timedOut).padStart(9)}  ${String(s.canceled).padStart(8)}  ${(e?.end ?? '').padEnd(8)}  ${s.state}`);
  }
  out.push('', 'behaviour    devices  on new version  final job status');
  const byBehaviour = new Map<string, { n: number; updated: number; statuses: Map<string, number> }>();
  for (const d of r.devices) {
    const b = byBehaviour.get(d.behaviour) ?? { n: 0, updated: 0, statuses: new Map() };
    b.n += 1;
    if (d.version === r.version) b.updated += 1;
    const st = `${d.phase}${d.reason ? ` ${d.reason}` : ''}`;
    b.statuses.set(st, (b.statuses.get(st) ?? 0) + 1);
    byBehaviour.set(d.behaviour, b);
  }
  for (const [name, b] of byBehaviour)
    out.push(`${name.padEnd(12)} ${String(b.n).padStart(7)}  ${String(b.updated).padStart(14)}  ${[...b.statuses].map(([k, v]) => `${v}× ${k}`).join(', ')}`);
  if (r.firmware.length) out.push(`fleet-device ${String(r.firmware.length).padStart(7)}  (the firmware's POSIX build)  ${r.firmware.map(f => `${f.thingName} ${f.status}`).join(', ')}`);
  const t = r.timings;
  out.push('', `time: local cloud ${(t.cloudMs / 1000).toFixed(1)} s, devices online ${(t.bootMs / 1000).toFixed(1)} s, rollout ${(t.rolloutMs / 1000).toFixed(1)} s, total ${(t.totalMs / 1000).toFixed(1)} s`);
  out.push(r.ok ? 'OK: the rollout reached its expected end and every device ended as its behaviour predicts.' : `NOT OK:\n  ${r.problems.slice(0, 20).join('\n  ')}${r.problems.length > 20 ? `\n  … and ${r.problems.length - 20} more` : ''}`);
  return out.join('\n');
}
