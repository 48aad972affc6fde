import { once } from 'node:events';
import type pg from 'pg';

/** The CopyIn messages node-postgres's Connection has but its type declarations leave out. */
type CopyConnection = pg.Connection & {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
};

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format (tab-separated, `\N` for null, bytea as `\\x<hex>`). */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  // The backslash of bytea's hex form is itself escaped: COPY unescapes once, bytea input once more.
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}

/** Rows as COPY text, about `rowsPerChunk` lines per CopyData message. */
export function* copyChunks(rows: Iterable<readonly unknown[]>, rowsPerChunk = 1_000): Generator<Buffer> {
  let lines: string[] = [];
  for (const row of rows) {
    lines.push(`${row.map(copyField).join('\t')}\n`);
    if (lines.length >= rowsPerChunk) {
      yield Buffer.from(lines.join(''));
      lines = [];
    }
  }
  if (lines.length > 0) yield Buffer.from(lines.join(''));
}

/**
 * `COPY … FROM STDIN` on node-postgres alone (no pg-copy-streams): a Submittable is the hook pg
 * offers for protocol flows it does not model (pg-cursor and pg-query-stream use it too). The
 * client hands it the connection on CopyInResponse; it streams CopyData, honouring the socket's
 * back-pressure, then CopyDone, and resolves with the row count of CommandComplete.
 */
class CopyFromStdin implements pg.Submittable {
  readonly done: Promise<number>;
  #rows = 0;
  #resolve!: (rows: number) => void;
  #reject!: (err: unknown) => void;
  #failed = false;

  constructor(
    private readonly sql: string,
    private readonly chunks: Iterable<Buffer>,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  submit(connection: pg.Connection): void {
    connection.query(this.sql);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    this.#stream(connection).catch((err: unknown) => {
      // The server answers CopyFail with an error, which reaches handleError and rejects `done`.
      connection.sendCopyFail(err instanceof Error ? err.message : String(err));
    });
  }

  async #stream(connection: CopyConnection): Promise<void> {
    for (const chunk of this.chunks) {
      if (this.#failed) return;
      connection.sendCopyFromChunk(chunk);
      if (connection.stream.writableNeedDrain) await once(connection.stream, 'drain');
    }
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text: string }): void {
    this.#rows = Number(message.text.split(' ')[1] ?? Number.NaN);
  }

  handleReadyForQuery(): void {
    this.#resolve(this.#rows);
  }

  handleError(err: unknown): void {
    this.#failed = true;
    this.#reject(err);
  }
}

/** Copies rows (values in `columns` order) into `table`; returns the rows the server stored. */
export async function copyFrom(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly unknown[]>,
): Promise<number> {
  const list = columns.map((c) => `"${c}"`).join(', ');
  return client.query(new CopyFromStdin(`COPY "${table}" (${list}) FROM STDIN`, copyChunks(rows))).done;
}
