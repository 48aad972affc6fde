import type { MetricsSnapshot } from './schemas.js';

/** Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string | number>;

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels?: Labels; value: number }[];
}

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

const formatValue = (value: number): string => {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
};

const formatLabels = (labels: Labels | undefined): string => {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(',')}}`;
};

export function renderFamilies(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples)
      lines.push(`${family.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The control plane's numbers for a Prometheus scrape. A lag that cannot be known (no log to ask)
 * is left out rather than reported as zero, so an alert on it cannot be fooled.
 */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const families: Family[] = [
    {
      name: 'xasset_runs',
      help: 'Runs in the runs projection, by chain and status.',
      type: 'gauge',
      samples: snapshot.runsByStatus.map((r) => ({
        labels: { chain: r.chain, status: r.status },
        value: r.count,
      })),
    },
    {
      name: 'xasset_rows_fetched_total',
      help: 'Rows fetched from Tushare by finished runs, by chain.',
      type: 'counter',
      samples: snapshot.rows.map((r) => ({ labels: { chain: r.chain }, value: r.fetched })),
    },
    {
      name: 'xasset_rows_emitted_total',
      help: 'Rows appended to raw topics by finished runs, by chain.',
      type: 'counter',
      samples: snapshot.rows.map((r) => ({ labels: { chain: r.chain }, value: r.emitted })),
    },
    {
      name: 'xasset_running_residue',
      help: 'Runs still in state running.',
      type: 'gauge',
      samples: [{ value: snapshot.runningResidue }],
    },
    {
      name: 'xasset_running_stale',
      help: 'Running runs whose last heartbeat is older than their timeout.',
      type: 'gauge',
      samples: [{ value: snapshot.staleRunning }],
    },
    {
      name: 'xasset_alerts_raised_total',
      help: 'Alerts raised on the control topic, by severity.',
      type: 'counter',
      samples: snapshot.alertsBySeverity.map((a) => ({ labels: { severity: a.severity }, value: a.count })),
    },
    {
      name: 'xasset_projection_lag',
      help: 'Control-topic events not yet folded into a projection.',
      type: 'gauge',
      samples: snapshot.projectionLag.flatMap((p) =>
        p.lag === null ? [] : [{ labels: { projection: p.projection }, value: p.lag }],
      ),
    },
  ];
  if (snapshot.consumerLag !== null) {
    families.push({
      name: 'xasset_consumer_lag',
      help: 'Records a processor has not yet consumed, by consumer, topic and partition.',
      type: 'gauge',
      samples: snapshot.consumerLag.map((c) => ({
        labels: { consumer: c.consumer, topic: c.topic, partition: c.partition },
        value: c.lag,
      })),
    });
  }
  return renderFamilies(families);
}
