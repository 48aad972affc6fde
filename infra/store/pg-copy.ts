import { once } from 'node:events';
import type pg from 'pg';

/** The CopyIn messages node-postgres's Connection has but its type declarations leave out. */
type CopyConnection = pg.Connection & {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
};

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

/** Runs one `COPY … FROM STDIN` statement, streaming `chunks` as its data; the rows the server stored. */
export function copyFromStdin(client: pg.ClientBase, sql: string, chunks: Iterable<Buffer>): Promise<number> {
  return client.query(new CopyFromStdin(sql, chunks)).done;
}

/** The binary types a staging table uses; each has a fixed wire form (PostgreSQL's `*send`). */
export type BinaryType =
  | 'text'
  | 'jsonb'
  | 'double precision'
  | 'boolean'
  | 'date'
  | 'timestamptz'
  | 'bytea'
  | 'integer'
  | 'bigint';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** PostgreSQL's epoch for dates and timestamps, in Unix milliseconds. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Rows in COPY's binary format, cut into CopyData-sized chunks. Binary skips the text escaping on
 * our side and the text parsing on the server's: numbers go as IEEE doubles, dates as day counts.
 * Pure: it only builds buffers.
 */
export class BinaryCopyEncoder {
  readonly #chunkSize: number;
  readonly #chunks: Buffer[] = [];
  #buffer: Buffer;
  #at = 0;

  constructor(chunkSize = 256 * 1024) {
    this.#chunkSize = chunkSize;
    this.#buffer = Buffer.allocUnsafe(chunkSize);
    this.#room(SIGNATURE.length + 8);
    this.#at += SIGNATURE.copy(this.#buffer, this.#at);
    this.#at = this.#buffer.writeInt32BE(0, this.#at); // flags
    this.#at = this.#buffer.writeInt32BE(0, this.#at); // header extension length
  }

  /** Starts a row of `fields` values. */
  row(fields: number): void {
    this.#room(2);
    this.#at = this.#buffer.writeInt16BE(fields, this.#at);
  }

  /** One field of the current row; null and undefined are SQL NULL. */
  field(type: BinaryType, value: unknown): void {
    if (value === null || value === undefined) {
      this.#room(4);
      this.#at = this.#buffer.writeInt32BE(-1, this.#at);
      return;
    }
    switch (type) {
      case 'text':
        this.#text(expect(value, 'string', type), false);
        return;
      case 'jsonb':
        this.#text(typeof value === 'string' ? value : JSON.stringify(value), true);
        return;
      case 'double precision':
        this.#fixed(8);
        this.#at = this.#buffer.writeDoubleBE(expect(value, 'number', type), this.#at);
        return;
      case 'boolean':
        this.#fixed(1);
        this.#at = this.#buffer.writeUInt8(expect(value, 'boolean', type) ? 1 : 0, this.#at);
        return;
      case 'date':
        this.#fixed(4);
        this.#at = this.#buffer.writeInt32BE(pgDays(expect(value, 'string', type)), this.#at);
        return;
      case 'timestamptz': {
        const ms = typeof value === 'string' ? Date.parse(value) : expect(value, 'number', type);
        if (!Number.isFinite(ms)) throw new TypeError(`not a timestamp: ${String(value)}`);
        this.#fixed(8);
        this.#at = this.#buffer.writeBigInt64BE(BigInt(Math.round(ms - PG_EPOCH_MS)) * 1000n, this.#at);
        return;
      }
      case 'bytea': {
        if (!Buffer.isBuffer(value)) throw new TypeError(`bytea needs a Buffer, not ${typeof value}`);
        this.#fixed(value.length);
        this.#at += value.copy(this.#buffer, this.#at);
        return;
      }
      case 'integer':
        this.#fixed(4);
        this.#at = this.#buffer.writeInt32BE(expect(value, 'number', type), this.#at);
        return;
      case 'bigint':
        this.#fixed(8);
        this.#at = this.#buffer.writeBigInt64BE(BigInt(expect(value, 'number', type)), this.#at);
        return;
    }
  }

  /** The trailer, then every chunk; the encoder is spent afterwards. */
  finish(): Buffer[] {
    this.#room(2);
    this.#at = this.#buffer.writeInt16BE(-1, this.#at);
    this.#chunks.push(this.#buffer.subarray(0, this.#at));
    this.#buffer = Buffer.alloc(0);
    this.#at = 0;
    return this.#chunks;
  }

  #text(text: string, jsonb: boolean): void {
    const bytes = Buffer.byteLength(text);
    const length = bytes + (jsonb ? 1 : 0);
    this.#fixed(length);
    if (jsonb) this.#at = this.#buffer.writeUInt8(1, this.#at); // jsonb's binary format version
    this.#at += this.#buffer.write(text, this.#at, 'utf8');
  }

  /** Length word plus room for `length` bytes of value. */
  #fixed(length: number): void {
    this.#room(4 + length);
    this.#at = this.#buffer.writeInt32BE(length, this.#at);
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return;
    // A row may straddle chunks: COPY data is one byte stream, CopyData boundaries mean nothing.
    this.#chunks.push(this.#buffer.subarray(0, this.#at));
    this.#buffer = Buffer.allocUnsafe(Math.max(this.#chunkSize, bytes));
    this.#at = 0;
  }
}

function expect<T extends 'string' | 'number' | 'boolean'>(
  value: unknown,
  kind: T,
  type: BinaryType,
): T extends 'string' ? string : T extends 'number' ? number : boolean {
  if (typeof value !== kind) throw new TypeError(`${type} needs a ${kind}, not ${typeof value}`);
  return value as T extends 'string' ? string : T extends 'number' ? number : boolean;
}

/** `YYYY-MM-DD` as days since 2000-01-01, the binary form of a date. */
export function pgDays(iso: string): number {
  const match = ISO_DATE.exec(iso);
  if (!match) throw new TypeError(`not an ISO date: ${iso}`);
  const [, y = '', m = '', d = ''] = match;
  return (Date.UTC(Number(y), Number(m) - 1, Number(d)) - PG_EPOCH_MS) / DAY_MS;
}

/**
 * Whether the server takes COPY FROM STDIN. PGlite (PostgreSQL compiled to WebAssembly with
 * Emscripten) behind pglite-wire.ts drops the connection on the COPY sub-protocol; it names its
 * compiler in version().
 */
export async function acceptsCopyFromStdin(db: Pick<pg.ClientBase, 'query'>): Promise<boolean> {
  const { rows } = await db.query<{ version: string }>('SELECT version() AS version');
  return !/emscripten/i.test(rows[0]?.version ?? '');
}
