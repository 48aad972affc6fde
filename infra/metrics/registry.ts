import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's one Prometheus registry. Every metric the process exposes is registered here, by
 * the stage that does the work (the hooks below) or by the control plane at scrape time, so one
 * `/metrics` answer holds them all.
 */
export const metricsRegistry = new Registry();

/** The text exposition format prom-client writes (0.0.4). */
export const PROMETHEUS_CONTENT_TYPE: string = metricsRegistry.contentType;

/** Metric factories bound to the one registry: every family is declared by name, help and labels. */
export const counter = <L extends string = never>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
) => new Counter<L>({ name, help, labelNames, registers: [metricsRegistry] });
export const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
  new Gauge<L>({ name, help, labelNames, registers: [metricsRegistry] });
export const histogram = <L extends string = never>(
  name: string,
  help: string,
  buckets: number[],
  labelNames: readonly L[] = [],
) => new Histogram<L>({ name, help, buckets, labelNames, registers: [metricsRegistry] });

let processMetricsOn = false;

/**
 * Node's and the OS's numbers for this process (CPU, resident memory, heap, event-loop lag, GC,
 * open handles). Turned on by whoever serves `/metrics`: a process nobody scrapes need not sample.
 */
export function collectProcessMetrics(): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

// Seconds, as Prometheus wants; Tushare answers in tens of milliseconds to seconds, and a page
// that waits on a timeout or a retry can take half a minute.
const CALL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// A processor transaction holds up to thousands of rows: milliseconds on a warm Postgres, a
// minute on PGlite under load.
const BATCH_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const tushareRequests = counter(
  'xasset_tushare_requests_total',
  'HTTP calls to Tushare (or the sandbox), by api_name and outcome (ok or the error class).',
  ['api_name', 'outcome'],
);
const tushareDuration = histogram(
  'xasset_tushare_request_duration_seconds',
  'Time from sending a Tushare call to its answer (or failure), by api_name.',
  CALL_BUCKETS,
  ['api_name'],
);
const fetchRows = counter(
  'xasset_fetch_rows_total',
  'Rows received from Tushare pages by this process, by api_name.',
  ['api_name'],
);
const batchDuration = histogram(
  'xasset_processor_batch_duration_seconds',
  'Time a processor batch takes: decode, normalize, publish, and the one transaction that stores it.',
  BATCH_BUCKETS,
);
const processedRecords = counter(
  'xasset_processor_records_total',
  'Raw records the processor consumed and stored (dead letters included).',
);
const processedRows = counter(
  'xasset_processor_rows_total',
  'Normalized rows by outcome: inserted, revised (content changed) or duplicate (unchanged).',
  ['outcome'],
);
const deadLetters = counter(
  'xasset_dead_letters_total',
  'Records sent to the dead-letter topic, by stage and error code.',
  ['stage', 'code'],
);

/** The registry's exposition without the named families (prom-client joins families the same way). */
export async function expositionWithout(excluded: ReadonlySet<string>): Promise<string> {
  const names = metricsRegistry
    .getMetricsAsArray()
    .map((metric) => metric.name)
    .filter((name) => !excluded.has(name));
  const texts = await Promise.all(names.map((name) => metricsRegistry.getSingleMetricAsString(name)));
  return `${texts.join('\n')}\n`;
}

/** Outcome label of a Tushare call: `ok`, or the error code without its prefix (`transient`, …). */
export const callOutcome = (errorCode?: string): string =>
  errorCode === undefined ? 'ok' : errorCode.replace(/^XASSET_TUSHARE_/, '').toLowerCase();

/**
 * The hooks the pipeline stages call. Thin on purpose: a stage reports what it did, this module
 * alone knows metric names and labels.
 */
export const pipelineMetrics = {
  tushareCall(apiName: string, seconds: number, errorCode?: string): void {
    tushareRequests.inc({ api_name: apiName, outcome: callOutcome(errorCode) });
    tushareDuration.observe({ api_name: apiName }, seconds);
  },
  rowsFetched(apiName: string, rows: number): void {
    fetchRows.inc({ api_name: apiName }, rows);
  },
  processorBatch(batch: {
    seconds: number;
    records: number;
    inserted: number;
    revised: number;
    duplicates: number;
    deadLetters: readonly { stage: string; code: string }[];
  }): void {
    batchDuration.observe(batch.seconds);
    processedRecords.inc(batch.records);
    processedRows.inc({ outcome: 'inserted' }, batch.inserted);
    processedRows.inc({ outcome: 'revised' }, batch.revised);
    processedRows.inc({ outcome: 'duplicate' }, batch.duplicates);
    for (const letter of batch.deadLetters) deadLetters.inc({ stage: letter.stage, code: letter.code });
  },
};
