import { describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import { readEnvelope, toRows } from '../../../producers/tushare/answer.js';
import { classifyAnswer, TUSHARE_CODE, TUSHARE_MSG } from '../../../producers/tushare/protocol.js';

describe('classifyAnswer', () => {
  it.each([
    [40101, '您的token不对，请确认。', { kind: 'token' }],
    [40101, '请指定正确的接口名', { kind: 'unknown_api' }],
    [
      40203,
      '抱歉，您每分钟最多访问该接口200次，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。',
      { kind: 'rate_limit', window: 'minute', limit: 200 },
    ],
    [
      40203,
      '抱歉，您每小时最多访问该接口1次，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。',
      { kind: 'rate_limit', window: 'hour', limit: 1 },
    ],
    [
      40203,
      '抱歉，您每天最多访问该接口5次，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。',
      { kind: 'rate_limit', window: 'day', limit: 5 },
    ],
    // A limit message without a number still limits; there is just nothing to learn from it.
    [40203, '抱歉，您每分钟最多访问该接口，请稍后', { kind: 'rate_limit', window: 'minute', limit: null }],
    [40203, '抱歉，您没有接口(fund_daily)访问权限', { kind: 'permission' }],
    [40203, '抱歉，您没有访问该接口的权限', { kind: 'permission' }],
    [2002, '没有接口访问权限', { kind: 'permission' }],
    [-2001, '参数错误', { kind: 'other' }],
  ])('code %i, %s', (code, msg, expected) => {
    expect(classifyAnswer(code, msg)).toEqual(expected);
  });

  it('reads back every message the sandbox sends as the class it means', () => {
    expect(classifyAnswer(TUSHARE_CODE.token, TUSHARE_MSG.tokenInvalid).kind).toBe('token');
    expect(classifyAnswer(TUSHARE_CODE.token, TUSHARE_MSG.unknownApi).kind).toBe('unknown_api');
    expect(classifyAnswer(TUSHARE_CODE.limited, TUSHARE_MSG.ratePerMinute(50))).toEqual({
      kind: 'rate_limit',
      window: 'minute',
      limit: 50,
    });
    expect(classifyAnswer(TUSHARE_CODE.limited, TUSHARE_MSG.ratePerHour(7))).toEqual({
      kind: 'rate_limit',
      window: 'hour',
      limit: 7,
    });
    expect(classifyAnswer(TUSHARE_CODE.limited, TUSHARE_MSG.ratePerDay(9))).toEqual({
      kind: 'rate_limit',
      window: 'day',
      limit: 9,
    });
    expect(classifyAnswer(TUSHARE_CODE.limited, TUSHARE_MSG.noPermission('stk_premarket')).kind).toBe(
      'permission',
    );
  });
});

describe('readEnvelope', () => {
  const ok = (data: unknown) => ({ request_id: 'x', code: 0, msg: '', data });

  it('accepts a page with or without has_more', () => {
    expect(readEnvelope(ok({ fields: ['a'], items: [[1]], has_more: true }))).toEqual({
      ok: true,
      fields: ['a'],
      items: [[1]],
      hasMore: true,
    });
    expect(readEnvelope(ok({ fields: ['a'], items: [] }))).toMatchObject({ ok: true, hasMore: undefined });
  });

  it('passes an error answer on with its code and message', () => {
    expect(readEnvelope({ code: 40203, msg: 'm', data: null })).toEqual({ ok: false, code: 40203, msg: 'm' });
  });

  it.each([
    ['not an object', [1, 2]],
    ['code missing', { msg: '', data: null }],
    ['code a string', { code: '0', data: null }],
    ['data null on success', ok(null)],
    ['fields not strings', ok({ fields: [1], items: [] })],
    ['items not a list', ok({ fields: ['a'], items: {} })],
    ['item of the wrong width', ok({ fields: ['a', 'b'], items: [[1, 2], [3]] })],
    ['has_more not a boolean', ok({ fields: ['a'], items: [], has_more: 'yes' })],
  ])('refuses %s', (_name, body) => {
    expect(readEnvelope(body)).toHaveProperty('problem');
  });
});

describe('toRows', () => {
  it('keys rows by catalog names, drops unknown columns and nulls missing catalog fields', () => {
    const rows = toRows('shibor', ['date', '1w', 'surprise', 'on'], [['20240102', 1.5, 'x', null]]);
    expect(Array.isArray(rows)).toBe(true);
    const [row] = rows as Record<string, unknown>[];
    expect(Object.keys(row ?? {}).sort()).toEqual(
      endpoint('shibor')
        .fields.map((f) => f.name)
        .sort(),
    );
    expect(row).toMatchObject({ date: '20240102', w1: 1.5, on: null, y1: null });
    expect(row).not.toHaveProperty('surprise');
  });

  it.each([
    ['a number in a str column', ['ts_code'], [[600000]]],
    ['a string in a float column', ['close'], [['10.5']]],
    ['a number in a date column', ['trade_date'], [[20240102]]],
    ['a boolean in a float column', ['vol'], [[true]]],
  ])('refuses %s', (_name, fields, items) => {
    expect(toRows('daily', fields, items)).toHaveProperty('problem');
  });
});
