import { describe, expect, it } from 'vitest';
import {
  createProgressRenderer,
  estimateEta,
  type FetchProgress,
  formatDuration,
  formatProgressLine,
} from '../../../producers/fetch/progress.js';

const at = (tasksDone: number, rows = 0): FetchProgress => ({
  tasksDone,
  tasksTotal: 40,
  rows,
  calls: tasksDone,
  etaMs: null,
});

describe('progress formatting', () => {
  it('draws a bar with tasks, grouped rows, calls and the ETA', () => {
    expect(
      formatProgressLine({ tasksDone: 12, tasksTotal: 40, rows: 123_456, calls: 57, etaMs: 83_000 }, 10),
    ).toBe('[###-------]  12/40 tasks  rows 123,456  calls 57  ETA 1m23s');
    expect(formatProgressLine({ tasksDone: 0, tasksTotal: 0, rows: 0, calls: 0, etaMs: null }, 4)).toBe(
      '[####]  0/0 tasks  rows 0  calls 0  ETA --',
    );
    expect(formatProgressLine({ ...at(3), tasksTotal: 100 }, 4)).toContain('  3/100 tasks');
  });

  it('prints durations compactly', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_400)).toBe('59s');
    expect(formatDuration(61_000)).toBe('1m01s');
    expect(formatDuration(3_600_000 * 2 + 5 * 60_000)).toBe('2h05m');
  });

  it('estimates the time left at the pace so far', () => {
    expect(estimateEta(0, 10, 5_000)).toBeNull();
    expect(estimateEta(2, 10, 5_000)).toBe(20_000);
    expect(estimateEta(10, 10, 5_000)).toBe(0);
  });
});

describe('progress renderer', () => {
  function sink(isTTY: boolean) {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY, write: (s: string) => chunks.push(s) } };
  }

  it('redraws one terminal line with \\r, throttled, and ends it on done', () => {
    let clock = 0;
    const { chunks, stream } = sink(true);
    const bar = createProgressRenderer({ stream, redrawMs: 100, now: () => clock });
    bar.update(at(1));
    clock = 50;
    bar.update(at(2));
    clock = 120;
    bar.update(at(3));
    clock = 130;
    bar.update(at(4));
    bar.done();
    expect(chunks.map((c) => c.match(/(\d+)\/40/)?.[1] ?? c)).toEqual(['1', '3', '4', '\n']);
    expect(chunks[0]?.startsWith('\r[')).toBe(true);
    expect(chunks[0]?.endsWith('\x1b[K')).toBe(true);
  });

  it('logs JSON fields through the logger when not on a terminal, at intervals', () => {
    let clock = 0;
    const lines: Array<[object, string]> = [];
    const { chunks, stream } = sink(false);
    const logger = { info: (fields: object, message: string) => lines.push([fields, message]) };
    const renderer = createProgressRenderer({ stream, logger, logEveryMs: 1_000, now: () => clock });
    renderer.update(at(1, 10));
    clock = 500;
    renderer.update(at(2, 20));
    clock = 1_600;
    renderer.update(at(3, 30));
    renderer.done();
    expect(chunks).toEqual([]);
    expect(lines.map(([fields]) => (fields as FetchProgress).rows)).toEqual([10, 30]);
    expect(lines[0]?.[1]).toBe('fetch progress');
    clock = 1_700;
    renderer.update(at(4, 40));
    renderer.done();
    expect(lines.map(([fields]) => (fields as FetchProgress).rows)).toEqual([10, 30, 40]);
  });
});
