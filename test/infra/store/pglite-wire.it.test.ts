import { createHash } from 'node:crypto';
import { connect } from 'node:net';
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

  it('answers every query of a pipeline whose first message ends on an 8 KiB edge', async () => {
    const url = new URL(services().timescaleUrl);
    const socket = connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    const readyCount = () => {
      // ReadyForQuery is 'Z', length 5; count whole messages, not stray bytes.
      const all = Buffer.concat(received);
      let n = 0;
      for (let at = 0; at + 5 <= all.length; ) {
        if (all[at] === 0x5a) n += 1;
        at += 1 + all.readInt32BE(at + 1);
      }
      return n;
    };
    const until = (count: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${readyCount()} of ${count} answers`)), 10_000);
        const check = () => {
          if (readyCount() < count) return;
          clearTimeout(timer);
          socket.off('data', onData);
          resolve();
        };
        const onData = (chunk: Buffer) => {
          received.push(chunk);
          check();
        };
        socket.on('data', onData);
        check();
      });
    const startup = (() => {
      const body = Buffer.from(
        `user\0${url.username || 'postgres'}\0database\0${url.pathname.slice(1) || 'postgres'}\0\0`,
      );
      const head = Buffer.alloc(8);
      head.writeInt32BE(8 + body.length, 0);
      head.writeInt32BE(196_608, 4);
      return Buffer.concat([head, body]);
    })();
    const query = (sql: string, length?: number) => {
      const text = length === undefined ? sql : `${sql} --${'x'.repeat(length - 5 - sql.length - 3 - 1)}`;
      const body = Buffer.from(`${text}\0`);
      const head = Buffer.alloc(5);
      head.write('Q', 0);
      head.writeInt32BE(4 + body.length, 1);
      return Buffer.concat([head, body]);
    };
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.write(startup);
      await new Promise<void>((resolve) =>
        socket.once('data', (chunk: Buffer) => {
          // An MD5 challenge (as PGlite's server sends) is answered; trust goes straight on.
          if (chunk[0] === 0x52 && chunk.readInt32BE(5) === 5) {
            const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
            const user = url.username || 'postgres';
            const inner = md5(`${decodeURIComponent(url.password)}${user}`);
            const password = Buffer.from(
              `md5${md5(Buffer.concat([Buffer.from(inner), chunk.subarray(9, 13)]))}\0`,
            );
            const head = Buffer.alloc(5);
            head.write('p', 0);
            head.writeInt32BE(4 + password.length, 1);
            socket.write(Buffer.concat([head, password]));
          } else received.push(chunk);
          resolve();
        }),
      );
      await until(1);
      const first = query('SELECT 1', 8192);
      expect(first.length).toBe(8192);
      socket.write(Buffer.concat([first, query('SELECT 2')]));
      await until(3);
      expect(readyCount()).toBe(3);
    } finally {
      socket.destroy();
    }
  });
});
