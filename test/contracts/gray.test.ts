import { describe, expect, it } from 'vitest';
import {
  grayLadder,
  grayMembers,
  isGrayStage,
  shareRank,
  stageShare,
  stepStage,
} from '../../contracts/gray.js';

const POOL = Array.from({ length: 400 }, (_, i) => `${String(600000 + i)}.SH`);
const settings = { canaryShare: 0.05 };

describe('gray ladder and pools', () => {
  it('climbs probe → canary → each share → full, and steps one stage at a time', () => {
    const ladder = grayLadder({ shares: [0.5, 0.25, 0.5, 1] });
    expect(ladder).toEqual(['probe', 'canary', 'share:25', 'share:50', 'full']);
    expect(stepStage(ladder, 'canary', 1)).toBe('share:25');
    expect(stepStage(ladder, 'full', 1)).toBeNull();
    expect(stepStage(ladder, 'probe', -1)).toBeNull();
    expect(stepStage(ladder, 'share:50', -1)).toBe('share:25');
    expect(grayLadder({ shares: [] })).toEqual(['probe', 'canary', 'full']);
    expect(['probe', 'canary', 'share:5', 'full'].every(isGrayStage)).toBe(true);
    expect(['share:0', 'share:100', 'shares', 'off'].some(isGrayStage)).toBe(false);
  });

  it('draws a share by a hash of module and code: the same on every call, larger shares keep smaller ones', () => {
    const canary = grayMembers('p2RealtimeEquityEtfV1', 'canary', POOL, settings);
    const quarter = grayMembers('p2RealtimeEquityEtfV1', 'share:25', POOL, settings);
    const half = grayMembers('p2RealtimeEquityEtfV1', 'share:50', POOL, settings);
    expect(grayMembers('p2RealtimeEquityEtfV1', 'canary', POOL, settings)).toEqual(canary);
    expect(canary.length).toBeGreaterThan(5);
    expect(canary.length).toBeLessThan(45);
    expect(half.length).toBeGreaterThan(160);
    expect(half.length).toBeLessThan(240);
    for (const code of canary) expect(quarter).toContain(code);
    for (const code of quarter) expect(half).toContain(code);
    expect(grayMembers('p2RealtimeEquityEtfV1', 'full', POOL, settings)).toEqual(POOL);
    expect(grayMembers('p2RealtimeEquityEtfV1', 'probe', POOL, settings)).toEqual([]);
    // Another module draws another sample of the same pool.
    expect(grayMembers('p2RealtimeIndexV1', 'canary', POOL, settings)).not.toEqual(canary);
    expect(shareRank('m', 'a')).toBeGreaterThanOrEqual(0);
    expect(shareRank('m', 'a')).toBeLessThan(1);
  });

  it('gives a small pool a canary of one code, and an allow-list canary exactly its listed codes', () => {
    const small = ['000001.SZ', '000002.SZ', '000004.SZ'];
    const one = grayMembers('p2RealtimeEquityEtfV1', 'canary', small, { canaryShare: 0.001 });
    expect(one).toHaveLength(1);
    const listed = grayMembers('p2RealtimeEquityEtfV1', 'canary', small, {
      canaryShare: 0.05,
      canaryCodes: ['000002.SZ', '999999.SZ'],
    });
    expect(listed).toEqual(['000002.SZ']);
    expect(stageShare('share:25', settings)).toBe(0.25);
    expect(stageShare('canary', settings)).toBe(0.05);
  });
});
