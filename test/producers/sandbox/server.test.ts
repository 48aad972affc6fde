import { afterEach, describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import {
  SANDBOX_BAD_PARAMS,
  SANDBOX_BAD_REQUEST,
  type Sandbox,
  startSandbox,
} from '../../../producers/sandbox/server.js';
import { createSyntheticMarket } from '../../../producers/sandbox/synthetic/index.js';
import { TUSHARE_CODE, TUSHARE_MSG, type TushareAnswer } from '../../../producers/tushare/protocol.js';
import { FixtureDataset, wireRows } from '../tushare/dataset-fixture.js';

const sandboxes: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});

const DAILY = endpoint('daily');

async function start(extra: { token?: string } = {}) {
  const dataset = new FixtureDataset({
    daily: wireRows('daily', DAILY.rowLimit + 5),
    shibor: wireRows('shibor', 4),
  });
  const s = await startSandbox({ host: '127.0.0.1', port: 0, dataset, ...extra });
  sandboxes.push(s);
  return { s, dataset };
}

async function post(url: string, body: unknown): Promise<{ status: number; answer: TushareAnswer }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, answer: (await res.json()) as TushareAnswer };
}

const call = (api_name: string, params: Record<string, unknown> = {}, fields: unknown = '', token = 't') => ({
  api_name,
  token,
  params,
  fields,
});

describe('sandbox protocol', () => {
  it('pages by limit and offset and reports has_more', async () => {
    const { s } = await start();
    const first = await post(s.url, call('daily', { limit: 4, offset: 0 }));
    expect(first.status).toBe(200);
    expect(first.answer.code).toBe(0);
    expect(first.answer.data?.items).toHaveLength(4);
    expect(first.answer.data?.has_more).toBe(true);
    const last = await post(s.url, call('daily', { limit: 4, offset: DAILY.rowLimit + 2 }));
    expect(last.answer.data?.items).toHaveLength(3);
    expect(last.answer.data?.has_more).toBe(false);
    const beyond = await post(s.url, call('daily', { limit: 4, offset: 999_999 }));
    expect(beyond.answer.data).toMatchObject({ items: [], has_more: false });
  });

  it('caps limit at the endpoint row limit, and uses it when none is given', async () => {
    const { s } = await start();
    const big = await post(s.url, call('daily', { limit: 1_000_000 }));
    expect(big.answer.data?.items).toHaveLength(DAILY.rowLimit);
    const none = await post(s.url, call('daily', { limit: '', offset: '' }));
    expect(none.answer.data?.items).toHaveLength(DAILY.rowLimit);
    expect(none.answer.data?.has_more).toBe(true);
  });

  it('selects the asked fields in the asked order and ignores unknown ones', async () => {
    const { s } = await start();
    const rows = wireRows('daily', 1);
    const { answer } = await post(s.url, call('daily', { limit: 1 }, 'close, ts_code,no_such_field,close'));
    expect(answer.data?.fields).toEqual(['close', 'ts_code']);
    expect(answer.data?.items).toEqual([[rows[0]?.close, rows[0]?.ts_code]]);
  });

  it('serves every catalog column under its Tushare name when no fields are asked', async () => {
    const { s } = await start();
    const { answer } = await post(s.url, call('shibor', {}, ''));
    expect(answer.data?.fields).toEqual(endpoint('shibor').fields.map((f) => f.tushareName ?? f.name));
    expect(answer.data?.fields).toContain('1w');
    const asArray = await post(s.url, call('shibor', {}, ['1w', 'date']));
    expect(asArray.answer.data?.fields).toEqual(['1w', 'date']);
  });

  it('passes filters to the dataset without paging params or empty values', async () => {
    const { s, dataset } = await start();
    const code = wireRows('daily', 3)[2]?.ts_code as string;
    const { answer } = await post(
      s.url,
      call('daily', { ts_code: code, trade_date: '', limit: 10, offset: 0 }),
    );
    expect(answer.data?.items).toHaveLength(1);
    expect(dataset.queries.at(-1)).toEqual({ apiName: 'daily', params: { ts_code: code } });
  });

  it("answers Tushare's 'no such api' for names outside the catalog or the dataset", async () => {
    const { s } = await start();
    for (const name of ['no_such_api', 'fut_daily']) {
      const { answer } = await post(s.url, call(name));
      expect(answer).toMatchObject({ code: TUSHARE_CODE.token, msg: TUSHARE_MSG.unknownApi, data: null });
    }
  });

  it('checks the token when it has one', async () => {
    const { s } = await start({ token: 'sandbox-token' });
    const wrong = await post(s.url, call('daily', {}, '', 'guess'));
    expect(wrong.answer).toMatchObject({ code: 40101, msg: TUSHARE_MSG.tokenInvalid, data: null });
    const right = await post(s.url, call('daily', { limit: 1 }, '', 'sandbox-token'));
    expect(right.answer.code).toBe(0);
  });

  it('answers unreadable requests with an error answer and keeps serving', async () => {
    const { s } = await start();
    const notJson = await post(s.url, '{"api_name": "daily",');
    expect(notJson).toMatchObject({ status: 200, answer: { code: SANDBOX_BAD_REQUEST, data: null } });
    const noName = await post(s.url, { params: {} });
    expect(noName.answer.code).toBe(SANDBOX_BAD_REQUEST);
    const badParams = await post(s.url, { api_name: 'daily', params: [1, 2] });
    expect(badParams.answer.code).toBe(SANDBOX_BAD_REQUEST);
    const get = await fetch(s.url);
    expect(get.status).toBe(405);
    expect(((await get.json()) as TushareAnswer).code).toBe(SANDBOX_BAD_REQUEST);
    const after = await post(s.url, call('daily', { limit: 1 }));
    expect(after.answer.code).toBe(0);
  });

  it('counts calls per api_name', async () => {
    const { s } = await start();
    await post(s.url, call('daily', { limit: 1 }));
    await post(s.url, call('daily', { limit: 1 }));
    await post(s.url, call('shibor'));
    await post(s.url, call('nope'));
    expect(s.calls()).toEqual({ daily: 2, shibor: 1, nope: 1 });
  });

  it('closes promptly while an answer is held by the latency fault', async () => {
    const { s } = await start();
    s.setFaults({ daily: { latencyMs: 30_000 } });
    const pending = post(s.url, call('daily')).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('sandbox params the dataset rejects', () => {
  it('answers Tushare-style with the rejected param named, not with a 500 a client would retry', async () => {
    const market = createSyntheticMarket({ seed: 7, size: 'tiny' });
    const s = await startSandbox({ host: '127.0.0.1', port: 0, dataset: market });
    sandboxes.push(s);
    const bad = await post(s.url, call('daily', { trade_date: '2024-01-02' }));
    expect(bad.status).toBe(200);
    expect(bad.answer.code).toBe(SANDBOX_BAD_PARAMS);
    expect(bad.answer.msg).toContain('trade_date');
    const good = await post(s.url, call('daily', { trade_date: '20240102' }));
    expect(good.answer.code).toBe(TUSHARE_CODE.ok);
  });
});
