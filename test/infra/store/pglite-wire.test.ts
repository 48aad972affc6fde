import { describe, expect, it } from 'vitest';
import { completeMessagesLength } from '../../../infra/store/pglite-wire.js';

const startup = (body: number) => {
  const b = Buffer.alloc(4 + body);
  b.writeInt32BE(4 + body, 0);
  return b;
};
const message = (type: string, body: number) => {
  const b = Buffer.alloc(5 + body);
  b.write(type, 0);
  b.writeInt32BE(4 + body, 1);
  return b;
};

describe('PGlite wire framing', () => {
  it('passes the startup message only once it is whole', () => {
    const s = startup(30);
    expect(completeMessagesLength(s.subarray(0, 3), true)).toBe(0);
    expect(completeMessagesLength(s.subarray(0, 20), true)).toBe(0);
    expect(completeMessagesLength(s, true)).toBe(34);
  });

  it('cuts after the last whole typed message, keeping a split one for later', () => {
    const parse = message('P', 100);
    const bind = message('B', 300_000);
    const sync = message('S', 0);
    const stream = Buffer.concat([parse, bind, sync]);
    expect(completeMessagesLength(stream, false)).toBe(stream.length);
    expect(completeMessagesLength(stream.subarray(0, parse.length + 65_536), false)).toBe(parse.length);
    expect(completeMessagesLength(stream.subarray(0, parse.length + 2), false)).toBe(parse.length);
    expect(completeMessagesLength(stream.subarray(0, 4), false)).toBe(0);
  });
});
