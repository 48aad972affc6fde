import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import { ValidationError } from '../../../contracts/errors.js';
import {
  correctionColumn,
  correctRows,
  type FaultPlan,
  faultsFor,
  loadFaultPlan,
  parseFaultPlan,
  publishedRows,
} from '../../../producers/sandbox/faults.js';
import { type Sandbox, startSandbox } from '../../../producers/sandbox/server.js';
import { TUSHARE_CODE, TUSHARE_MSG, type TushareAnswer } from '../../../producers/tushare/protocol.js';
import { FixtureDataset, wireRows } from '../tushare/dataset-fixture.js';

describe('fault plan schema', () => {
  it('accepts a plan for named endpoints and *', () => {
    const plan = {
      '*': { latencyMs: 5, serverErrors: { every: 3 } },
      daily: {
        rateLimitPerMinute: 10,
        permissionDenied: false,
        serverErrors: { first: 2 },
        malformedJson: { first: 1 },
        repeatPages: true,
        correctRows: { afterCalls: 1, count: 3 },
      },
    };
    expect(parseFaultPlan(plan)).toEqual(plan);
  });

  it('names every offending path', () => {
    const error = (() => {
      try {
        parseFaultPlan({
          no_such_api: {},
          daily: { serverErrors: { first: 0 }, latency: 5 },
          '*': { correctRows: { afterCalls: -1, count: 1 }, rateLimitPerMinute: 1.5 },
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    const paths = (error as ValidationError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(
      [
        '*.correctRows.afterCalls',
        '*.rateLimitPerMinute',
        'daily',
        'daily.serverErrors.first',
        'no_such_api',
      ].sort(),
    );
    expect((error as ValidationError).issues.find((i) => i.path === 'no_such_api')?.message).toMatch(
      /api_name/,
    );
  });

  it("merges '*' under an endpoint's own faults, field by field", () => {
    const plan: FaultPlan = {
      '*': { latencyMs: 5, permissionDenied: true },
      daily: { permissionDenied: false },
    };
    expect(faultsFor(plan, 'daily')).toEqual({ latencyMs: 5, permissionDenied: false });
    expect(faultsFor(plan, 'shibor')).toEqual({ latencyMs: 5, permissionDenied: true });
  });

  describe('loadFaultPlan', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'faults-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads a valid file', async () => {
      const file = join(dir, 'ok.json');
      await writeFile(file, JSON.stringify({ fut_daily: { serverErrors: { every: 2 } } }));
      expect(await loadFaultPlan(file)).toEqual({ fut_daily: { serverErrors: { every: 2 } } });
    });

    it('refuses a file that is not JSON, or does not validate, with the paths', async () => {
      const bad = join(dir, 'bad.json');
      await writeFile(bad, '{ "daily": ');
      await expect(loadFaultPlan(bad)).rejects.toBeInstanceOf(ValidationError);
      const wrong = join(dir, 'wrong.json');
      await writeFile(wrong, JSON.stringify({ daily: { repeatPages: 'yes' } }));
      await expect(loadFaultPlan(wrong)).rejects.toMatchObject({
        code: 'XASSET_VALIDATION_FAILED',
        issues: [{ path: 'daily.repeatPages' }],
      });
    });
  });
});

describe('row corrections', () => {
  it('revises close by 1 % and keeps high ≥ close ≥ low, on new objects', () => {
    const rows = wireRows('daily', 4);
    const before = structuredClone(rows);
    const out = correctRows('daily', rows, 2);
    expect(rows).toEqual(before);
    for (const [i, row] of out.slice(0, 2).entries()) {
      const original = rows[i] as { close: number; ts_code: string };
      expect(row.close).toBeCloseTo(original.close * 1.01, 4);
      expect(row.close).not.toBe(original.close);
      expect(row.high as number).toBeGreaterThanOrEqual(row.close as number);
      expect(row.low as number).toBeLessThanOrEqual(row.close as number);
      expect(row.ts_code).toBe(original.ts_code);
    }
    expect(out.slice(2)).toEqual(rows.slice(2));
  });

  it('picks the first non-key float column where there is no close', () => {
    expect(correctionColumn('daily')).toBe('close');
    for (const apiName of ['shibor', 'cn_cpi', 'fut_holding'] as const) {
      const spec = endpoint(apiName);
      const first = spec.fields.find((f) => f.type === 'float' && !spec.naturalKey.includes(f.name));
      expect(spec.fields.some((f) => f.name === 'close')).toBe(false);
      expect(correctionColumn(apiName)).toBe(first?.tushareName ?? first?.name);
    }
  });
});

describe('day publication', () => {
  const rows = wireRows('daily', 10);
  const close = (r: readonly Record<string, unknown>[]) => r.map((row) => row.close);

  it('answers a late day with nothing, then its first part, then all of it', () => {
    const plan = { lateCalls: 1, part: { share: 0.25, calls: 2 } };
    expect([1, 2, 3, 4].map((call) => publishedRows('daily', rows, plan, call).length)).toEqual([
      0, 3, 3, 10,
    ]);
    expect(publishedRows('daily', rows, plan, 2)).toEqual(rows.slice(0, 3));
  });

  it('corrects the first row from the n-th call on, the same value every time', () => {
    const plan = { correctFromCall: 3 };
    const [one, two, three, four] = [1, 2, 3, 4].map((call) => publishedRows('daily', rows, plan, call));
    expect(one).toEqual(rows);
    expect(two).toEqual(rows);
    expect(close(three ?? []).slice(1)).toEqual(close(rows).slice(1));
    expect(three?.[0]?.close).not.toBe(rows[0]?.close);
    expect(four).toEqual(three);
  });

  it('refuses a share that is not a part, and a date that is not YYYYMMDD', () => {
    expect(() =>
      parseFaultPlan({ daily: { publishDays: { '20240105': { part: { share: 1, calls: 1 } } } } }),
    ).toThrow(ValidationError);
    expect(() => parseFaultPlan({ daily: { publishDays: { '2024-01-05': {} } } })).toThrow(ValidationError);
  });
});

describe('faults served by the sandbox', () => {
  const sandboxes: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((s) => s.close()));
  });

  async function start(faults: FaultPlan, clock?: () => number) {
    const dataset = new FixtureDataset({ daily: wireRows('daily', 30) });
    const s = await startSandbox({
      host: '127.0.0.1',
      port: 0,
      dataset,
      faults,
      ...(clock ? { clock } : {}),
    });
    sandboxes.push(s);
    return s;
  }

  const ask = (url: string, params: Record<string, unknown> = { limit: 10 }) =>
    fetch(url, {
      method: 'POST',
      body: JSON.stringify({ api_name: 'daily', token: '', params, fields: '' }),
    });

  it('answers 5xx on the first n calls, then serves', async () => {
    const s = await start({ daily: { serverErrors: { first: 3 } } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await ask(s.url)).status);
    expect(statuses).toEqual([500, 502, 503, 200]);
  });

  it('answers 5xx on every n-th call', async () => {
    const s = await start({ '*': { serverErrors: { every: 2 } } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await ask(s.url)).status);
    expect(statuses).toEqual([200, 502, 200, 500]);
  });

  it("answers Tushare's rate-limit error past N calls in a rolling minute", async () => {
    let now = 0;
    const s = await start({ daily: { rateLimitPerMinute: 2 } }, () => now);
    const codes = async () => ((await (await ask(s.url)).json()) as TushareAnswer).code;
    expect([await codes(), await codes()]).toEqual([0, 0]);
    now = 30_000;
    const limited = (await (await ask(s.url)).json()) as TushareAnswer;
    expect(limited).toMatchObject({
      code: TUSHARE_CODE.limited,
      msg: TUSHARE_MSG.ratePerMinute(2),
      data: null,
    });
    now = 60_000;
    expect(await codes()).toBe(0);
  });

  it("answers Tushare's permission error", async () => {
    const s = await start({ daily: { permissionDenied: true } });
    const answer = (await (await ask(s.url)).json()) as TushareAnswer;
    expect(answer).toMatchObject({ code: 40203, msg: TUSHARE_MSG.noPermission('daily'), data: null });
  });

  it('cuts the answer in half on the first n calls', async () => {
    const s = await start({ daily: { malformedJson: { first: 1 } } });
    const cut = await (await ask(s.url)).text();
    expect(() => JSON.parse(cut)).toThrow();
    const whole = await (await ask(s.url)).text();
    expect(cut.length).toBe(Math.floor(whole.length / 2));
    expect(cut).toMatch(/^\{"request_id":"[^"]+","code":0,"msg":"","data":\{"fields":\[/);
  });

  it('repeats the first page with has_more true', async () => {
    const s = await start({ daily: { repeatPages: true } });
    const first = (await (await ask(s.url, { limit: 10, offset: 0 })).json()) as TushareAnswer;
    const third = (await (await ask(s.url, { limit: 10, offset: 20 })).json()) as TushareAnswer;
    const tenth = (await (await ask(s.url, { limit: 10, offset: 90 })).json()) as TushareAnswer;
    expect(third.data).toEqual(first.data);
    expect(tenth.data).toEqual(first.data);
    expect(tenth.data?.has_more).toBe(true);
  });

  it('revises rows from call n+1 on, the same way every time', async () => {
    const s = await start({ daily: { correctRows: { afterCalls: 1, count: 2 } } });
    const page = async () => ((await (await ask(s.url)).json()) as TushareAnswer).data;
    const original = await page();
    const revised = await page();
    const again = await page();
    const close = original?.fields.indexOf('close') as number;
    expect(revised?.items.slice(2)).toEqual(original?.items.slice(2));
    expect(revised?.items[0]?.[close]).not.toBe(original?.items[0]?.[close]);
    expect(revised?.items[1]?.[close]).not.toBe(original?.items[1]?.[close]);
    expect(again).toEqual(revised);
  });

  it('publishes a day in parts by the calls that ask for that day, pages of one query alike', async () => {
    const day = '20240105';
    const dataset = new FixtureDataset({
      daily: wireRows('daily', 30).map((r) => ({ ...r, trade_date: day })),
    });
    const s = await startSandbox({
      host: '127.0.0.1',
      port: 0,
      dataset,
      faults: { daily: { publishDays: { [day]: { part: { share: 0.5, calls: 1 } } } } },
    });
    sandboxes.push(s);
    const items = async (params: Record<string, unknown>) =>
      ((await (await ask(s.url, params)).json()) as TushareAnswer).data?.items.length;
    expect(await items({ trade_date: day, limit: 10, offset: 0 })).toBe(10);
    expect(await items({ trade_date: day, limit: 10, offset: 10 })).toBe(5);
    expect(await items({ trade_date: '20240108', limit: 50 })).toBe(0);
    expect(await items({ trade_date: day, limit: 50, offset: 0 })).toBe(30);
  });

  it("answers Tushare's hour or day quota refusal once the quota's calls are spent", async () => {
    const s = await start({ daily: { quota: { window: 'day', calls: 2 } } });
    const answer = async () => (await (await ask(s.url)).json()) as TushareAnswer;
    expect([(await answer()).code, (await answer()).code]).toEqual([0, 0]);
    expect(await answer()).toMatchObject({
      code: TUSHARE_CODE.limited,
      msg: TUSHARE_MSG.ratePerDay(2),
      data: null,
    });
  });

  it('restarts fault call counts when the plan is replaced', async () => {
    const s = await start({ daily: { serverErrors: { first: 1 } } });
    expect((await ask(s.url)).status).toBe(500);
    expect((await ask(s.url)).status).toBe(200);
    s.setFaults({ daily: { serverErrors: { first: 1 } } });
    expect((await ask(s.url)).status).toBe(500);
    expect(s.calls().daily).toBe(3);
    expect(() => s.setFaults({ daily: { latencyMs: -1 } } as FaultPlan)).toThrow(ValidationError);
  });
});
