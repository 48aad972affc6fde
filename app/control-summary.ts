import type { FlagName, RolloutFlags } from '../contracts/flags.js';
import { FLAG_NAMES } from '../contracts/flags.js';
import type { FlagsHistoryView, FlagsView, GateSnapshot } from '../projections/api/schemas.js';
import type { ExplainedCondition } from '../projections/gates/conditions.js';

/**
 * The control commands' short summaries for a person at a terminal, as label-value lines (see
 * summary.ts `facts`). Pure: each takes the document the command prints with `--json`.
 */
type Lines = [string, string][];

const on = (flags: Omit<RolloutFlags, 'updatedAt'>): string => {
  const names = FLAG_NAMES.filter((name: FlagName) => flags[name]);
  return names.length > 0 ? names.join(', ') : 'none';
};

const at = (ms: number): string => (ms > 0 ? new Date(ms).toISOString() : 'never');

export function flagsFacts(view: FlagsView): Lines {
  const lines: Lines = [
    ['phase', `${view.phase.current}${view.phase.frozen ? ' (frozen)' : ''}`],
    ['stored on', on(view.stored)],
    ['in force', on(view.effective)],
  ];
  for (const [name, diff] of Object.entries(view.differences))
    if (diff !== undefined) lines.push([`not in force: ${name}`, diff.detail]);
  lines.push([
    'last change',
    view.lastChange === null
      ? 'none recorded (the built-in defaults)'
      : `offset ${view.lastChange.offset}, ${view.lastChange.changedAt} by ${view.lastChange.actor}: ${view.lastChange.reason}`,
  ]);
  return lines;
}

/** What `flags set` and `flags rollback` did. */
export function flagsChangeFacts(reply: {
  offset: number | null;
  changed: boolean;
  stored: RolloutFlags;
  effective: RolloutFlags;
  restoredFromOffset?: number | null;
}): Lines {
  const lines: Lines = [
    [
      'flags',
      reply.changed
        ? `changed at offset ${reply.offset}${reply.restoredFromOffset != null ? `, restored from offset ${reply.restoredFromOffset}` : ''}`
        : 'unchanged: the stored flags already had these values',
    ],
    ['stored on', on(reply.stored)],
    ['in force', on(reply.effective)],
    ['updated at', at(reply.stored.updatedAt)],
  ];
  return lines;
}

export function flagsHistoryFacts(view: FlagsHistoryView): Lines {
  if (view.entries.length === 0) return [['history', 'no flags change recorded']];
  return view.entries.map((e) => [
    `offset ${e.offset}`,
    `${e.changedAt} by ${e.actor}: ${e.reason}` +
      (e.restoredFromOffset !== null ? ` (restored from offset ${e.restoredFromOffset})` : '') +
      `; on: ${on(e.flags)}`,
  ]);
}

export function gateSnapshotFacts(snapshot: GateSnapshot): Lines {
  const lines: Lines = [
    [
      'as of',
      `${snapshot.asOfTradeDate ?? 'the latest trade date a run proves'} (coverage from ${snapshot.coverage}; ` +
        `${snapshot.thresholds.requiredDays} clean days at coverage ≥ ${snapshot.thresholds.minCoverage} needed)`,
    ],
  ];
  for (const g of snapshot.gates) {
    const verdict = g.passed
      ? `passed (${g.provenBy === 'as_of' ? 'as-of clock' : 'natural clock'})`
      : 'not passed';
    const first = g.failures[0];
    lines.push([
      g.gate,
      `${verdict}; clean days ${g.cleanDayProgress}, as of trade date ${g.cleanAsOfTradeDateProgress}` +
        (first !== undefined
          ? `; ${first}${g.failures.length > 1 ? ` (+${g.failures.length - 1} more)` : ''}`
          : ''),
    ]);
  }
  lines.push([
    'runs',
    `${snapshot.runs.total} in all, ${snapshot.runs.blocking} blocking, ${snapshot.runningResidue} left running`,
  ]);
  return lines;
}

export function gateEvaluateFacts(result: {
  gates: readonly { gate: string; passed: boolean }[];
  alertsRaised: readonly { alert: string; severity: string; message: string }[];
  alertsResolved: readonly string[];
  freeze: { phase: string; reason: string } | null;
  postVerification: readonly string[];
  appended: readonly string[];
}): Lines {
  const lines: Lines = [
    [
      'appended',
      result.appended.length > 0 ? `${result.appended.length} events` : 'nothing (a steady state)',
    ],
  ];
  for (const g of result.gates) lines.push([`gate ${g.gate}`, g.passed ? 'now passes' : 'now fails']);
  for (const a of result.alertsRaised)
    lines.push([`alert ${a.alert}`, `raised (${a.severity}): ${a.message}`]);
  for (const name of result.alertsResolved) lines.push([`alert ${name}`, 'resolved']);
  if (result.freeze !== null) lines.push(['freeze', `phase ${result.freeze.phase}: ${result.freeze.reason}`]);
  if (result.postVerification.length > 0)
    lines.push(['post-verification', `switched on: ${result.postVerification.join(', ')}`]);
  return lines;
}

const unmetLines = (unmet: readonly ExplainedCondition[]): Lines =>
  unmet.map((c, i) => [i === 0 ? 'unmet' : '', `${c.text} [${c.code}]`]);

export function phaseFacts(show: {
  current: string;
  frozen: boolean;
  frozenReason: string | null;
  exitGate: string | null;
  next: string | null;
  mayAdvance: boolean;
  unmet: readonly ExplainedCondition[];
}): Lines {
  return [
    [
      'phase',
      `${show.current}${show.frozen ? ` (frozen: ${show.frozenReason ?? 'after a regression'})` : ''}`,
    ],
    ['exit gate', show.exitGate ?? 'none'],
    ['next', show.mayAdvance ? `${show.next}: may advance now (xasset phase advance)` : 'not yet'],
    ...unmetLines(show.unmet),
  ];
}

export function phaseAdvanceFacts(
  result:
    | { advanced: true; from: string; to: string; liftedFreeze: boolean }
    | { advanced: false; phase: string; unmet: readonly ExplainedCondition[] },
): Lines {
  if (result.advanced)
    return [
      [
        'phase',
        `advanced ${result.from} → ${result.to}${result.liftedFreeze ? ' (the freeze is lifted)' : ''}`,
      ],
    ];
  return [['phase', `stays ${result.phase}: refused`], ...unmetLines(result.unmet)];
}

export function probeFacts(probe: {
  apiName: string;
  passed: boolean;
  tushareCode: number | null;
  message: string | null;
  offset: number | null;
}): Lines {
  return [
    [
      'probe',
      probe.passed
        ? `${probe.apiName}: permission there`
        : `${probe.apiName}: refused${probe.tushareCode !== null ? ` (Tushare code ${probe.tushareCode})` : ''}: ${probe.message ?? ''}`,
    ],
    ['recorded', probe.offset === null ? 'no' : `at offset ${probe.offset}`],
  ];
}

export function verifyFacts(verified: {
  equal: boolean;
  tables: readonly { table: string; rows: readonly unknown[] }[];
}): Lines {
  if (verified.equal) return [['projections', 'equal to a rebuild from offset 0']];
  return [
    ['projections', 'DIFFERENT from a rebuild from offset 0 (exit 1)'],
    ...verified.tables.map((t): [string, string] => [`table ${t.table}`, `${t.rows.length} rows differ`]),
  ];
}

export function reapFacts(result: {
  reaped: readonly { runId: string; chain: string; silentMs: number }[];
}): Lines {
  if (result.reaped.length === 0) return [['reaped', 'nothing: no run is silent past its heartbeat timeout']];
  return result.reaped.map((r, i) => [
    i === 0 ? 'reaped' : '',
    `${r.runId} (${r.chain}), silent ${Math.round(r.silentMs / 1000)} s: now abandoned`,
  ]);
}
