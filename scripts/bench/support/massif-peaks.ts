/**
 * Peak heap numbers from a valgrind massif output file (`--detailed-freq=1`, so every snapshot
 * carries its allocation tree), for the firmware OTA benchmark.
 *
 * - `process`: the whole process, heap + allocator overhead, the largest over all snapshots.
 * - `otaOwn`: the heap held by allocations whose stack passes through `fleet_ota_download` (the
 *   OTA path itself and what the libraries it calls allocate for it), the largest at any snapshot.
 * - `baseline` / `aboveBaseline`: `baseline` is the whole-process heap just before the OTA window
 *   (the process as it was before the OTA began), `aboveBaseline` the largest rise over it inside
 *   the window, whatever allocated it (0 if nothing did). The window is given in massif's time
 *   unit (fleet-device: from its log, with `--time-unit=ms`), or else runs from the first to the
 *   last snapshot with an allocation under `fleet_ota_download`. Massif keeps a sample of the
 *   snapshots (and always the peak): a short-lived allocation inside the window can fall between
 *   two of them.
 */
export interface MassifPeaks {
  readonly process: number;
  readonly otaOwn: number;
  readonly baseline: number;
  readonly aboveBaseline: number;
}

const OTA_FRAME = /: fleet_ota_download[ (]/;

/** Part of the run, in massif's time unit (`time=` of the snapshots). */
export interface MassifWindow {
  readonly from: number;
  readonly to: number;
}

interface Snapshot {
  readonly time: number;
  readonly total: number;
  /** Bytes under an OTA frame, or undefined for a snapshot without a tree. */
  readonly ota: number | undefined;
}

function snapshots(text: string): Snapshot[] {
  const lines = text.split('\n');
  const out: Snapshot[] = [];
  let heap = 0;
  let total = 0;
  let time = 0;
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i].startsWith('time=')) {
      time = Number(lines[i].slice(5));
      continue;
    }
    const m = /^mem_heap(_extra)?_B=(\d+)/.exec(lines[i]);
    if (m) {
      if (m[1] === undefined) heap = Number(m[2]);
      else total = heap + Number(m[2]);
      continue;
    }
    if (!lines[i].startsWith('heap_tree=')) continue;
    if (lines[i] === 'heap_tree=empty') {
      out.push({ time, total, ota: undefined });
      continue;
    }
    let ota = 0;
    const walk = (index: number, under: boolean): number => {
      const node = /^ *n(\d+): (\d+) (.*)$/.exec(lines[index]);
      if (!node)
        throw new Error(`massif output line ${index + 1} is not a tree node: ${lines[index]}`);
      const here = OTA_FRAME.test(node[3]);
      if (here && !under) ota += Number(node[2]);
      let next = index + 1;
      for (let c = 0; c < Number(node[1]); c += 1) next = walk(next, under || here);
      return next;
    };
    walk(i + 1, false);
    out.push({ time, total, ota });
  }
  return out;
}

/** Reads the numbers above from the text of a massif output file. */
export function massifPeaks(text: string, window?: MassifWindow): MassifPeaks {
  const all = snapshots(text);
  if (all.length === 0) throw new Error('massif output has no snapshots');
  const process = Math.max(...all.map(s => s.total));
  const otaOwn = Math.max(0, ...all.map(s => s.ota ?? 0));
  const inside = (s: Snapshot): boolean =>
    window ? s.time >= window.from && s.time <= window.to : (s.ota ?? 0) > 0;
  const first = all.findIndex(inside);
  if (first < 0) return { process, otaOwn, baseline: process, aboveBaseline: 0 };
  let last = first;
  all.forEach((s, i) => {
    if (inside(s)) last = i;
  });
  const baseline = first > 0 ? all[first - 1].total : all[first].total - (all[first].ota ?? 0);
  const inWindow = all.slice(first, last + 1).map(s => s.total);
  return {
    process,
    otaOwn,
    baseline,
    aboveBaseline: Math.max(0, Math.max(...inWindow) - baseline),
  };
}
