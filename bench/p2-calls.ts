/**
 * `npm run bench:p2-calls [-- --days N --from YYYYMMDD --size tiny|small|default --seed S --json FILE]`:
 * a P2 history backfill through the CLI against a sandbox of the synthetic market, and the HTTP
 * calls each endpoint cost next to the fewest its rows allow. See bench/README.md.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import type pg from 'pg';
import { type EndpointSpec, endpointsForBatch, rawTopic } from '../contracts/catalog/index.js';
import { loadConfig } from '../contracts/config.js';
import { ValidationError } from '../contracts/errors.js';
import { type Sandbox, startSandbox } from '../producers/sandbox/server.js';
import { createSyntheticMarket, type SyntheticMarket } from '../producers/sandbox/synthetic/index.js';
import type { MarketSize } from '../producers/sandbox/synthetic/universe.js';
import { benchServices, type Cleanup, freshSchema, runBench, say } from './setup.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DEFAULTS = loadConfig({});
const execFileAsync = promisify(execFile);

/** P2's history endpoints: every P2 endpoint but the realtime ones, which only have today. */
export const P2_HISTORY: readonly EndpointSpec[] = endpointsForBatch('p2').filter(
  (s) => s.role !== 'realtime',
);
/** The reference data the minute pools are drawn from. */
const REFERENCE_APIS = ['stock_basic', 'index_basic', 'fut_basic'];
const FORCE = ['--force-phase', 'P2 calls bench on a fresh store'];

interface Options {
  days: number;
  from: string;
  size: MarketSize;
  seed: number;
  json: string | undefined;
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      days: { type: 'string' },
      from: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const issues: { path: string; message: string }[] = [];
  const days = Number(values.days ?? 40);
  if (!Number.isSafeInteger(days) || days < 1) issues.push({ path: '--days', message: 'an integer ≥ 1' });
  const seed = Number(values.seed ?? DEFAULTS.sandbox.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) issues.push({ path: '--seed', message: 'an integer ≥ 0' });
  const from = values.from ?? '20240102';
  if (!/^\d{8}$/.test(from)) issues.push({ path: '--from', message: 'YYYYMMDD' });
  const size = values.size ?? 'tiny';
  if (size !== 'tiny' && size !== 'small' && size !== 'default')
    issues.push({ path: '--size', message: 'tiny, small or default' });
  if (issues.length > 0) throw new ValidationError('bench options', issues);
  return { days, from, size: size as MarketSize, seed, json: values.json };
}

/** One endpoint's line of the table. */
export interface CallLine {
  apiName: string;
  tradingDays: number;
  rows: number;
  /** HTTP requests the sandbox received for this endpoint during the backfill. */
  calls: number;
  rowLimit: number;
  /** ceil(rows / row limit): every call a full page, whatever it asked for. */
  floor: number;
  /**
   * Σ ceil(rows / row limit) over what one call can ask for: one instrument (any date range) for a
   * per-instrument endpoint, one trade date for a whole-market one.
   */
  queryFloor: number;
  /** Calls that returned no row. */
  emptyCalls: number;
}

/** The lines for the rows counted per query unit (ts_code or trade date) and the calls the sandbox counted. */
export function callLines(input: {
  specs: readonly EndpointSpec[];
  tradingDays: number;
  rowsByUnit: Readonly<Record<string, Readonly<Record<string, number>>>>;
  calls: Readonly<Record<string, number>>;
  emptyCalls: Readonly<Record<string, number>>;
}): CallLine[] {
  return input.specs.map((spec) => {
    const units = Object.values(input.rowsByUnit[spec.apiName] ?? {});
    const rows = units.reduce((sum, n) => sum + n, 0);
    return {
      apiName: spec.apiName,
      tradingDays: input.tradingDays,
      rows,
      calls: input.calls[spec.apiName] ?? 0,
      rowLimit: spec.rowLimit,
      floor: Math.ceil(rows / spec.rowLimit),
      queryFloor: units.reduce((sum, n) => sum + Math.ceil(n / spec.rowLimit), 0),
      emptyCalls: input.emptyCalls[spec.apiName] ?? 0,
    };
  });
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? '—' : '∞') : fmt(a / b, 2));

export function callTable(lines: readonly CallLine[]): string {
  const header = [
    'endpoint',
    'trading days',
    'rows',
    'row limit',
    'calls',
    'floor ceil(rows/limit)',
    'per-query floor',
    'calls per day',
    'calls/floor',
    'calls/per-query floor',
    'empty calls',
  ];
  const body = lines.map((l) => [
    `\`${l.apiName}\``,
    fmt(l.tradingDays),
    fmt(l.rows),
    fmt(l.rowLimit),
    fmt(l.calls),
    fmt(l.floor),
    fmt(l.queryFloor),
    fmt(l.calls / l.tradingDays, 1),
    ratio(l.calls, l.floor),
    ratio(l.calls, l.queryFloor),
    fmt(l.emptyCalls),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const row = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [row(header), rule, ...body.map(row)].join('\n');
}

/** `xasset …` as a user runs it, against the bench's sandbox and schema; its JSON report. */
async function xasset(args: readonly string[], env: Record<string, string>): Promise<unknown> {
  try {
    const { stdout } = await execFileAsync(process.execPath, ['bin/xasset.js', ...args, '--json'], {
      cwd: ROOT,
      env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env },
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout.trim() === '' ? null : JSON.parse(stdout);
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    throw new Error(
      `xasset ${args.join(' ')} exited ${String(e.code)}: ${(e.stderr ?? '').slice(-2_000)}${(e.stdout ?? '').slice(-2_000)}`,
    );
  }
}

/** Rows per query unit: the instrument for a per-instrument endpoint, the trade date for a whole-market one. */
async function rowsByUnit(pool: pg.Pool, specs: readonly EndpointSpec[]) {
  const out: Record<string, Record<string, number>> = {};
  for (const spec of specs) {
    // The raw key is `<api>|<natural key but the time field>|<time field>` (raw-record.ts).
    const unit = spec.fetchMode === 'ts_code' ? "split_part(key, '|', 2)" : "substring(key from '[^|]*$')";
    const { rows } = await pool.query<{ unit: string; n: string }>(
      `SELECT ${unit} AS unit, count(*) AS n FROM event_log WHERE topic = $1 GROUP BY 1`,
      [rawTopic(spec.apiName)],
    );
    out[spec.apiName] = Object.fromEntries(rows.map((r) => [r.unit, Number(r.n)]));
  }
  return out;
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([api, n]) => [api, n - (before[api] ?? 0)]));
}

function tradingWindow(market: SyntheticMarket, from: string, days: number): string[] {
  const open = market.tradingDays().filter((d) => d >= from);
  if (open.length < days)
    throw new Error(`the synthetic market has only ${open.length} open days from ${from}`);
  return open.slice(0, days);
}

async function bench(options: Options, cleanup: Cleanup) {
  const services = benchServices(process.env);
  const market = createSyntheticMarket({ seed: options.seed, size: options.size });
  const days = tradingWindow(market, options.from, options.days);
  const from = days[0] as string;
  const to = days.at(-1) as string;

  // Answers that return no row, counted at the sandbox's own answer path.
  const empty: Record<string, number> = {};
  let counting = false;
  const sandbox: Sandbox = await startSandbox({
    host: '127.0.0.1',
    port: 0,
    dataset: market,
    log: (_level, message, fields) => {
      if (!counting || message !== 'sandbox answered' || fields.rows !== 0) return;
      const api = String(fields.apiName);
      empty[api] = (empty[api] ?? 0) + 1;
    },
  });
  cleanup.add('sandbox', () => sandbox.close());

  const schema = `bench_${randomBytes(4).toString('hex')}_p2`;
  const pool = await freshSchema(services.databaseUrl, schema, 2, cleanup);
  const stateDir = await mkdtemp(join(tmpdir(), 'xasset-bench-p2-'));
  cleanup.add('state folder', () => rm(stateDir, { recursive: true, force: true }));
  const env = {
    XASSET_LOG: 'embedded',
    XASSET_DATABASE_URL: services.databaseUrl,
    XASSET_DATABASE_SCHEMA: schema,
    XASSET_STATE_DIR: stateDir,
    TUSHARE_API_URL: sandbox.url,
    TUSHARE_TOKEN: 'bench-token',
    // The sandbox has no rate limit: the bench counts calls, it does not pace them.
    TUSHARE_CALLS_PER_MINUTE: '1000000',
  };

  const loadAtStart = loadavg().map((l) => Number(l.toFixed(2)));
  say(`P2 history backfill ${from} … ${to} (${days.length} trading days), ${options.size} market`);
  const switches = [...new Set(['p2Enabled', ...P2_HISTORY.map((s) => s.switch)])];
  for (const spec of P2_HISTORY.filter((s) => s.switch.startsWith('p2SpecialPermission')))
    await xasset(['probe', spec.apiName], env);
  await xasset(['flags', 'set', ...switches.map((s) => `${s}=true`), '--reason', 'P2 calls bench'], env);
  say('reference data (the minute pools are drawn from it)');
  await xasset(['fetch', '--apis', REFERENCE_APIS.join(','), '--from', to, '--to', to, ...FORCE], env);
  await xasset(['process'], env);

  say(`fetch --apis ${P2_HISTORY.map((s) => s.apiName).join(',')}`);
  const before = sandbox.calls();
  counting = true;
  const started = performance.now();
  const report = (await xasset(
    ['fetch', '--apis', P2_HISTORY.map((s) => s.apiName).join(','), '--from', from, '--to', to, ...FORCE],
    env,
  )) as { status: string };
  const seconds = (performance.now() - started) / 1000;
  counting = false;
  const calls = delta(sandbox.calls(), before);
  if (report.status !== 'ok') throw new Error(`the backfill ended ${report.status}`);

  const lines = callLines({
    specs: P2_HISTORY,
    tradingDays: days.length,
    rowsByUnit: await rowsByUnit(pool, P2_HISTORY),
    calls,
    emptyCalls: empty,
  });
  const loadAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  const text = [
    `P2 calls: \`xasset fetch --apis … --from ${from} --to ${to}\` (${days.length} trading days) against the ${options.size} synthetic market (seed ${options.seed}), ${fmt(seconds, 1)} s`,
    `calls counted by the sandbox; the calendar's own: ${calls.trade_cal ?? 0}. load average (1, 5, 15 min): ${loadAtStart.join(' ')} at the start, ${loadAtEnd.join(' ')} at the end`,
    '',
    callTable(lines),
  ].join('\n');
  return {
    text,
    json: {
      from,
      to,
      days: days.length,
      size: options.size,
      seed: options.seed,
      seconds,
      loadAtStart,
      loadAtEnd,
      lines,
    },
  };
}

runBench(async (cleanup) => {
  const options = readOptions(process.argv.slice(2));
  return { ...(await bench(options, cleanup)), jsonPath: options.json };
});
