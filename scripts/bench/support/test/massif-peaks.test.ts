import { describe, expect, it } from 'vitest';
import { massifPeaks } from '../massif-peaks';

/** A massif snapshot; `tree` lines are given without the heap_tree header. */
function snapshot(n: number, time: number, heap: number, extra: number, tree?: string[]): string {
  return [
    '#-----------',
    `snapshot=${n}`,
    '#-----------',
    `time=${time}`,
    `mem_heap_B=${heap}`,
    `mem_heap_extra_B=${extra}`,
    'mem_stacks_B=0',
    tree ? 'heap_tree=detailed' : 'heap_tree=empty',
    ...(tree ?? []),
  ].join('\n');
}

const header = 'desc: --time-unit=ms\ncmd: fleet-device\ntime_unit: ms';

const text = [
  header,
  snapshot(0, 0, 0, 0),
  snapshot(1, 10, 1000, 100, [
    'n1: 1000 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.',
    ' n0: 1000 0x1: main (in /x)',
  ]),
  snapshot(2, 20, 3000, 200, [
    'n2: 3000 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.',
    ' n1: 2000 0x2: mbedtls_mpi_grow (in /lib/libmbedcrypto.so)',
    '  n1: 2000 0x3: fleet_ota_download (in /x)',
    '   n0: 2000 0x1: main (in /x)',
    ' n0: 1000 0x1: main (in /x)',
  ]),
  snapshot(3, 30, 9000, 300, [
    'n1: 9000 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.',
    ' n0: 9000 0x4: SSL_CTX_new_ex (in /lib/libssl.so)',
  ]),
  '',
].join('\n');

describe('massifPeaks', () => {
  it('takes the whole-process peak with allocator overhead, and what is held under fleet_ota_download', () => {
    const peaks = massifPeaks(text);
    expect(peaks.process).toBe(9300);
    expect(peaks.otaOwn).toBe(2000);
    // window: the snapshot with an OTA allocation; baseline: the snapshot before it
    expect(peaks.baseline).toBe(1100);
    expect(peaks.aboveBaseline).toBe(2100);
  });

  it('uses a given time window for the baseline and the rise, whatever allocated it', () => {
    expect(massifPeaks(text, { from: 25, to: 35 })).toMatchObject({
      baseline: 3200,
      aboveBaseline: 6100,
    });
    expect(massifPeaks(text, { from: 100, to: 200 })).toMatchObject({ aboveBaseline: 0 });
  });

  it('says where the tree is broken', () => {
    expect(() =>
      massifPeaks(`${header}\n${snapshot(0, 0, 10, 0, ['n1: 10 x', 'garbage'])}`),
    ).toThrow(/line 13 is not a tree node: garbage/);
  });
});
