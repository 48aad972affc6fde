import { endpoint } from '../../contracts/catalog/index.js';
import { isForward } from '../../projections/reducers/cursors.js';
import type { FetchTask } from './planner.js';

export interface CursorMove {
  cursor: string;
  value: string;
  previous: string | null;
}

/** Why a cursor stopped where it did in this run. */
export interface CursorHold {
  cursor: string;
  /** The first value the cursor could not pass. */
  value: string;
  reason: 'failed' | 'empty' | 'not_done';
}

interface Group {
  pending: number;
  failed: boolean;
  rows: number;
  /** A market-data day with no row at all is not published yet (or lost), never "done". */
  needsRows: boolean;
}

interface Line {
  values: string[];
  groups: Map<string, Group>;
  head: number;
  position: string | undefined;
  /** Tasks that cover days before their value (TaskCursor.from), by task index. */
  spans: { index: number; from: string; value: string }[];
}

/**
 * Market data exists on every open day, so an empty answer for a whole day (across all of its
 * slices and codes) means Tushare has not published it yet: the cursor must not pass it, or the
 * daily run that came too early would skip that day forever. Reference and macro work is judged by
 * the calls alone: a day without suspensions (suspend_d) is an empty answer that is complete.
 */
function needsRows(task: FetchTask): boolean {
  const spec = endpoint(task.apiName);
  if (spec.role === 'reference') return false;
  return spec.fetchMode === 'trade_date' || (spec.fetchMode === 'ts_code' && spec.role !== 'realtime');
}

/**
 * Decides when a cursor may move: to a value only once every task of that value and of every
 * earlier value of the same cursor is done, so a cursor never skips an unfinished earlier day.
 * Pure bookkeeping; the run appends the moves after the log acknowledged the task's records.
 */
export class CursorTracker {
  readonly #tasks: readonly FetchTask[];
  readonly #lines = new Map<string, Line>();
  readonly #done = new Set<number>();

  constructor(tasks: readonly FetchTask[], current: Readonly<Record<string, string>>) {
    this.#tasks = tasks;
    for (const [index, task] of tasks.entries()) {
      if (!task.cursor) continue;
      const { name, value, from } = task.cursor;
      let line = this.#lines.get(name);
      if (!line) {
        line = { values: [], groups: new Map(), head: 0, position: current[name], spans: [] };
        this.#lines.set(name, line);
      }
      if (from !== undefined && from < value) line.spans.push({ index, from, value });
      let group = line.groups.get(value);
      if (!group) {
        group = { pending: 0, failed: false, rows: 0, needsRows: needsRows(task) };
        line.groups.set(value, group);
        line.values.push(value);
      }
      group.pending += 1;
    }
    for (const line of this.#lines.values()) line.values.sort();
  }

  /** Marks a task done with the rows it returned; returns the cursor move it allows, if any. */
  complete(index: number, rows: number): CursorMove[] {
    const found = this.#group(index);
    if (!found) return [];
    this.#done.add(index);
    found.group.pending -= 1;
    found.group.rows += rows;
    return this.#advance(found.name, found.line);
  }

  /** Marks a task failed: its cursor stays before the task's value for the rest of the run. */
  fail(index: number): void {
    const found = this.#group(index);
    if (found) found.group.failed = true;
  }

  /** Where each cursor is held back, for the run's report. */
  holds(): CursorHold[] {
    const out: CursorHold[] = [];
    for (const [cursor, line] of this.#lines) {
      const value = line.values[line.head];
      const group = value === undefined ? undefined : line.groups.get(value);
      if (value === undefined || !group) continue;
      const span = this.#spanning(line, value);
      const spanFailed = span !== undefined && line.groups.get(span.value)?.failed === true;
      const reason =
        group.failed || spanFailed
          ? 'failed'
          : group.pending > 0 || span !== undefined
            ? 'not_done'
            : 'empty';
      out.push({ cursor, value, reason });
    }
    return out;
  }

  #group(index: number): { name: string; line: Line; group: Group } | undefined {
    const cursor = this.#tasks[index]?.cursor;
    if (!cursor) return undefined;
    const line = this.#lines.get(cursor.name);
    const group = line?.groups.get(cursor.value);
    return line && group ? { name: cursor.name, line, group } : undefined;
  }

  /** A task not done yet that covers `value` but ends later. */
  #spanning(line: Line, value: string): Line['spans'][number] | undefined {
    return line.spans.find((s) => s.from <= value && value < s.value && !this.#done.has(s.index));
  }

  #advance(name: string, line: Line): CursorMove[] {
    let reached: string | undefined;
    while (line.head < line.values.length) {
      const value = line.values[line.head] as string;
      const group = line.groups.get(value) as Group;
      if (group.pending > 0 || group.failed || (group.needsRows && group.rows === 0)) break;
      // A longer window of another code that covers this day and is not done holds the cursor here.
      if (this.#spanning(line, value) !== undefined) break;
      reached = value;
      line.head += 1;
    }
    if (reached === undefined || !isForward(line.position, reached)) return [];
    const move = { cursor: name, value: reached, previous: line.position ?? null };
    line.position = reached;
    return [move];
  }
}
