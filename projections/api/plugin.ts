import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Secret } from '../../contracts/config.js';
import { NotFoundError } from '../../contracts/errors.js';
import { PROMETHEUS_CONTENT_TYPE } from '../../infra/metrics/registry.js';
import { assertAdmin } from './auth.js';
import { RouteNotFoundError, toErrorResponse, UnavailableError } from './http-errors.js';
import { renderMetrics } from './metrics.js';
import { buildOpenApi, type DocumentedRoute } from './openapi.js';
import type { ControlPlaneCommands, GateSnapshotSource, MatrixSource, ProjectionReader } from './ports.js';
import { type ApiRoute, jsonRoute, parseInput, rawRoute, registerRoute } from './route.js';
import {
  CursorsView,
  type Environment,
  ExplainQuery,
  ExplainView,
  FlagsHistoryQuery,
  FlagsHistoryView,
  FlagsView,
  GateSnapshot,
  GateSnapshotQuery,
  GatesView,
  GrayView,
  MatrixQuery,
  MatrixView,
  RunParams,
  RunsQuery,
  RunsView,
  RunView,
  SetFlagsBody,
  SetFlagsResult,
  StatusPageQuery,
  StatusView,
} from './schemas.js';
import { readStatus } from './status.js';
import { renderStatusPage, type StatusPageModel } from './status-page.js';

export interface ControlPlaneApiOptions {
  reader: ProjectionReader;
  gates: GateSnapshotSource;
  matrix: MatrixSource;
  commands: ControlPlaneCommands;
  /** From `server.adminToken`; without it every writing route answers 403 read-only. */
  adminToken: Secret | undefined;
  environment(): Promise<Environment>;
  /** The package version, for /openapi.json. */
  version: string;
  now?: () => Date;
  /** Routes served outside this plugin that /openapi.json should describe too (/health). */
  documented?: readonly DocumentedRoute[];
  /** Told about every 5xx with the original error; the client only ever sees the stable code. */
  onServerError?(err: unknown, request: FastifyRequest): void;
  /** Trade dates the status page's matrix shows when the query names no range. */
  statusPageDays?: number;
  /** The P2 modules' gray release (`GET /gray`, the status page); absent: neither shows it. */
  gray?: () => Promise<GrayView>;
}

/** Who the flags history names for a change made through the API. */
export const API_ACTOR = 'api-admin';

const DAY_MS = 86_400_000;

/** The trade date (China Standard Time, UTC+8) an instant falls on. */
export function tradeDateOf(instant: Date): string {
  return new Date(instant.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
}

const shiftDays = (tradeDate: string, days: number): string => {
  const start = Date.UTC(
    Number(tradeDate.slice(0, 4)),
    Number(tradeDate.slice(4, 6)) - 1,
    Number(tradeDate.slice(6, 8)),
  );
  return new Date(start + days * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
};

const OpenApiDocument = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.object({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

/** The route table: registration, validation and /openapi.json all read it. */
export function controlPlaneRoutes(options: ControlPlaneApiOptions): ApiRoute[] {
  const { reader, gates, matrix, commands } = options;
  const now = options.now ?? (() => new Date());
  const pageDays = options.statusPageDays ?? 20;

  const routes: ApiRoute[] = [
    rawRoute({
      method: 'GET',
      url: '/',
      summary: 'Read-only status page: matrix, gate progress, recent runs and alerts',
      tag: 'status',
      produces: 'text/html',
      query: StatusPageQuery,
      errors: [400, 500],
      handle: async ({ query }) => {
        const to = query.to ?? tradeDateOf(now());
        const from =
          query.from ?? (await reader.recentTradeDates(to, pageDays))[0] ?? shiftDays(to, -(pageDays - 1));
        const range = parseInput(MatrixQuery, { target: query.target ?? 'universe', from, to }, 'query');
        const [status, runs, grid, gray] = await Promise.all([
          readStatus(reader, gates, options.environment, now()),
          reader.readRuns({ limit: 20 }),
          matrix.matrix(range).catch((err: unknown) => {
            if (err instanceof UnavailableError) return { unavailable: err.message };
            throw err;
          }),
          options.gray?.(),
        ]);
        const model: StatusPageModel = {
          status: StatusView.parse(status),
          matrix: 'unavailable' in grid ? grid : MatrixView.parse(grid),
          runs: runs.runs,
          ...(gray !== undefined && { gray: GrayView.parse(gray) }),
        };
        return renderStatusPage(model);
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/status',
      summary: 'Phase, batches, gates, flags in force, running residue, alerts, storage and log mode',
      tag: 'status',
      response: StatusView,
      errors: [500],
      handle: () => readStatus(reader, gates, options.environment, now()),
    }),
    ...(options.gray === undefined
      ? []
      : [
          jsonRoute({
            method: 'GET',
            url: '/gray',
            summary: 'Gray release of the P2 modules: stage, pool share, gate and next step of each',
            tag: 'flags',
            response: GrayView,
            errors: [500],
            handle: options.gray,
          }),
        ]),
    jsonRoute({
      method: 'GET',
      url: '/flags',
      summary: 'Stored and effective rollout flags',
      tag: 'flags',
      response: FlagsView,
      errors: [500],
      handle: () => reader.readFlags(),
    }),
    jsonRoute({
      method: 'GET',
      url: '/flags/history',
      summary: 'Every flags change, newest first',
      tag: 'flags',
      query: FlagsHistoryQuery,
      response: FlagsHistoryView,
      errors: [400, 500],
      handle: ({ query }) => reader.readFlagsHistory(query.limit),
    }),
    jsonRoute({
      method: 'POST',
      url: '/flags',
      summary: 'Change some switches (appends FlagsChanged); needs the admin token',
      tag: 'flags',
      admin: true,
      body: SetFlagsBody,
      response: SetFlagsResult,
      errors: [400, 401, 403, 409, 415, 503],
      guard: (request) => assertAdmin(request.headers.authorization, options.adminToken),
      handle: async ({ body }) => {
        const { reason, ...changes } = body;
        const result = await commands.setFlags({ changes, reason, actor: API_ACTOR });
        return {
          offset: result.offset,
          changed: result.offset !== null,
          stored: result.flags,
          effective: result.effective,
          updatedAt: result.flags.updatedAt,
        };
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/runs',
      summary: 'Runs, newest first, filtered by status and chain',
      tag: 'runs',
      query: RunsQuery,
      response: RunsView,
      errors: [400, 500],
      handle: ({ query }) => reader.readRuns(query),
    }),
    jsonRoute({
      method: 'GET',
      url: '/runs/:id',
      summary: 'One run with its statistics and module results',
      tag: 'runs',
      params: RunParams,
      response: RunView,
      errors: [400, 404, 500],
      handle: async ({ params }) => {
        const run = await reader.readRun(params.id);
        if (!run) throw new NotFoundError('run', params.id);
        return run;
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/cursors',
      summary: 'Every cursor at its current value',
      tag: 'runs',
      response: CursorsView,
      errors: [500],
      handle: () => reader.readCursors(),
    }),
    jsonRoute({
      method: 'GET',
      url: '/gates',
      summary: 'Latest evaluation of every gate, on the natural clock and as of a replayed trade date',
      tag: 'gates',
      response: GatesView,
      errors: [500],
      handle: () => reader.readGates(),
    }),
    jsonRoute({
      method: 'GET',
      url: '/gates/snapshot',
      summary: 'The gate snapshot `xasset gate snapshot` prints, as of a trade date or now',
      tag: 'gates',
      query: GateSnapshotQuery,
      response: GateSnapshot,
      errors: [400, 500, 503],
      handle: ({ query }) => gates.gateSnapshot(query.asOf ?? null),
    }),
    jsonRoute({
      method: 'GET',
      url: '/matrix',
      summary: 'Status matrix: module × trade date → complete / partial / missing / not_applicable',
      tag: 'matrix',
      query: MatrixQuery,
      response: MatrixView,
      errors: [400, 500, 503],
      handle: ({ query }) => matrix.matrix(query),
    }),
    jsonRoute({
      method: 'GET',
      url: '/matrix/explain',
      summary: 'Why one matrix cell has its status',
      tag: 'matrix',
      query: ExplainQuery,
      response: ExplainView,
      errors: [400, 404, 500, 503],
      handle: ({ query }) => matrix.explain(query),
    }),
    rawRoute({
      method: 'GET',
      url: '/metrics',
      summary:
        'Prometheus metrics: the process, Tushare calls, fetch and processor work, runs, lag, gates, phase, flags',
      tag: 'status',
      produces: 'text/plain',
      contentType: PROMETHEUS_CONTENT_TYPE,
      errors: [500],
      handle: async () => renderMetrics(await reader.readMetrics()),
    }),
  ];
  const info = { title: 'tushare-xasset control plane', version: options.version };
  let document: Record<string, unknown> | undefined;
  routes.push(
    jsonRoute({
      method: 'GET',
      url: '/openapi.json',
      summary: 'This document',
      tag: 'status',
      response: OpenApiDocument,
      errors: [],
      handle: async () => {
        document ??= buildOpenApi(routes, info, options.documented);
        return document as z.input<typeof OpenApiDocument>;
      },
    }),
  );
  return routes;
}

/**
 * The control-plane API as a Fastify plugin. Its error and not-found handlers are the server's
 * (the plugin is not encapsulated), so every 4xx/5xx anywhere answers `{error: {code, message, details}}`.
 */
export const controlPlaneApi: FastifyPluginAsync<ControlPlaneApiOptions> = async (
  app: FastifyInstance,
  options,
) => {
  app.setErrorHandler((err, request, reply) => {
    const { status, body, internal } = toErrorResponse(err);
    if (internal) options.onServerError?.(err, request);
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = toErrorResponse(
      new RouteNotFoundError(request.method, request.url.split('?')[0] ?? ''),
    );
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  for (const route of controlPlaneRoutes(options)) registerRoute(app, route);
};
// What fastify-plugin does: register into the parent context instead of a child one.
(controlPlaneApi as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** A matrix source for a server built without one: every question answers 503. */
export const matrixUnavailable: MatrixSource = {
  matrix: () => Promise.reject(new UnavailableError('the status matrix')),
  explain: () => Promise.reject(new UnavailableError('the status matrix')),
};

/** A command side for a server built without one: writing routes answer 503 after authorization. */
export const commandsUnavailable: ControlPlaneCommands = {
  setFlags: () => Promise.reject(new UnavailableError('flag commands')),
};
