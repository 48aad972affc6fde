import { describe, expect, it } from 'vitest';
import {
  catalogField,
  ENDPOINTS,
  endpoint,
  endpointsForBatch,
  endpointsForSwitch,
  rawTopic,
  tushareColumn,
} from '../../../contracts/catalog/index.js';
import type { EndpointSpec } from '../../../contracts/catalog/types.js';
import { UnknownEndpointError } from '../../../contracts/errors.js';
import { FLAG_NAMES, P2_SUB_SWITCHES } from '../../../contracts/flags.js';

const specs: readonly EndpointSpec[] = ENDPOINTS;

/** Every api_name DESIGN §3 names, with the switch it must sit under. */
const DESIGN_SECTION_3: Readonly<Record<string, string>> = {
  daily: 'p0Enabled',
  stock_basic: 'p0Enabled',
  trade_cal: 'p0Enabled',
  fund_daily: 'p0Enabled',
  fund_basic: 'p0Enabled',
  fut_daily: 'p0Enabled',
  fut_basic: 'p0Enabled',
  sge_daily: 'p0Enabled',
  sge_basic: 'p0Enabled',
  index_basic: 'p0Enabled',
  fx_daily: 'p1Enabled',
  fx_obasic: 'p1Enabled',
  cn_cpi: 'p1Enabled',
  cn_ppi: 'p1Enabled',
  cn_gdp: 'p1Enabled',
  cn_m: 'p1Enabled',
  shibor: 'p1Enabled',
  us_tycr: 'p1Enabled',
  us_trycr: 'p1Enabled',
  us_tbr: 'p1Enabled',
  rt_idx_k: 'p2RealtimeIndexV1',
  rt_idx_min: 'p2RealtimeIndexV1',
  idx_mins: 'p2RealtimeIndexV1',
  rt_etf_k: 'p2RealtimeEquityEtfV1',
  rt_min: 'p2RealtimeEquityEtfV1',
  stk_mins: 'p2RealtimeEquityEtfV1',
  ft_mins: 'p2FuturesMicrostructureV1',
  fut_wsr: 'p2FuturesMicrostructureV1',
  fut_holding: 'p2FuturesMicrostructureV1',
  stk_premarket: 'p2SpecialPermissionStkPremarketV1',
  index_daily: 'universeIndexDailyEnabled',
  daily_basic: 'universeDailyBasicEnabled',
  moneyflow: 'universeMoneyflowEnabled',
};

const MODULE_CURSORS: Readonly<Record<string, string>> = {
  index_daily: 'universe_index_daily_cursor_v1',
  daily_basic: 'universe_daily_basic_cursor_v1',
  moneyflow: 'universe_moneyflow_cursor_v1',
};

const AVRO_NAME = /^[a-z][a-z0-9_]*$/;

describe('endpoint catalog invariants', () => {
  it('has unique, Avro-safe api names', () => {
    const names = specs.map((s) => s.apiName);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(AVRO_NAME);
  });

  it('holds every api_name of DESIGN §3 under the switch DESIGN gives it', () => {
    for (const [apiName, flag] of Object.entries(DESIGN_SECTION_3)) {
      expect(endpoint(apiName).switch, apiName).toBe(flag);
    }
  });

  it('uses only real flag names, and the batch matches the switch', () => {
    const subSwitches: readonly string[] = P2_SUB_SWITCHES;
    for (const spec of specs) {
      expect(FLAG_NAMES, spec.apiName).toContain(spec.switch);
      if (spec.batch === 'p0') expect(spec.switch, spec.apiName).toBe('p0Enabled');
      if (spec.batch === 'p1') expect(spec.switch, spec.apiName).toBe('p1Enabled');
      if (spec.batch === 'p2') expect(subSwitches, spec.apiName).toContain(spec.switch);
      if (spec.batch === 'module') expect(spec.switch, spec.apiName).toMatch(/^universe.*Enabled$/);
    }
  });

  it('has unique, Avro-safe field and param names per endpoint', () => {
    for (const spec of specs) {
      const fields = spec.fields.map((f) => f.name);
      expect(fields.length, spec.apiName).toBeGreaterThan(0);
      expect(new Set(fields).size, `${spec.apiName} fields`).toBe(fields.length);
      for (const name of fields) expect(name, spec.apiName).toMatch(AVRO_NAME);
      const params = spec.params.map((p) => p.name);
      expect(new Set(params).size, `${spec.apiName} params`).toBe(params.length);
      for (const name of params) expect(name, spec.apiName).toMatch(AVRO_NAME);
    }
  });

  it('builds natural keys and time fields from declared fields', () => {
    for (const spec of specs) {
      const fields = new Set(spec.fields.map((f) => f.name));
      expect(spec.naturalKey.length, spec.apiName).toBeGreaterThan(0);
      expect(new Set(spec.naturalKey).size, spec.apiName).toBe(spec.naturalKey.length);
      for (const key of spec.naturalKey) expect(fields.has(key), `${spec.apiName}.${key}`).toBe(true);
      if (spec.timeField !== undefined) {
        expect(fields.has(spec.timeField), `${spec.apiName}.${spec.timeField}`).toBe(true);
        // A row is placed in time by its key: the time field must be part of it.
        expect(spec.naturalKey, spec.apiName).toContain(spec.timeField);
      }
    }
  });

  it('gives time series a date-like time field and leaves it off pure reference data', () => {
    for (const spec of specs) {
      if (spec.fetchMode !== 'snapshot' || spec.role !== 'reference') {
        expect(spec.timeField, spec.apiName).toBeDefined();
      }
    }
    for (const apiName of [
      'stock_basic',
      'fund_basic',
      'fut_basic',
      'sge_basic',
      'index_basic',
      'fx_obasic',
    ]) {
      expect(endpoint(apiName).timeField, apiName).toBeUndefined();
    }
    const datetimeKeyed = specs.filter(
      (s) => s.role === 'minute' || s.apiName === 'rt_idx_min' || s.apiName === 'rt_min',
    );
    for (const spec of datetimeKeyed) {
      const time = spec.fields.find((f) => f.name === spec.timeField);
      expect(time?.type, spec.apiName).toBe('datetime');
    }
  });

  it('has a positive integer row limit', () => {
    for (const spec of specs) {
      expect(Number.isInteger(spec.rowLimit), spec.apiName).toBe(true);
      expect(spec.rowLimit, spec.apiName).toBeGreaterThan(0);
    }
  });

  it('gives a cursor to module endpoints and only to them', () => {
    for (const spec of specs) {
      if (spec.batch === 'module') expect(spec.cursor, spec.apiName).toBe(MODULE_CURSORS[spec.apiName]);
      else expect(spec.cursor, spec.apiName).toBeUndefined();
    }
    expect(
      endpointsForBatch('module')
        .map((s) => s.apiName)
        .sort(),
    ).toEqual(Object.keys(MODULE_CURSORS).sort());
    const cursors = specs.flatMap((s) => (s.cursor === undefined ? [] : [s.cursor]));
    expect(new Set(cursors).size).toBe(cursors.length);
  });

  it('marks permission-gated endpoints', () => {
    expect(endpoint('stk_premarket').specialPermission).toBe(true);
    for (const spec of specs) {
      if (spec.role === 'minute' || spec.role === 'realtime')
        expect(spec.specialPermission, spec.apiName).toBe(true);
      if (spec.batch === 'p0' || spec.batch === 'p1' || spec.batch === 'module') {
        expect(spec.specialPermission, spec.apiName).toBe(false);
      }
    }
  });

  it('keeps the fetch plan consistent with the params', () => {
    for (const spec of specs) {
      const params = new Set(spec.params.map((p) => p.name));
      if (spec.fetchMode === 'trade_date') expect(params.has('trade_date'), spec.apiName).toBe(true);
      if (spec.fetchMode === 'ts_code') expect(params.has('ts_code'), spec.apiName).toBe(true);
      if (spec.fetchMode === 'date_range') {
        expect(params.has('start_date') && params.has('end_date'), spec.apiName).toBe(true);
      }
      if (spec.fetchMode === 'period') {
        const monthly = params.has('start_m') && params.has('end_m');
        const quarterly = params.has('start_q') && params.has('end_q');
        expect(monthly || quarterly, spec.apiName).toBe(true);
      }
    }
    expect(endpoint('fut_daily').params.map((p) => p.name)).toContain('exchange');
  });

  it('maps every renamed column to a declared field and back', () => {
    for (const spec of ENDPOINTS) {
      for (const field of spec.fields) {
        if (field.tushareName === undefined) continue;
        expect(field.tushareName, `${spec.apiName}.${field.name}`).not.toMatch(AVRO_NAME);
        expect(tushareColumn(spec.apiName, field.name)).toBe(field.tushareName);
        expect(catalogField(spec.apiName, field.tushareName)).toBe(field.name);
      }
    }
    expect(tushareColumn('shibor', 'w1')).toBe('1w');
    expect(tushareColumn('shibor', 'on')).toBe('on');
    expect(tushareColumn('daily', 'vol')).toBe('vol');
    expect(catalogField('daily', 'no_such_column')).toBeUndefined();
  });
});

describe('catalog lookups', () => {
  it('finds an endpoint by name and rejects unknown names', () => {
    expect(endpoint('daily').rowLimit).toBe(6000);
    expect(() => endpoint('no_such_api')).toThrow(UnknownEndpointError);
    try {
      endpoint('no_such_api');
    } catch (err) {
      expect((err as UnknownEndpointError).code).toBe('XASSET_UNKNOWN_ENDPOINT');
    }
  });

  it('names raw topics after the api_name', () => {
    expect(rawTopic('fut_holding')).toBe('tushare.raw.fut_holding');
    expect(() => rawTopic('nope')).toThrow(UnknownEndpointError);
  });

  it('partitions the catalog by switch and by batch', () => {
    const bySwitch = FLAG_NAMES.flatMap((flag) => endpointsForSwitch(flag));
    expect(bySwitch.length).toBe(specs.length);
    expect(endpointsForSwitch('p2Enabled')).toEqual([]);
    expect(endpointsForSwitch('p2SpecialPermissionStkPremarketV1').map((s) => s.apiName)).toEqual([
      'stk_premarket',
    ]);
    const byBatch = (['p0', 'p1', 'p2', 'module'] as const).flatMap((b) => endpointsForBatch(b));
    expect(byBatch.length).toBe(specs.length);
  });
});
