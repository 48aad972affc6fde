import { describe, expect, it } from 'vitest';
import { isoDate, monthEnd, scaleDecimal } from '../../../processors/normalize/values.js';

describe('isoDate', () => {
  it('turns real YYYYMMDD dates into ISO dates', () => {
    expect(isoDate('20240102')).toBe('2024-01-02');
    expect(isoDate('20000229')).toBe('2000-02-29');
    expect(isoDate('20241231')).toBe('2024-12-31');
    // Every day of four years, leap years included, round-trips through Date.
    for (let day = 0; day < 4 * 366; day++) {
      const iso = new Date(Date.UTC(2023, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      expect(isoDate(iso.replaceAll('-', ''))).toBe(iso);
    }
  });

  it('refuses what is not a calendar date in Tushare form', () => {
    for (const bad of ['20240230', '19000229', '20230229', '20241301', '20240001', '20240100', '20240132']) {
      expect(isoDate(bad), bad).toBeUndefined();
    }
    for (const bad of ['2024-01-02', '2024010', '202401021', ' 20240102', 'abcdefgh', '', '18991231']) {
      expect(isoDate(bad), bad).toBeUndefined();
    }
  });

  it('knows month ends', () => {
    expect([monthEnd(2024, 2), monthEnd(2023, 2), monthEnd(2024, 4), monthEnd(2024, 12)]).toEqual([
      '2024-02-29',
      '2023-02-28',
      '2024-04-30',
      '2024-12-31',
    ]);
  });
});

describe('scaleDecimal', () => {
  it('scales by a power of ten without float noise', () => {
    expect(0.29 * 100).not.toBe(29); // the reason it exists
    expect(scaleDecimal(0.29, 100)).toBe(29);
    expect(scaleDecimal(1.1, 100)).toBe(110);
    expect(scaleDecimal(1.005, 1000)).toBe(1005);
    expect(scaleDecimal(1234.56, 100)).toBe(123456);
    expect(scaleDecimal(98765.432, 1000)).toBe(98765432);
    expect(scaleDecimal(0.1, 10_000)).toBe(1000);
    expect(scaleDecimal(-52345.67, 10_000)).toBe(-523456700);
    expect(scaleDecimal(1.5e-7, 100)).toBe(1.5e-5);
    expect(scaleDecimal(12.5, 1e8)).toBe(1.25e9);
    expect(scaleDecimal(7, 1)).toBe(7);
    expect(scaleDecimal(0, 1000)).toBe(0);
  });

  it('equals the decimal product for many generated values', () => {
    for (let i = 0; i < 5_000; i++) {
      const cents = (i * 7919) % 10_000_000;
      const value = cents / 100;
      expect(scaleDecimal(value, 100)).toBe(cents);
      expect(scaleDecimal(value, 1000)).toBe(cents * 10);
    }
  });

  it('refuses a factor that is not a power of ten', () => {
    expect(() => scaleDecimal(1, 250)).toThrow(RangeError);
  });
});
