import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { services } from '../../harness/services.js';

describe('PGlite over our wire server', () => {
  it('takes a multi-megabyte bind message that arrives in many TCP chunks', async () => {
    const client = new pg.Client({ connectionString: services().timescaleUrl });
    await client.connect();
    try {
      const values = Array.from({ length: 20_000 }, (_, i) => `${i}:${'x'.repeat(100)}`);
      const { rows } = await client.query<{ n: number; total: string }>(
        'SELECT count(*)::int AS n, sum(length(v))::text AS total FROM unnest($1::text[]) AS t(v)',
        [values],
      );
      expect(rows[0]?.n).toBe(20_000);
      expect(Number(rows[0]?.total)).toBe(values.reduce((sum, v) => sum + v.length, 0));
    } finally {
      await client.end();
    }
  });
});
