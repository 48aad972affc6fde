import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import type { MatrixView, RunView, StatusView } from '../../../projections/api/schemas.js';
import { escapeHtml, renderStatusPage } from '../../../projections/api/status-page.js';

const HOSTILE = `<script>alert("x")</script>&'`;

const status: StatusView = {
  generatedAt: '2026-01-07T10:00:00.000Z',
  phase: { current: 'B', frozen: true, frozenReason: HOSTILE, changedAt: '2026-01-06T10:00:00.000Z' },
  batches: { p0: true, p1: false, p2: true },
  gates: [
    {
      gate: 'p0',
      passed: false,
      provenBy: null,
      cleanDays: 1,
      requiredDays: 3,
      cleanDayProgress: '1/3',
      cleanAsOfTradeDateProgress: '3/3',
      failures: [HOSTILE],
    },
  ],
  coverage: 'matrix',
  flags: { ...DEFAULT_FLAGS, p1Enabled: false },
  flagDifferences: {
    p1Enabled: { reason: 'phase', detail: `p1Enabled takes effect from phase C ${HOSTILE}` },
  },
  runningResidue: { running: 1, stale: 1 },
  alerts: [
    {
      offset: 9,
      alert: 'coverage',
      kind: 'raised',
      severity: 'critical',
      message: HOSTILE,
      value: 0.5,
      threshold: 0.95,
      raisedAt: '2026-01-07T09:00:00.000Z',
    },
  ],
  environment: { log: 'embedded', store: 'postgres', storageMode: 'postgresql' },
};

const statuses = ['complete', 'partial', 'missing', 'not_applicable'] as const;
const matrix: MatrixView = {
  target: 'universe',
  from: '20260105',
  to: '20260108',
  modules: ['daily', 'fund_daily'],
  tradeDates: ['20260105', '20260106', '20260107', '20260108'],
  cells: ['daily', 'fund_daily'].flatMap((module, m) =>
    ['20260105', '20260106', '20260107', '20260108'].map((tradeDate, d) => ({
      target: 'universe',
      module,
      tradeDate,
      status: statuses[(m + d) % 4] as (typeof statuses)[number],
      expected: 2,
      got: 1,
      coverage: (m + d) % 4 === 3 ? null : 0.5,
    })),
  ),
  summary: {
    cells: 8,
    byStatus: { complete: 2, partial: 2, missing: 2, not_applicable: 2 },
    byPublication: { not_published: 0, partial: 0, complete: 0, revised: 0 },
    byModule: {},
  },
};

const run: RunView = {
  runId: `<img src=x onerror=alert(1)>`,
  chain: 'main',
  batch: 'p0',
  status: 'failed',
  fromDate: '20260105',
  toDate: '20260105',
  startedAt: '2026-01-05T02:00:00.000Z',
  lastHeartbeat: '2026-01-05T02:01:00.000Z',
  finishedAt: '2026-01-05T02:01:00.000Z',
  heartbeatTimeoutMs: 60_000,
  stale: false,
  stats: null,
  moduleResults: [],
  error: HOSTILE,
  startedOffset: 3,
};

describe('renderStatusPage', () => {
  const html = renderStatusPage({ status, matrix, runs: [run] });

  it('escapes every value that came from data', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(escapeHtml(HOSTILE)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('draws one coloured cell per module and trade date', () => {
    const cells = [...html.matchAll(/<td class="cell ([a-z_]+)"/g)].map((m) => m[1]);
    expect(cells).toEqual(matrix.cells.map((c) => c.status));
  });

  it('draws both gate clocks as bars filled to their share', () => {
    expect(html).toMatch(/class="bar natural"[^>]*aria-valuenow="1"[\s\S]*?width:33%/);
    expect(html).toMatch(/class="bar asof"[^>]*aria-valuenow="3"[\s\S]*?width:100%/);
  });

  it('has no controls and no scripts or external assets', () => {
    for (const tag of ['<input', '<button', '<select', '<textarea', '<form', '<script', '<link', '<iframe'])
      expect(html).not.toContain(tag);
    expect(html).not.toMatch(/src="http|href="http/);
  });

  it('says why a switch stored on is not in force', () => {
    expect(html).toContain(
      `<th>p1Enabled</th><td><span class="badge off">off</span></td><td class="muted">stored on; phase: p1Enabled takes effect from phase C ${escapeHtml(HOSTILE)}</td>`,
    );
    expect(html).toContain('<th>p0Enabled</th><td><span class="badge on">on</span></td><td></td>');
  });

  it('says why there is no matrix when none is available', () => {
    const page = renderStatusPage({
      status,
      matrix: { unavailable: 'the status matrix is not available' },
      runs: [],
    });
    expect(page).toContain('the status matrix is not available');
    expect(page).not.toContain('class="cell ');
  });
});
