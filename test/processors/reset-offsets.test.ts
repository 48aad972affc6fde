import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../contracts/errors.js';
import { parseResetSpec } from '../../processors/reset-offsets.js';

describe('parseResetSpec: <topic>[:<partition>]=earliest|<offset>', () => {
  it('reads a whole topic, one partition, earliest or an offset', () => {
    expect(parseResetSpec('tushare.raw.daily=earliest')).toEqual({
      topic: 'tushare.raw.daily',
      to: 'earliest',
    });
    expect(parseResetSpec('tushare.raw.daily:3=840')).toEqual({
      topic: 'tushare.raw.daily',
      partition: 3,
      to: 840,
    });
  });

  it.each([
    'tushare.raw.daily',
    'tushare.raw.daily=latest',
    'tushare.raw.daily:x=0',
    '=0',
    'a:1=-5',
    'a b=0',
  ])('refuses %s with a typed error naming the option', (text) => {
    expect(() => parseResetSpec(text)).toThrow(ValidationError);
    expect(() => parseResetSpec(text)).toThrow(/--reset-offsets/);
  });
});
