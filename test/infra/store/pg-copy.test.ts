import { describe, expect, it } from 'vitest';
import { BinaryCopyEncoder, type BinaryType, pgDays } from '../../../infra/store/pg-copy.js';

const ROW: [BinaryType, unknown][] = [
  ['text', 'ação'],
  ['jsonb', { a: [1, 'x'] }],
  ['double precision', -1.5],
  ['boolean', true],
  ['date', '2024-02-29'],
  ['timestamptz', '2000-01-01T00:00:01Z'],
  ['bytea', Buffer.from([0, 255])],
  ['integer', -2],
  ['bigint', 2 ** 40],
  ['text', null],
];

function encode(chunkSize: number, rows: number): Buffer {
  const encoder = new BinaryCopyEncoder(chunkSize);
  for (let r = 0; r < rows; r++) {
    encoder.row(ROW.length);
    for (const [type, value] of ROW) encoder.field(type, value);
  }
  return Buffer.concat(encoder.finish());
}

describe('BinaryCopyEncoder', () => {
  it('writes the signature, each field in its binary form, NULL as length -1, and the trailer', () => {
    const bytes = encode(1024, 1);
    expect(bytes.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    let at = 19;
    expect(bytes.readInt16BE(at)).toBe(ROW.length);
    at += 2;
    const fields: Buffer[] = [];
    for (let i = 0; i < ROW.length; i++) {
      const length = bytes.readInt32BE(at);
      at += 4;
      fields.push(length < 0 ? Buffer.alloc(0) : bytes.subarray(at, at + length));
      if (length < 0) expect(i).toBe(ROW.length - 1);
      at += Math.max(length, 0);
    }
    expect(bytes.readInt16BE(at)).toBe(-1);
    expect(at + 2).toBe(bytes.length);
    expect(fields[0]?.toString('utf8')).toBe('ação');
    expect(fields[1]?.[0]).toBe(1);
    expect(fields[1]?.subarray(1).toString('utf8')).toBe('{"a":[1,"x"]}');
    expect(fields[2]?.readDoubleBE(0)).toBe(-1.5);
    expect(fields[3]?.[0]).toBe(1);
    expect(fields[4]?.readInt32BE(0)).toBe(pgDays('2024-02-29'));
    expect(fields[5]?.readBigInt64BE(0)).toBe(1_000_000n);
    expect([...(fields[6] ?? [])]).toEqual([0, 255]);
    expect(fields[7]?.readInt32BE(0)).toBe(-2);
    expect(fields[8]?.readBigInt64BE(0)).toBe(BigInt(2 ** 40));
  });

  it('gives the same byte stream whatever the chunk size, rows straddling chunks', () => {
    const whole = encode(1 << 20, 50);
    const small = new BinaryCopyEncoder(7);
    small.row(1);
    small.field('text', 'a longer value than one chunk');
    expect(small.finish().length).toBeGreaterThan(1);
    expect(encode(16, 50)).toEqual(whole);
  });

  it('refuses a value of the wrong kind for its type', () => {
    const encoder = new BinaryCopyEncoder();
    encoder.row(1);
    expect(() => encoder.field('double precision', '1.5')).toThrow(TypeError);
    expect(() => encoder.field('date', '20240102')).toThrow(TypeError);
  });
});

describe('pgDays', () => {
  it('counts days from 2000-01-01', () => {
    expect(pgDays('2000-01-01')).toBe(0);
    expect(pgDays('1999-12-31')).toBe(-1);
    expect(pgDays('2024-01-02')).toBe(8767);
  });
});
