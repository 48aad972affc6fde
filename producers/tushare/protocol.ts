/**
 * Tushare Pro's wire protocol, shared by the client and the sandbox so both speak the same codes and
 * messages. A call is `POST <apiUrl>` with `{api_name, token, params, fields}`; every answer is HTTP
 * 200 with `{request_id, code, msg, data}`, `data` being `{fields, items, has_more}` on success
 * (`code` 0) and null otherwise.
 *
 * Error answers, from real responses quoted in public client code and bug reports (Tushare publishes
 * no code table; it tells errors apart by `msg`, so we do too):
 *
 * | code  | msg (as Tushare sends it)                                              | our class                  |
 * |-------|------------------------------------------------------------------------|----------------------------|
 * | 40101 | `您的token不对，请确认。`                                               | TushareTokenError          |
 * | 40101 | `请指定正确的接口名` (no such api_name; same code as the token error)    | TusharePermissionError     |
 * | 40203 | `抱歉，您每分钟最多访问该接口N次，权限的具体详情访问：…doc_id=108。`      | TushareRateLimitError      |
 * | 40203 | `抱歉，您每小时最多访问该接口N次…` / `每天最多访问该接口N次…` (quota)      | TushareRateLimitError, window hour/day: not retried within the call |
 * | 40203 | `抱歉，您没有接口(fund_daily)访问权限…` / `抱歉，您没有访问该接口的权限`  | TusharePermissionError     |
 * | 2002  | `没有接口访问权限` (seen in third-party client tests)                    | TusharePermissionError     |
 * | other | anything else (parameter errors, …)                                    | TushareBadResponseError    |
 *
 * Below the protocol: HTTP 5xx/408, network errors and timeouts → TushareTransientError; HTTP 429
 * (a proxy in between) → TushareRateLimitError; other non-2xx → TushareBadResponseError.
 */

/** Tushare's own answer codes. */
export const TUSHARE_CODE = {
  ok: 0,
  /** Token errors and unknown api_name share this code. */
  token: 40101,
  /** Rate limits, quotas and missing permissions share this code. */
  limited: 40203,
  noPermission: 2002,
} as const;

const DOC_LINK = '权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。';

/** Tushare's message texts, for the sandbox to send and the tests to compare. */
export const TUSHARE_MSG = {
  tokenInvalid: '您的token不对，请确认。',
  unknownApi: '请指定正确的接口名',
  ratePerMinute: (n: number) => `抱歉，您每分钟最多访问该接口${n}次，${DOC_LINK}`,
  ratePerHour: (n: number) => `抱歉，您每小时最多访问该接口${n}次，${DOC_LINK}`,
  ratePerDay: (n: number) => `抱歉，您每天最多访问该接口${n}次，${DOC_LINK}`,
  noPermission: (apiName: string) => `抱歉，您没有接口(${apiName})访问权限，${DOC_LINK}`,
} as const;

export type RateWindow = 'minute' | 'hour' | 'day';

export type AnswerClass =
  | { kind: 'token' }
  | { kind: 'unknown_api' }
  | { kind: 'rate_limit'; window: RateWindow; limit: number | null }
  | { kind: 'permission' }
  | { kind: 'other' };

/**
 * The N of `最多访问该接口N次`: the limit Tushare enforces for this token and endpoint, which depends
 * on the account's points and is published nowhere else. Null when the message carries none.
 */
export function limitIn(msg: string): number | null {
  const match = /最多访问该?接口\s*(\d+)\s*次/.exec(msg);
  if (match === null) return null;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** What a non-zero answer means, from its code and message. */
export function classifyAnswer(code: number, msg: string): AnswerClass {
  if (code === TUSHARE_CODE.token) {
    return msg.includes('接口名') ? { kind: 'unknown_api' } : { kind: 'token' };
  }
  if (code === TUSHARE_CODE.limited) {
    if (msg.includes('最多访问')) {
      const window: RateWindow = msg.includes('每天') ? 'day' : msg.includes('每小时') ? 'hour' : 'minute';
      return { kind: 'rate_limit', window, limit: limitIn(msg) };
    }
    return { kind: 'permission' };
  }
  if (code === TUSHARE_CODE.noPermission) return { kind: 'permission' };
  return { kind: 'other' };
}

/** The request body; `fields` is the comma-joined list of Tushare column names. */
export interface TushareRequest {
  api_name: string;
  token: string;
  params: Record<string, string | number>;
  fields: string;
}

export interface TushareData {
  fields: string[];
  items: unknown[][];
  has_more?: boolean;
}

export interface TushareAnswer {
  request_id?: string;
  code: number;
  msg: string | null;
  data: TushareData | null;
}
