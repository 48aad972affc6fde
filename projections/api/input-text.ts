import { ValidationError } from '../../contracts/errors.js';

/**
 * Bounds on the text a request brings, checked on every route before its own schema and before any
 * query runs. PostgreSQL text cannot hold U+0000, and a string with an unpaired surrogate has no
 * UTF-8 form to store; either would come back as a driver error, a 500, instead of the caller's 400.
 */
export const INPUT_TEXT_LIMITS = {
  /** One path parameter (a run id is at most 200 characters). */
  param: 256,
  /** One query value: a matrix target lists up to 200 ts_codes of up to 40 characters each. */
  query: 8_192,
  /** One string anywhere in a JSON body (a reason is at most 500 characters). */
  body: 8_192,
  /** Query parameters in one request; every route takes four at most. */
  queryKeys: 32,
  /** Nesting of a JSON body; the one body this API takes is flat. */
  bodyDepth: 16,
} as const;

type Issue = { path: string; message: string };

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as text, or null when it can. */
export function unstorable(text: string, max: number): string | null {
  if (text.length > max) return `longer than ${max} characters`;
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (UNPAIRED_SURROGATE.test(text)) return 'is not valid Unicode (an unpaired surrogate)';
  return null;
}

/** A caller's key in an issue path, bounded so the 400 does not echo a megabyte back. */
const label = (key: string): string => {
  const bad = unstorable(key, 64);
  return bad === null ? key : '(a key that is too long or not text)';
};

function walk(value: unknown, path: string, max: number, depth: number, issues: Issue[]): void {
  if (issues.length >= 10) return;
  if (typeof value === 'string') {
    const bad = unstorable(value, max);
    if (bad !== null) issues.push({ path, message: bad });
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth > INPUT_TEXT_LIMITS.bodyDepth) {
    issues.push({ path, message: `nested deeper than ${INPUT_TEXT_LIMITS.bodyDepth} levels` });
    return;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, inner] of entries) {
    const bad = unstorable(key, max);
    const at = path === '' ? label(key) : `${path}.${label(key)}`;
    if (bad !== null) issues.push({ path: at, message: `its name ${bad}` });
    else walk(inner, at, max, depth + 1, issues);
  }
}

/**
 * Throws ValidationError (a 400) when a path parameter, a query value or key, or a string in the
 * body is not text the store can take, or is longer than its bound.
 */
export function assertStorableInput(input: { params?: unknown; query?: unknown; body?: unknown }): void {
  const issues: Issue[] = [];
  walk(input.params ?? {}, '', INPUT_TEXT_LIMITS.param, 0, issues);
  const query = input.query ?? {};
  if (typeof query === 'object' && query !== null && Object.keys(query).length > INPUT_TEXT_LIMITS.queryKeys)
    issues.push({ path: '', message: `more than ${INPUT_TEXT_LIMITS.queryKeys} query parameters` });
  else walk(query, '', INPUT_TEXT_LIMITS.query, 0, issues);
  walk(input.body, '', INPUT_TEXT_LIMITS.body, 0, issues);
  if (issues.length > 0) throw new ValidationError('request text', issues);
}
