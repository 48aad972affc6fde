import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiName, endpoint, isApiName } from '../../contracts/catalog/index.js';
import type { EndpointSpec } from '../../contracts/catalog/types.js';
import { ValidationError } from '../../contracts/errors.js';
import { canonicalParams } from '../tushare/params-hash.js';
import { TUSHARE_CODE, TUSHARE_MSG, type TushareAnswer } from '../tushare/protocol.js';
import type { SandboxDataset, WireRow } from './dataset.js';
import {
  correctRows,
  type EndpointFaults,
  type FaultPlan,
  faultsFor,
  hits,
  parseFaultPlan,
  publishedRows,
  RollingWindow,
  serverErrorStatus,
  truncateJson,
} from './faults.js';

export type SandboxLogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Where the sandbox's log lines go; they never carry a request body (it holds the token). */
export type SandboxLog = (level: SandboxLogLevel, message: string, fields: Record<string, unknown>) => void;

export interface SandboxOptions {
  host: string;
  /** 0 picks a free port; `url` tells which. */
  port: number;
  dataset: SandboxDataset;
  faults?: FaultPlan;
  /** When set, any other token gets Tushare's token error; when not, any token is taken. */
  token?: string;
  log?: SandboxLog;
  /** The clock of the rate-limit fault's rolling minute; tests share theirs with the client. */
  clock?: () => number;
}

export interface Sandbox {
  url: string;
  close(): Promise<void>;
  /** Requests received per api_name (every request that named one, whatever it was answered). */
  calls(): Record<string, number>;
  /** Replaces the fault plan; the per-endpoint call counts that faults key on restart from zero. */
  setFaults(plan: FaultPlan): void;
}

/**
 * The sandbox's answer to a request it cannot read (no JSON, no api_name). Tushare documents no code
 * for that; clients treat an unknown code as a bad response, which is what this is.
 */
export const SANDBOX_BAD_REQUEST = -1;

/** Tushare's code for a request whose params it rejects. */
export const SANDBOX_BAD_PARAMS = -2001;

const MAX_BODY_BYTES = 1 << 20;
/** Full answers kept between page calls: a client pages through one query at a time. */
const QUERY_CACHE_SIZE = 16;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A local HTTP server speaking the Tushare Pro protocol over any `SandboxDataset`: it checks the
 * token, pages by limit/offset (limit capped at the endpoint's row limit), selects fields, reports
 * `has_more`, and injects the faults of its plan. Tushare's codes and messages come from
 * `producers/tushare/protocol.ts`, the module the client reads them with.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const { dataset } = options;
  const log: SandboxLog = options.log ?? (() => {});
  const clock = options.clock ?? Date.now;
  let plan = parseFaultPlan(options.faults ?? {});
  const calls: Record<string, number> = {};
  const faultCalls = new Map<string, number>();
  /** Calls per api_name and trade date, for the publication faults (first pages only). */
  const dayCalls = new Map<string, number>();
  /** Calls per api_name the quota fault accepted. */
  const quotaCalls = new Map<string, number>();
  const rateWindow = new RollingWindow();
  const cache = new Map<string, WireRow[]>();
  const pendingWaits = new Set<() => void>();
  let closed = false;

  const answerError = (code: number, msg: string): TushareAnswer => ({
    request_id: randomUUID(),
    code,
    msg,
    data: null,
  });

  function query(apiName: ApiName, params: Record<string, string | number>): WireRow[] {
    const key = `${apiName}|${canonicalParams(params)}`;
    let rows = cache.get(key);
    if (rows === undefined) {
      rows = dataset.query(apiName, params);
      if (cache.size >= QUERY_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(key, rows);
    }
    return rows;
  }

  /** Tushare's answer to one readable request, faults included (but not the transport ones). */
  function respond(
    apiName: string,
    call: number,
    faults: EndpointFaults,
    body: Record<string, unknown>,
  ): TushareAnswer {
    if (options.token !== undefined && body.token !== options.token)
      return answerError(TUSHARE_CODE.token, TUSHARE_MSG.tokenInvalid);
    if (!isApiName(apiName) || !dataset.supports(apiName))
      return answerError(TUSHARE_CODE.token, TUSHARE_MSG.unknownApi);
    if (faults.permissionDenied) return answerError(TUSHARE_CODE.limited, TUSHARE_MSG.noPermission(apiName));
    const quota = faults.quota;
    if (quota !== undefined) {
      const accepted = quotaCalls.get(apiName) ?? 0;
      if (accepted >= quota.calls)
        return answerError(
          TUSHARE_CODE.limited,
          quota.window === 'hour'
            ? TUSHARE_MSG.ratePerHour(quota.calls)
            : TUSHARE_MSG.ratePerDay(quota.calls),
        );
      quotaCalls.set(apiName, accepted + 1);
    }
    const perMinute = faults.rateLimitPerMinute;
    if (perMinute !== undefined && !rateWindow.admit(apiName, perMinute, clock(), faults.rateWindowMs))
      return answerError(TUSHARE_CODE.limited, TUSHARE_MSG.ratePerMinute(perMinute));

    const spec = endpoint(apiName);
    const { filters, limit, offset } = readParams(body.params, spec.rowLimit);
    let all: WireRow[];
    try {
      all = query(apiName, filters);
    } catch (err) {
      // Bad params are the caller's mistake: answer like Tushare does, not with a 500 that the
      // client would take for a transient failure and retry.
      if (!(err instanceof ValidationError)) throw err;
      return answerError(
        SANDBOX_BAD_PARAMS,
        `参数错误：${err.issues.map((i) => `${i.path} ${i.message}`).join('；')}`,
      );
    }
    const day = filters.trade_date === undefined ? undefined : String(filters.trade_date);
    const publication = day === undefined ? undefined : faults.publishDays?.[day];
    if (publication !== undefined) {
      // Later pages of one query see the day as its first page did.
      const id = `${apiName}|${day}`;
      const dayCall = (dayCalls.get(id) ?? 0) + (offset === 0 ? 1 : 0);
      dayCalls.set(id, dayCall);
      all = publishedRows(apiName, all, publication, dayCall);
    }
    const start = faults.repeatPages ? 0 : offset;
    let rows = all.slice(start, start + limit);
    const hasMore = faults.repeatPages ? true : offset + rows.length < all.length;
    const correction = faults.correctRows;
    if (correction !== undefined && call > correction.afterCalls)
      rows = correctRows(apiName, rows, correction.count);
    const columns = selectColumns(spec, body.fields);
    return {
      request_id: randomUUID(),
      code: TUSHARE_CODE.ok,
      msg: '',
      data: {
        fields: columns,
        items: rows.map((row) => columns.map((c) => row[c] ?? null)),
        has_more: hasMore,
      },
    };
  }

  /** Holds an answer for the latency fault; released early when the sandbox closes. */
  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        pendingWaits.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      pendingWaits.add(release);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, JSON.stringify(answerError(SANDBOX_BAD_REQUEST, '请求方法错误：只接受 POST')));
    }
    const text = await readBody(req);
    if (text === undefined)
      return send(res, 413, JSON.stringify(answerError(SANDBOX_BAD_REQUEST, '请求体过大')));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return send(res, 200, JSON.stringify(answerError(SANDBOX_BAD_REQUEST, '请求体不是合法的 JSON')));
    }
    if (!isRecord(body) || typeof body.api_name !== 'string' || body.api_name === '')
      return send(res, 200, JSON.stringify(answerError(SANDBOX_BAD_REQUEST, '请求缺少 api_name')));
    if (body.params !== undefined && body.params !== null && !isRecord(body.params))
      return send(res, 200, JSON.stringify(answerError(SANDBOX_BAD_REQUEST, 'params 必须是对象')));

    const apiName = body.api_name;
    calls[apiName] = (calls[apiName] ?? 0) + 1;
    const call = (faultCalls.get(apiName) ?? 0) + 1;
    faultCalls.set(apiName, call);
    const faults = faultsFor(plan, apiName);

    if (faults.latencyMs) {
      await wait(faults.latencyMs);
      if (closed || res.destroyed) return;
    }
    const status = serverErrorStatus(faults, call);
    if (status !== undefined) {
      log('debug', 'sandbox injected server error', { apiName, call, status });
      return send(res, status, `<html><body><h1>${status}</h1>sandbox fault</body></html>`, 'text/html');
    }
    const answer = respond(apiName, call, faults, body);
    let json = JSON.stringify(answer);
    if (hits(faults.malformedJson, call)) json = truncateJson(json);
    send(res, 200, json);
    log('debug', 'sandbox answered', {
      apiName,
      call,
      code: answer.code,
      rows: answer.data?.items.length ?? 0,
      hasMore: answer.data?.has_more,
      malformed: hits(faults.malformedJson, call),
      ms: Date.now() - started,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log('error', 'sandbox failed to answer', {
        error: error instanceof Error ? error.message : String(error),
      });
      if (!res.headersSent && !res.destroyed) send(res, 500, 'sandbox internal error', 'text/plain');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log('info', 'sandbox listening', { url, dataset: dataset.kind });

  return {
    url,
    calls: () => ({ ...calls }),
    setFaults(next) {
      plan = parseFaultPlan(next);
      faultCalls.clear();
      dayCalls.clear();
      quotaCalls.clear();
      rateWindow.clear();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const release of [...pendingWaits]) release();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** The query filters, and the page: `limit` defaults to and is capped at the row limit. */
function readParams(
  raw: unknown,
  rowLimit: number,
): { filters: Record<string, string | number>; limit: number; offset: number } {
  const filters: Record<string, string | number> = {};
  let limit = rowLimit;
  let offset = 0;
  for (const [key, value] of Object.entries(isRecord(raw) ? raw : {})) {
    // Tushare's own SDK sends "" for a parameter left out.
    if (value === '' || (typeof value !== 'string' && typeof value !== 'number')) continue;
    if (key === 'limit' || key === 'offset') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) continue;
      if (key === 'limit' && n > 0) limit = Math.min(n, rowLimit);
      if (key === 'offset') offset = n;
      continue;
    }
    filters[key] = value;
  }
  return { filters, limit, offset };
}

/** The requested columns Tushare knows, in the order asked; none asked (or none known) means all. */
function selectColumns(spec: EndpointSpec, raw: unknown): string[] {
  const known = spec.fields.map((f) => f.tushareName ?? f.name);
  const asked =
    typeof raw === 'string'
      ? raw.split(',').map((s) => s.trim())
      : Array.isArray(raw)
        ? raw.filter((s): s is string => typeof s === 'string')
        : [];
  const knownSet = new Set(known);
  const picked = [...new Set(asked.filter((c) => knownSet.has(c)))];
  return picked.length > 0 ? picked : known;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
