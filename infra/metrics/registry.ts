import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The process's one Prometheus registry. Every metric the process exposes is registered here, by
 * the stage that does the work (the hooks below) or by the control plane at scrape time, so one
 * `/metrics` answer holds them all.
 */
export const metricsRegistry = new Registry();

/** The text exposition format prom-client writes (0.0.4). */
export const PROMETHEUS_CONTENT_TYPE: string = metricsRegistry.contentType;

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

const tushareRequests = new Counter({
  name: 'xasset_tushare_requests_total',
  help: 'HTTP calls to Tushare (or the sandbox), by api_name and outcome (ok or the error class).',
  labelNames: ['api_name', 'outcome'] as const,
  registers: [metricsRegistry],
});
const tushareDuration = new Histogram({
  name: 'xasset_tushare_request_duration_seconds',
  help: 'Time from sending a Tushare call to its answer (or failure), by api_name.',
  labelNames: ['api_name'] as const,
  buckets: CALL_BUCKETS,
  registers: [metricsRegistry],
});
const fetchRows = new Counter({
  name: 'xasset_fetch_rows_total',
  help: 'Rows received from Tushare pages by this process, by api_name.',
  labelNames: ['api_name'] as const,
  registers: [metricsRegistry],
});
const batchDuration = new Histogram({
  name: 'xasset_processor_batch_duration_seconds',
  help: 'Time a processor batch takes: decode, normalize, publish, and the one transaction that stores it.',
  buckets: BATCH_BUCKETS,
  registers: [metricsRegistry],
});
const processedRecords = new Counter({
  name: 'xasset_processor_records_total',
  help: 'Raw records the processor consumed and stored (dead letters included).',
  registers: [metricsRegistry],
});
const processedRows = new Counter({
  name: 'xasset_processor_rows_total',
  help: 'Normalized rows by outcome: inserted, revised (content changed) or duplicate (unchanged).',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
const deadLetters = new Counter({
  name: 'xasset_dead_letters_total',
  help: 'Records sent to the dead-letter topic, by stage and error code.',
  labelNames: ['stage', 'code'] as const,
  registers: [metricsRegistry],
});

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
