/** Where a fetch run stands; `etaMs` is null until one task has finished. */
export interface FetchProgress {
  tasksDone: number;
  tasksTotal: number;
  rows: number;
  calls: number;
  etaMs: number | null;
}

/** Remaining time at the pace so far, assuming the remaining tasks cost what the done ones did. */
export function estimateEta(done: number, total: number, elapsedMs: number): number | null {
  if (done <= 0) return null;
  if (done >= total) return 0;
  return Math.round((elapsedMs / done) * (total - done));
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

const grouped = (n: number): string => String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** One line of the bar: `[#####-----]  12/40 tasks  rows 123,456  calls 57  ETA 1m23s`. */
export function formatProgressLine(progress: FetchProgress, barWidth = 24): string {
  const ratio = progress.tasksTotal > 0 ? Math.min(1, progress.tasksDone / progress.tasksTotal) : 1;
  const filled = Math.round(ratio * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const width = String(progress.tasksTotal).length;
  const eta = progress.etaMs === null ? '--' : formatDuration(progress.etaMs);
  return [
    bar,
    `${String(progress.tasksDone).padStart(width)}/${progress.tasksTotal} tasks`,
    `rows ${grouped(progress.rows)}`,
    `calls ${grouped(progress.calls)}`,
    `ETA ${eta}`,
  ].join('  ');
}

/** The slice of a pino logger the non-TTY mode needs. */
export interface ProgressLogger {
  info(fields: object, message: string): void;
}

export interface ProgressSink {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ProgressRenderer<P = FetchProgress> {
  update(progress: P): void;
  /** Draws the final state (and ends the line on a terminal). */
  done(): void;
}

/**
 * A terminal gets one bar redrawn in place with `\r`, at most every `redrawMs`; anything else (a
 * log file, CI) gets a JSON line through the logger every `logEveryMs`, since carriage returns
 * would only garble it. Both always show the last state on `done()`.
 */
export function createProgressRenderer<P extends object = FetchProgress>(options: {
  stream: ProgressSink;
  logger?: ProgressLogger;
  redrawMs?: number;
  logEveryMs?: number;
  now?: () => number;
  /** The terminal line; fetch progress by default. */
  format?: (progress: P) => string;
  /** The log message of the JSON lines. */
  message?: string;
}): ProgressRenderer<P> {
  const format = options.format ?? (formatProgressLine as unknown as (progress: P) => string);
  const message = options.message ?? 'fetch progress';
  const now = options.now ?? Date.now;
  const tty = options.stream.isTTY === true;
  const every = tty ? (options.redrawMs ?? 100) : (options.logEveryMs ?? 5_000);
  let last: P | undefined;
  let shownAt = Number.NEGATIVE_INFINITY;
  let shown: P | undefined;

  const show = (progress: P) => {
    shownAt = now();
    shown = progress;
    if (tty) options.stream.write(`\r${format(progress)}\x1b[K`);
    else options.logger?.info({ ...progress }, message);
  };

  return {
    update(progress) {
      last = progress;
      if (now() - shownAt >= every) show(progress);
    },
    done() {
      if (last && last !== shown) show(last);
      if (tty && shown) options.stream.write('\n');
    },
  };
}
