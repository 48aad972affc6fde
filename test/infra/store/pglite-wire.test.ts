import { describe, expect, it } from 'vitest';
import { completeMessagesLength, PGLITE_PAGE, pgliteCalls } from '../../../infra/store/pglite-wire.js';

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

describe('PGlite calls', () => {
  const query = (length: number) => message('Q', length - 5);

  it('starts a new call where a message would end on a page edge with more input behind it', () => {
    const stream = Buffer.concat([query(PGLITE_PAGE), query(40), query(PGLITE_PAGE - 40), query(30)]);
    expect(pgliteCalls(stream, false).map((c) => c.length)).toEqual([PGLITE_PAGE, PGLITE_PAGE, 30]);
  });

  it('keeps one call when no message ends on a page edge, or only the last one does', () => {
    const across = Buffer.concat([query(100), query(PGLITE_PAGE), query(50)]);
    expect(pgliteCalls(across, false)).toHaveLength(1);
    const endsOnEdge = Buffer.concat([query(100), query(PGLITE_PAGE - 100)]);
    expect(pgliteCalls(endsOnEdge, false)).toHaveLength(1);
  });

  it('counts the startup message, which has no type byte, in the first call', () => {
    const stream = Buffer.concat([startup(PGLITE_PAGE - 4), query(20)]);
    expect(pgliteCalls(stream, true).map((c) => c.length)).toEqual([PGLITE_PAGE, 20]);
  });
});
