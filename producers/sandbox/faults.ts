import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { endpoint, isApiName } from '../../contracts/catalog/index.js';
import { type ConfigIssue, InputFileError, ValidationError } from '../../contracts/errors.js';
import type { WireRow } from './dataset.js';

const count = z.number().int().positive();

/** Which calls a fault hits, counted per api_name from the moment the plan is set (1-based). */
const CallPattern = z.union([
  z.strictObject({ first: count.describe('the first n calls') }),
  z.strictObject({ every: count.describe('every n-th call') }),
]);

/**
 * How one trade date of an endpoint gets published, counted over the calls that ask for that date
 * (`trade_date` param, first page; 1-based from the moment the plan is set): first nothing (late),
 * then only the first part of its rows, then everything; and from some call on, a corrected value.
 */
const DayPublication = z.strictObject({
  /** The first n calls for the day answer no row: the day is published late. */
  lateCalls: z.number().int().nonnegative().optional(),
  /** The next `calls` calls answer only the first `share` of the day's rows: published in parts. */
  part: z.strictObject({ share: z.number().gt(0).lt(1), calls: count }).optional(),
  /** From this call for the day on, its first row carries a revised value (see correctRows). */
  correctFromCall: count.optional(),
});

export const EndpointFaultsSchema = z.strictObject({
  /** After N accepted calls in a rolling minute, answer Tushare's rate-limit error. */
  rateLimitPerMinute: count.optional(),
  /** The length of that minute, for tests that cannot wait one (the client's TUSHARE_RATE_WINDOW_MS). */
  rateWindowMs: count.optional(),
  /** After N accepted calls, answer Tushare's hour or day quota refusal (stating N) to every call. */
  quota: z.strictObject({ window: z.enum(['hour', 'day']), calls: count }).optional(),
  /** Answer Tushare's no-permission error to every call. */
  permissionDenied: z.boolean().optional(),
  /** Answer HTTP 500, 502, 503 (in turn) instead of Tushare's answer. */
  serverErrors: CallPattern.optional(),
  /** Hold every answer this long (a client timeout shorter than this sees no answer). */
  latencyMs: z.number().int().nonnegative().max(600_000).optional(),
  /** Send the answer cut in half: what a dropped connection or a proxy's page looks like. */
  malformedJson: CallPattern.optional(),
  /** Every page is the first page again, with `has_more` true: endless for a naive client. */
  repeatPages: z.boolean().optional(),
  /** From call `afterCalls + 1` on, the first `count` rows of each answer carry a revised value. */
  correctRows: z.strictObject({ afterCalls: z.number().int().nonnegative(), count }).optional(),
  /** Per trade date (YYYYMMDD): published late, in parts, or corrected later. */
  publishDays: z.record(z.string().regex(/^\d{8}$/, 'YYYYMMDD'), DayPublication).optional(),
});

/** Faults per api_name; `*` applies to every endpoint, an endpoint's own entry wins field by field. */
export const FaultPlanSchema = z.record(
  z.string().refine((key): boolean => key === '*' || isApiName(key)),
  EndpointFaultsSchema,
);

export type CallPattern = z.infer<typeof CallPattern>;
export type DayPublication = z.infer<typeof DayPublication>;
export type EndpointFaults = z.infer<typeof EndpointFaultsSchema>;
export type FaultPlan = z.infer<typeof FaultPlanSchema>;

/** Validates a plan; throws `ValidationError` whose issues name the offending paths. */
export function parseFaultPlan(value: unknown, what = 'fault plan'): FaultPlan {
  const parsed = FaultPlanSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    what,
    parsed.error.issues.map(
      (issue): ConfigIssue => ({
        path: issue.path.map(String).join('.'),
        message: issue.code === 'invalid_key' ? "expected '*' or a catalog api_name" : issue.message,
      }),
    ),
  );
}

/** Reads a JSON fault plan (the `XASSET_SANDBOX_FAULTS` file). */
export async function loadFaultPlan(file: string): Promise<FaultPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputFileError(
      'fault plan (--faults, XASSET_SANDBOX_FAULTS)',
      file,
      code === 'ENOENT' ? 'no such file' : (code ?? 'error'),
      {
        cause: error,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`fault plan ${file}`, [
      { path: '', message: `not JSON: ${error instanceof Error ? error.message : String(error)}` },
    ]);
  }
  return parseFaultPlan(json, `fault plan ${file}`);
}

export function faultsFor(plan: FaultPlan, apiName: string): EndpointFaults {
  return { ...plan['*'], ...plan[apiName] };
}

export function hits(pattern: CallPattern | undefined, call: number): boolean {
  if (pattern === undefined) return false;
  return 'first' in pattern ? call <= pattern.first : call % pattern.every === 0;
}

const SERVER_ERROR_STATUSES = [500, 502, 503] as const;

/** The HTTP status a server-error fault answers on this call, if any. */
export function serverErrorStatus(faults: EndpointFaults, call: number): number | undefined {
  return hits(faults.serverErrors, call)
    ? SERVER_ERROR_STATUSES[(call - 1) % SERVER_ERROR_STATUSES.length]
    : undefined;
}

/** The first half of a JSON text: never valid JSON, since its brackets cannot balance. */
export function truncateJson(json: string): string {
  return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
}

/**
 * The column a correction revises: `close` where the endpoint has one (the value a revision touches
 * in practice), else the first float column outside the natural key; none for endpoints without one.
 */
export function correctionColumn(apiName: string): string | undefined {
  const spec = endpoint(apiName);
  const candidates = spec.fields.filter((f) => f.type === 'float' && !spec.naturalKey.includes(f.name));
  const field = candidates.find((f) => f.name === 'close') ?? candidates[0];
  return field === undefined ? undefined : (field.tushareName ?? field.name);
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

/**
 * The rows with the first `count` revised: the correction column × 1.01 (rounded to 4 places, so the
 * revision survives as a different number), `high`/`low` widened so high ≥ close ≥ low still holds.
 * Returns new row objects; the dataset's rows are never touched.
 */
export function correctRows(apiName: string, rows: readonly WireRow[], count: number): WireRow[] {
  const column = correctionColumn(apiName);
  if (column === undefined) return [...rows];
  return rows.map((row, index) => {
    const value = row[column];
    if (index >= count || typeof value !== 'number') return row;
    let revised = round4(value * 1.01);
    if (revised === value) revised = round4(value + 0.01);
    const out: WireRow = { ...row, [column]: revised };
    if (column === 'close') {
      if (typeof out.high === 'number' && out.high < revised) out.high = revised;
      if (typeof out.low === 'number' && out.low > revised) out.low = revised;
    }
    return out;
  });
}

/**
 * A day's rows as published at the `call`-th call asking for it: none while late, the first part
 * (rounded up, so a part is never empty) while in parts, then all; the first row corrected from
 * `correctFromCall` on.
 */
export function publishedRows(
  apiName: string,
  rows: readonly WireRow[],
  publication: DayPublication,
  call: number,
): WireRow[] {
  const late = publication.lateCalls ?? 0;
  if (call <= late) return [];
  const corrected =
    publication.correctFromCall !== undefined && call >= publication.correctFromCall
      ? correctRows(apiName, rows, 1)
      : [...rows];
  const part = publication.part;
  if (part !== undefined && call <= late + part.calls)
    return corrected.slice(0, Math.ceil(corrected.length * part.share));
  return corrected;
}

/** Accepted calls per api_name in a rolling window, for the rate-limit fault. */
export class RollingWindow {
  readonly #starts = new Map<string, number[]>();
  constructor(readonly windowMs = 60_000) {}

  /** Records and admits the call when fewer than `limit` were admitted in the window before `now`. */
  admit(key: string, limit: number, now: number, windowMs = this.windowMs): boolean {
    const starts = (this.#starts.get(key) ?? []).filter((t) => t > now - windowMs);
    this.#starts.set(key, starts);
    if (starts.length >= limit) return false;
    starts.push(now);
    return true;
  }

  clear(): void {
    this.#starts.clear();
  }
}
