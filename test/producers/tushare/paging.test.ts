import { describe, expect, it } from 'vitest';
import { itemsDigest, pageThrough, type RawPage } from '../../../producers/tushare/paging.js';

class PagingError extends Error {
  constructor(
    readonly reason: string,
    readonly page: number,
  ) {
    super(reason);
  }
}

const options = (limit: number, pageCap = 100) => ({
  limit,
  pageCap,
  fail: (reason: string, page: number) => new PagingError(reason, page),
});

/** A server over `total` numbered rows whose has_more answer is chosen by the test. */
function server(
  total: number,
  hasMore: (offset: number, count: number) => boolean | undefined,
  limit: number,
) {
  const offsets: number[] = [];
  const fetch = async (_page: number, offset: number): Promise<RawPage<number[]>> => {
    offsets.push(offset);
    const items = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => offset + i);
    return {
      count: items.length,
      digest: itemsDigest(items),
      hasMore: hasMore(offset, items.length),
      value: items,
    };
  };
  return { fetch, offsets };
}

async function drain<T>(gen: AsyncGenerator<{ value: T }>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of gen) out.push(p.value);
  return out;
}

describe('pageThrough', () => {
  it('stops on a short page even when has_more is absent', async () => {
    const s = server(25, () => undefined, 10);
    const pages = await drain(pageThrough(s.fetch, options(10)));
    expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(s.offsets).toEqual([0, 10, 20]);
  });

  it('stops on a short page even when has_more wrongly says true', async () => {
    const s = server(25, () => true, 10);
    await drain(pageThrough(s.fetch, options(10)));
    expect(s.offsets).toEqual([0, 10, 20]);
  });

  it('stops on has_more false after a full page', async () => {
    const s = server(20, (offset, count) => offset + count < 20, 10);
    await drain(pageThrough(s.fetch, options(10)));
    expect(s.offsets).toEqual([0, 10]);
  });

  it('without has_more, a full last page costs one empty call', async () => {
    const s = server(20, () => undefined, 10);
    const pages = await drain(pageThrough(s.fetch, options(10)));
    expect(s.offsets).toEqual([0, 10, 20]);
    expect(pages.at(-1)).toEqual([]);
  });

  it('fails on a page equal to the previous one', async () => {
    const fetch = async (): Promise<RawPage<number[]>> => ({
      count: 10,
      digest: itemsDigest([1, 2, 3]),
      hasMore: true,
      value: [],
    });
    await expect(drain(pageThrough(fetch, options(10)))).rejects.toMatchObject({
      reason: 'page_repeat',
      page: 1,
    });
  });

  it('fails instead of fetching past the page cap', async () => {
    const s = server(1_000, () => true, 10);
    await expect(drain(pageThrough(s.fetch, options(10, 4)))).rejects.toMatchObject({
      reason: 'page_cap',
      page: 4,
    });
    expect(s.offsets).toEqual([0, 10, 20, 30]);
  });
});
