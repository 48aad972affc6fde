import { createHash } from 'node:crypto';

export interface RawPage<T> {
  /** Rows in this page, as served (their count drives the offset). */
  count: number;
  /** A digest of the page's items; two equal digests in a row mean the server is looping. */
  digest: string;
  hasMore: boolean | undefined;
  value: T;
}

export interface PagingOptions {
  /** The endpoint's row limit: the `limit` sent, and the size of a full page. */
  limit: number;
  pageCap: number;
  /** Builds the error for a server that will not stop; thrown by the pager. */
  fail: (reason: 'page_cap' | 'page_repeat', page: number, message: string) => Error;
}

export const itemsDigest = (items: unknown): string =>
  createHash('sha256').update(JSON.stringify(items)).digest('hex');

/**
 * Walks `offset` forward one page at a time. It stops on `has_more === false` or on a page shorter
 * than the limit (old answers carry no `has_more`), and refuses to go on when a page repeats the one
 * before it or the page count would pass the cap: a broken or hostile server never makes it loop.
 */
export async function* pageThrough<T>(
  fetchPage: (page: number, offset: number) => Promise<RawPage<T>>,
  options: PagingOptions,
): AsyncGenerator<{ page: number; offset: number; value: T }> {
  let previous: string | undefined;
  let offset = 0;
  for (let page = 0; ; page++) {
    if (page >= options.pageCap)
      throw options.fail('page_cap', page, `more than ${options.pageCap} pages (the page cap)`);
    const raw = await fetchPage(page, offset);
    if (raw.digest === previous) throw options.fail('page_repeat', page, 'page repeats the previous page');
    previous = raw.digest;
    yield { page, offset, value: raw.value };
    if (raw.hasMore === false || raw.count < options.limit) return;
    offset += raw.count;
  }
}
