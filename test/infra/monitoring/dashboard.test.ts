import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import { collectProcessMetrics, pipelineMetrics } from '../../../infra/metrics/registry.js';
import { renderMetrics } from '../../../projections/api/metrics.js';
import { type MetricFamily, parseExposition } from '../../harness/exposition.js';

/**
 * The shipped Grafana dashboard, read the way Prometheus reads its queries (the PromQL grammar of
 * the Prometheus project), against what /metrics really exports: a renamed metric or label fails
 * here, not as an empty panel in someone's Grafana.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
}
const dashboard = JSON.parse(read('infra/monitoring/grafana/dashboards/xasset.json')) as {
  uid: string;
  panels: Panel[];
};
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

// Grafana replaces its range variables before Prometheus sees a query.
const expand = (expr: string) => expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');

interface Selector {
  name: string;
  labels: string[];
}
interface Grouping {
  labels: string[];
  selectors: Selector[];
}

/** The metric selectors of a query and the labels each aggregation groups by. */
function analyse(expr: string): { errors: number; selectors: Selector[]; groupings: Grouping[] } {
  const text = expand(expr);
  const tree = parser.parse(text);
  const slice = (node: { from: number; to: number }) => text.slice(node.from, node.to);
  const selectors: (Selector & { from: number })[] = [];
  const groupings: { labels: string[]; from: number; to: number }[] = [];
  let errors = 0;
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors += 1;
      if (node.name === 'VectorSelector') {
        const name = node.node.getChild('Identifier');
        const labels = node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [];
        selectors.push({
          name: name ? slice(name) : '',
          labels: labels.map((m) => slice(m.getChild('LabelName') ?? m)),
          from: node.from,
        });
      }
      if (node.name === 'AggregateExpr') {
        const grouping = node.node.getChild('AggregateModifier')?.getChild('GroupingLabels');
        const labels = grouping?.getChildren('LabelName').map(slice) ?? [];
        groupings.push({ labels, from: node.from, to: node.to });
      }
    },
  });
  return {
    errors,
    selectors,
    groupings: groupings.map((g) => ({
      labels: g.labels,
      selectors: selectors.filter((s) => s.from >= g.from && s.from < g.to),
    })),
  };
}

/** Everything one process can export, each family with at least one sample. */
async function exported(): Promise<Map<string, MetricFamily>> {
  collectProcessMetrics();
  pipelineMetrics.tushareCall('daily', 0.1);
  pipelineMetrics.rowsFetched('daily', 1);
  pipelineMetrics.processorBatch({
    seconds: 0.1,
    records: 1,
    inserted: 1,
    revised: 0,
    duplicates: 0,
    deadLetters: [{ stage: 'decode', code: 'XASSET_DECODE' }],
  });
  const text = await renderMetrics({
    phase: { current: 'B', frozen: false },
    flags: { stored: DEFAULT_FLAGS, effective: DEFAULT_FLAGS },
    gates: [{ gate: 'p0', passed: true, cleanDays: 3, requiredDays: 3 }],
    runsByStatus: [{ chain: 'main', status: 'ok', count: 1 }],
    rows: [{ chain: 'main', fetched: 1, emitted: 1 }],
    runningResidue: 0,
    staleRunning: 0,
    alertsBySeverity: [{ severity: 'warning', count: 1 }],
    consumerLag: [{ consumer: 'c', topic: 't', partition: 0, lag: 0 }],
    projectionLag: [{ projection: 'runs', lag: 0 }],
  });
  return parseExposition(text);
}

/** The series names a family is queried by, and the labels its series carry. */
function seriesOf(families: Map<string, MetricFamily>): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const family of families.values()) {
    const labels = new Set(family.metrics.flatMap((s) => Object.keys(s.labels ?? {})));
    if (family.type === 'HISTOGRAM') {
      series.set(`${family.name}_bucket`, new Set([...labels, 'le']));
      series.set(`${family.name}_sum`, labels);
      series.set(`${family.name}_count`, labels);
    } else if (family.type === 'SUMMARY') {
      series.set(`${family.name}_sum`, labels);
      series.set(`${family.name}_count`, labels);
      series.set(family.name, new Set([...labels, 'quantile']));
    } else series.set(family.name, labels);
  }
  return series;
}

describe('the Grafana dashboard', () => {
  it('has queries, each valid PromQL', () => {
    expect(queries.length).toBeGreaterThan(20);
    for (const q of queries) expect(analyse(q.expr).errors, `${q.panel}: ${q.expr}`).toBe(0);
  });

  it('queries only metrics /metrics exports, by labels they carry', async () => {
    const series = seriesOf(await exported());
    for (const q of queries) {
      const { selectors, groupings } = analyse(q.expr);
      expect(selectors.length, q.panel).toBeGreaterThan(0);
      for (const s of selectors) {
        const labels = series.get(s.name);
        expect(labels, `${q.panel}: ${s.name} is not exported`).toBeDefined();
        for (const label of s.labels) expect([...(labels ?? [])], `${q.panel}: ${s.name}`).toContain(label);
      }
      for (const g of groupings) {
        const carried = new Set(g.selectors.flatMap((s) => [...(series.get(s.name) ?? [])]));
        for (const label of g.labels) expect([...carried], `${q.panel}: by (${label})`).toContain(label);
      }
    }
  });

  it('shows every xasset family somewhere', async () => {
    const queried = new Set(queries.flatMap((q) => analyse(q.expr).selectors.map((s) => s.name)));
    const families = [...(await exported()).values()].filter((f) => f.name.startsWith('xasset_'));
    for (const f of families) {
      const names = f.type === 'HISTOGRAM' ? [`${f.name}_bucket`, `${f.name}_sum`] : [f.name];
      expect(
        names.some((n) => queried.has(n)),
        `${f.name} is on no panel`,
      ).toBe(true);
    }
  });

  it('reads the data source compose provisions, which scrapes the server and the processor compose runs', () => {
    const datasources = parse(read('infra/monitoring/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; url: string }[];
    };
    const uid = datasources.datasources[0]?.uid;
    for (const p of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe(uid);
    }
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { volumes?: string[]; environment?: Record<string, string> }>;
    };
    expect(new URL(datasources.datasources[0]?.url ?? '').host).toBe('prometheus:9090');
    const scrape = parse(read('infra/monitoring/prometheus.yml')) as {
      scrape_configs: { metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    // The server's API port, and the port the processor serves its own metrics on.
    const env = (name: string) => compose.services[name]?.environment ?? {};
    expect(scrape.scrape_configs.map((c) => [c.metrics_path, c.static_configs[0]?.targets])).toEqual([
      ['/metrics', [`server:${env('server').XASSET_HTTP_PORT}`]],
      ['/metrics', [`processor:${env('processor').XASSET_METRICS_PORT}`]],
    ]);
    const mounts = (name: string) =>
      Object.fromEntries(
        (compose.services[name]?.volumes ?? []).map((v) => [v.split(':')[1], v.split(':')[0]] as const),
      );
    expect(mounts('prometheus')['/etc/prometheus/prometheus.yml']).toBe('./infra/monitoring/prometheus.yml');
    expect(mounts('grafana')['/etc/grafana/provisioning']).toBe('./infra/monitoring/grafana/provisioning');
    const provider = parse(read('infra/monitoring/grafana/provisioning/dashboards/xasset.yml')) as {
      providers: { options: { path: string } }[];
    };
    const path = provider.providers[0]?.options.path ?? '';
    expect(mounts('grafana')[path]).toBe('./infra/monitoring/grafana/dashboards');
  });
});
