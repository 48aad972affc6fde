import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime, setUp } from '../../../app/runtime.js';
import { buildServer } from '../../../app/server.js';
import { loadConfig } from '../../../contracts/config.js';
import { MATRIX_MODULES } from '../../../projections/matrix/modules.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';
import { DAILY_STATUSES, HOSTILE_MESSAGE, NOW, RANGE, RANGE_DATES, seedProjections } from './seed.js';

const SCREENSHOT = fileURLToPath(new URL('../../../test-output/status-page.png', import.meta.url));

/** The status colours the page promises, as the browser computes them. */
const COLOURS = {
  complete: 'rgb(46, 125, 50)',
  partial: 'rgb(242, 169, 0)',
  missing: 'rgb(198, 40, 40)',
  not_applicable: 'rgb(158, 158, 158)',
} as const;

let db: IsolatedDatabase;
let stateDir: string;
let profileDir: string;
let runtime: Runtime;
let app: FastifyInstance;
let browser: BrowserContext;
let address: string;

beforeAll(async () => {
  db = await isolatedSchema(services().postgresUrl);
  stateDir = await mkdtemp(join(tmpdir(), 'xasset-page-'));
  profileDir = await mkdtemp(join(tmpdir(), 'xasset-chromium-'));
  runtime = await openRuntime(
    loadConfig({
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
    }),
  );
  await setUp(runtime);
  await seedProjections(runtime.pool);
  app = buildServer(runtime, { now: () => NOW });
  address = await app.listen({ host: '127.0.0.1', port: 0 });
  // A persistent context is how Playwright takes a user data dir: a fresh one, so no profile leaks in.
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await runtime?.close();
  await db?.drop();
  await rm(stateDir, { recursive: true, force: true });
  await rm(profileDir, { recursive: true, force: true });
});

describe('the status page in headless Chromium', () => {
  it('shows the matrix as a coloured grid, gate bars, runs and alerts, with nothing to switch', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const response = await page.goto(`${address}/?from=${RANGE.from}&to=${RANGE.to}`);
    expect(response?.status()).toBe(200);

    const cells = page.locator('table.matrix td.cell');
    expect(await cells.count()).toBe(MATRIX_MODULES.length * RANGE_DATES.length);
    const seen = await cells.evaluateAll((nodes) =>
      nodes.map((n) => [n.getAttribute('data-module'), n.getAttribute('data-date'), n.getAttribute('class')]),
    );
    const expected = MATRIX_MODULES.flatMap((module) =>
      RANGE_DATES.map((date, i) => [
        module,
        date,
        // The seed stores adj_factor rows on the same days as daily bars.
        `cell ${module === 'daily' || module === 'adj_factor' ? DAILY_STATUSES[i] : 'not_applicable'}`,
      ]),
    );
    expect(seen).toEqual(expected);

    for (const [status, colour] of Object.entries(COLOURS)) {
      const background = await page.evaluate(
        `getComputedStyle(document.querySelector('table.matrix td.cell.${status}')).backgroundColor`,
      );
      expect(background, status).toBe(colour);
    }

    // Read-only: no control of any kind, and every action is at most a link.
    expect(
      await page.locator('input, button, select, textarea, form, [role=switch], [contenteditable]').count(),
    ).toBe(0);
    // Two bars per gate: the natural clock and the as-of clock.
    const gates = await page.locator('#gates tbody tr').count();
    expect(gates).toBeGreaterThan(0);
    expect(await page.locator('#gates [role=progressbar]').count()).toBe(gates * 2);
    expect(await page.locator('#runs tbody tr').count()).toBe(5);
    // The alert's markup arrived as text: its onerror never ran, the title is untouched.
    await expect(page.locator('#alerts').textContent()).resolves.toContain(HOSTILE_MESSAGE);
    expect(await page.locator('#alerts img').count()).toBe(0);
    expect(await page.title()).toBe('tushare-xasset status');
    // No external assets: the page and nothing else.
    expect(requests.every((url) => url.startsWith(address))).toBe(true);

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(8_000);
    await page.close();
  });

  it('shows the P2 gray release beside the flags, as GET /gray serves it', async () => {
    const answer = await fetch(`${address}/gray`);
    expect(answer.status).toBe(200);
    const gray = (await answer.json()) as {
      ladder: string[];
      modules: { module: string; stage: string | null }[];
    };
    expect(gray.ladder).toEqual(['probe', 'canary', 'share:25', 'share:50', 'full']);
    expect(gray.modules.map((m) => m.module)).toEqual([
      'p2RealtimeIndexV1',
      'p2RealtimeEquityEtfV1',
      'p2FuturesMicrostructureV1',
      'p2SpecialPermissionStkPremarketV1',
    ]);
    const page = await browser.newPage();
    await page.goto(`${address}/?from=${RANGE.from}&to=${RANGE.to}`);
    const rows = await page.locator('#gray tbody tr').count();
    expect(rows).toBe(gray.modules.length);
    expect(await page.locator('#gray h2').innerText()).toContain('probe → canary');
    await page.close();
  });
});
