import { FLAG_NAMES } from '../../contracts/flags.js';
import type { CellStatus, GrayView, MatrixView, RunView, StatusView } from './schemas.js';

export interface StatusPageModel {
  status: StatusView;
  /** The matrix, or why there is none (no matrix source on this server, no trade dates yet…). */
  matrix: MatrixView | { unavailable: string };
  runs: readonly RunView[];
  /** The P2 modules' gray release, where the server knows it. */
  gray?: GrayView;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Every value that reaches the page goes through here, attributes included. */
export const escapeHtml = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const CELL_LABEL: Readonly<Record<CellStatus, string>> = {
  complete: 'complete',
  partial: 'partial',
  missing: 'missing',
  not_applicable: 'n/a',
};

const STYLE = `
:root { --ok:#2e7d32; --partial:#f2a900; --missing:#c62828; --na:#9e9e9e; --ink:#1d2330; --muted:#5f6b7a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f5f6f8; }
header { padding: 16px 24px; background: #1d2330; color: #fff; display: flex; flex-wrap: wrap; gap: 16px; align-items: baseline; }
header h1 { margin: 0; font-size: 18px; }
header .meta { color: #c7ced9; font-size: 13px; }
main { padding: 16px 24px; display: grid; gap: 16px; }
section { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow-x: auto; }
h2 { font-size: 15px; margin: 0 0 8px; }
table { border-collapse: collapse; }
th, td { padding: 3px 8px; text-align: left; font-size: 13px; }
.badge { white-space: nowrap; display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e3e7ee; color: var(--ink); }
.badge.on { background: #d8efd9; color: #1b5e20; } .badge.off { background: #f3d6d6; color: #8e1c1c; }
.badge.frozen { background: #8e1c1c; color: #fff; }
.matrix th.date { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: normal; color: var(--muted); padding: 4px 2px; }
.matrix td.cell { width: 22px; height: 22px; padding: 0; border: 1px solid #fff; }
.matrix td.cell a { display: block; width: 100%; height: 100%; }
.cell.complete { background: var(--ok); } .cell.partial { background: var(--partial); }
.cell.missing { background: var(--missing); } .cell.not_applicable { background: var(--na); }
.legend span { display: inline-flex; align-items: center; gap: 4px; margin-right: 12px; font-size: 12px; }
.legend i { width: 12px; height: 12px; display: inline-block; }
td.clean-day, td.clean-asof { white-space: nowrap; }
.bar { width: 180px; height: 10px; background: #e3e7ee; border-radius: 5px; overflow: hidden; display: inline-block; vertical-align: middle; }
.bar .fill { height: 100%; background: var(--ok); }
.bar.asof .fill { background: #1565c0; }
.status-ok { color: var(--ok); } .status-failed, .status-abandoned { color: var(--missing); }
.status-partial { color: #b07b00; } .status-running { color: #1565c0; }
.sev-critical { color: var(--missing); font-weight: 600; } .sev-warning { color: #b07b00; }
.muted { color: var(--muted); }
`;

function progressBar(done: number, required: number, label: string, kind: 'natural' | 'asof'): string {
  const percent = required > 0 ? Math.round(Math.max(0, Math.min(1, done / required)) * 100) : 0;
  return `<span class="bar ${kind}" role="progressbar" aria-valuemin="0" aria-valuemax="${escapeHtml(required)}" aria-valuenow="${escapeHtml(done)}"><span class="fill" style="display:block;width:${percent}%"></span></span> ${escapeHtml(label)}`;
}

/** `3/3` → [3, 3]; the snapshot's progress strings are the numbers the bars draw. */
const progressOf = (label: string): [number, number] => {
  const [done, required] = label.split('/').map(Number);
  return [Number.isFinite(done) ? (done as number) : 0, Number.isFinite(required) ? (required as number) : 0];
};

const FAILURES_SHOWN = 3;

function gatesSection(status: StatusView): string {
  const rows = status.gates.map((g) => {
    const failures = g.failures.slice(0, FAILURES_SHOWN).map(escapeHtml).join(', ');
    const more = g.failures.length > FAILURES_SHOWN ? ` (+${g.failures.length - FAILURES_SHOWN})` : '';
    return `<tr data-gate="${escapeHtml(g.gate)}">
  <th>${escapeHtml(g.gate)}</th>
  <td>${g.passed ? `<span class="badge on">passed (${escapeHtml(g.provenBy ?? '')})</span>` : '<span class="badge off">not passed</span>'}</td>
  <td class="clean-day">${progressBar(...progressOf(g.cleanDayProgress), g.cleanDayProgress, 'natural')}</td>
  <td class="clean-asof">${progressBar(...progressOf(g.cleanAsOfTradeDateProgress), g.cleanAsOfTradeDateProgress, 'asof')}</td>
  <td class="muted">${failures}${escapeHtml(more)}</td>
</tr>`;
  });
  const coverage =
    status.coverage === 'unavailable'
      ? '<p class="muted">No status matrix on this server: coverage is unknown, so no gate can pass.</p>'
      : '';
  return `<section id="gates"><h2>Gates</h2>${coverage}<table><thead><tr><th>gate</th><th>verdict</th><th>cleanDayProgress</th><th>cleanAsOfTradeDateProgress</th><th>failures</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function cellTitle(cell: MatrixView['cells'][number]): string {
  const parts = [`${cell.target} ${cell.module} ${cell.tradeDate}: ${CELL_LABEL[cell.status]}`];
  if (cell.coverage !== null)
    parts.push(`coverage ${(cell.coverage * 100).toFixed(1)}% (${cell.got} of ${cell.expected})`);
  if (cell.reason) parts.push(cell.reason);
  return parts.join(' · ');
}

/** Grid rows: one per module for the universe, one per ts_code × module for symbol targets. */
function gridRows(matrix: MatrixView): { target: string; module: string }[] {
  const targets = matrix.target === 'universe' ? ['universe'] : matrix.target;
  return targets.flatMap((target) => matrix.modules.map((module) => ({ target, module })));
}

function matrixSection(matrix: StatusPageModel['matrix']): string {
  if ('unavailable' in matrix)
    return `<section id="matrix"><h2>Status matrix</h2><p class="muted">${escapeHtml(matrix.unavailable)}</p></section>`;
  const target = matrix.target === 'universe' ? 'universe' : matrix.target.join(',');
  const byKey = new Map(matrix.cells.map((c) => [`${c.target}|${c.module}|${c.tradeDate}`, c]));
  const symbols = matrix.target !== 'universe';
  const head = matrix.tradeDates.map((d) => `<th class="date" scope="col">${escapeHtml(d)}</th>`).join('');
  const body = gridRows(matrix).map((row) => {
    const cells = matrix.tradeDates.map((date) => {
      const cell = byKey.get(`${row.target}|${row.module}|${date}`);
      if (!cell) return '<td class="cell absent"></td>';
      const explain = `/matrix/explain?target=${encodeURIComponent(row.target)}&module=${encodeURIComponent(row.module)}&tradeDate=${encodeURIComponent(date)}`;
      const title = escapeHtml(cellTitle(cell));
      return `<td class="cell ${escapeHtml(cell.status)}" data-target="${escapeHtml(row.target)}" data-module="${escapeHtml(row.module)}" data-date="${escapeHtml(date)}" title="${title}"><a href="${escapeHtml(explain)}" aria-label="${title}"></a></td>`;
    });
    const label = symbols ? `${row.target} · ${row.module}` : row.module;
    return `<tr><th scope="row">${escapeHtml(label)}</th>${cells.join('')}</tr>`;
  });
  const legend = (Object.keys(CELL_LABEL) as CellStatus[])
    .map(
      (s) =>
        `<span><i class="cell ${s}"></i>${escapeHtml(CELL_LABEL[s])} ${escapeHtml(matrix.summary.byStatus[s])}</span>`,
    )
    .join('');
  return `<section id="matrix"><h2>Status matrix <span class="muted">${escapeHtml(target)} · ${escapeHtml(matrix.from)}–${escapeHtml(matrix.to)}</span></h2>
<div class="legend">${legend}</div>
<table class="matrix"><thead><tr><th>${symbols ? 'target · module' : 'module'}</th>${head}</tr></thead><tbody>${body.join('')}</tbody></table>
<p class="muted">Each cell links to its explain payload.</p></section>`;
}

function runsSection(runs: readonly RunView[]): string {
  if (runs.length === 0)
    return '<section id="runs"><h2>Recent runs</h2><p class="muted">No runs yet.</p></section>';
  const rows = runs.map(
    (r) => `<tr data-run="${escapeHtml(r.runId)}">
  <td><a href="/runs/${encodeURIComponent(r.runId)}">${escapeHtml(r.runId)}</a></td>
  <td>${escapeHtml(r.chain)}</td><td>${escapeHtml(r.batch ?? '')}</td>
  <td class="status-${escapeHtml(r.status)}">${escapeHtml(r.status)}${r.stale ? ' (stale)' : ''}</td>
  <td>${escapeHtml(r.fromDate ?? '')}–${escapeHtml(r.toDate ?? '')}</td>
  <td>${escapeHtml(r.startedAt)}</td><td>${escapeHtml(r.finishedAt ?? '')}</td>
  <td>${escapeHtml(r.stats?.rowsEmitted ?? '')}</td><td>${escapeHtml(r.error ?? '')}</td>
</tr>`,
  );
  return `<section id="runs"><h2>Recent runs</h2><table><thead><tr><th>run</th><th>chain</th><th>batch</th><th>status</th><th>dates</th><th>started</th><th>finished</th><th>rows</th><th>error</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function alertsSection(status: StatusView): string {
  if (status.alerts.length === 0)
    return '<section id="alerts"><h2>Alerts</h2><p class="muted">No alerts.</p></section>';
  const rows = status.alerts.map(
    (a) =>
      `<tr><td class="sev-${escapeHtml(a.severity)}">${escapeHtml(a.kind === 'resolved' ? 'resolved' : a.severity)}</td><td>${escapeHtml(a.alert)}</td><td>${escapeHtml(a.message)}</td><td>${escapeHtml(a.value ?? '')}</td><td>${escapeHtml(a.threshold ?? '')}</td><td>${escapeHtml(a.raisedAt)}</td></tr>`,
  );
  return `<section id="alerts"><h2>Alerts</h2><table><thead><tr><th>severity</th><th>alert</th><th>message</th><th>value</th><th>threshold</th><th>raised</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function flagsSection(status: StatusView): string {
  const rows = FLAG_NAMES.map((name) => {
    const why = status.flagDifferences[name];
    const note = why
      ? `<td class="muted">stored on; ${escapeHtml(why.reason)}: ${escapeHtml(why.detail)}</td>`
      : '<td></td>';
    return `<tr><th>${escapeHtml(name)}</th><td><span class="badge ${status.flags[name] ? 'on' : 'off'}">${status.flags[name] ? 'on' : 'off'}</span></td>${note}</tr>`;
  });
  return `<section id="flags"><h2>Flags in force</h2><table><tbody>${rows.join('')}</tbody></table>
<p class="muted">updatedAt ${escapeHtml(status.flags.updatedAt)}. Changes go through POST /flags with the admin token; this page only reads.</p></section>`;
}

function graySection(gray: GrayView | undefined): string {
  if (gray === undefined) return '';
  const rows = gray.modules.map((m) => {
    const pools = m.pools.map((p) => `${p.apiName} ${p.fetched}/${p.members}`).join(', ');
    const gate = m.gate ? `${m.gate.cleanDays}/${m.gate.requiredDays}` : '';
    const next = m.next ? `${m.next.action} → ${m.next.to}` : m.waiting.map((w) => w.text).join('; ');
    return `<tr><th>${escapeHtml(m.module)}</th><td><span class="badge ${m.effective ? 'on' : 'off'}">${m.effective ? 'in force' : 'not in force'}</span></td><td>${escapeHtml(m.stage ?? 'not started')}</td><td>${escapeHtml(pools)}</td><td>${escapeHtml(gate)}</td><td class="muted">${escapeHtml(next)}</td></tr>`;
  });
  return `<section id="gray"><h2>P2 gray release <span class="muted">${escapeHtml(gray.ladder.join(' → '))}</span></h2><table><thead><tr><th>module</th><th>switch</th><th>stage</th><th>pool fetched</th><th>gate</th><th>next</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

/**
 * The read-only status page: server-rendered, no scripts, no external assets, nothing to click but
 * links. The roadmap removed rollout switches from user-facing pages; this page keeps it that way.
 */
export function renderStatusPage(model: StatusPageModel): string {
  const { status } = model;
  const batches = (['p0', 'p1', 'p2'] as const)
    .map(
      (b) =>
        `<span class="badge ${status.batches[b] ? 'on' : 'off'}">${b} ${status.batches[b] ? 'on' : 'off'}</span>`,
    )
    .join(' ');
  const phase = `phase ${escapeHtml(status.phase.current)}${status.phase.frozen ? ` <span class="badge frozen" title="${escapeHtml(status.phase.frozenReason ?? '')}">frozen</span>` : ''}`;
  const residue = `running ${escapeHtml(status.runningResidue.running)} (stale ${escapeHtml(status.runningResidue.stale)})`;
  const env = status.environment;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tushare-xasset status</title><style>${STYLE}</style></head>
<body><header><h1>tushare-xasset</h1><span>${phase}</span><span>${batches}</span><span>${residue}</span>
<span class="meta">log ${escapeHtml(env.log)} · store ${escapeHtml(env.store)} · ${escapeHtml(env.storageMode ?? 'storage mode unknown')} · ${escapeHtml(status.generatedAt)}</span></header>
<main>${matrixSection(model.matrix)}${gatesSection(status)}${runsSection(model.runs)}${alertsSection(status)}${graySection(model.gray)}${flagsSection(status)}</main>
</body></html>`;
}
