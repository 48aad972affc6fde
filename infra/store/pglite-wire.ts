import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Serves a PGlite instance over the PostgreSQL wire protocol on TCP, one client at a time.
 *
 * pglite-socket (0.0.19) hands every TCP chunk to PGlite as it arrives. A protocol message larger
 * than one chunk (a multi-row INSERT of a few hundred kilobytes) then reaches the WASM backend cut
 * in two, and it aborts with `RuntimeError: unreachable`, taking the process down. This server
 * buffers the stream and passes only whole messages, one call at a time, in arrival order.
 */
export interface PgliteWireServer {
  port: number;
  close(): Promise<void>;
}

/** End offsets of the whole messages at the start of `buffer` (the startup message has no type byte). */
function* messageEnds(buffer: Buffer, startup: boolean): Generator<number> {
  let at = 0;
  let first = startup;
  for (;;) {
    const header = first ? 4 : 5;
    if (buffer.length - at < header) return;
    const length = buffer.readInt32BE(at + (first ? 0 : 1));
    const total = (first ? 0 : 1) + length;
    if (buffer.length - at < total) return;
    at += total;
    first = false;
    yield at;
  }
}

/** Bytes of the complete messages at the start of `buffer`. */
export function completeMessagesLength(buffer: Buffer, startup: boolean): number {
  let whole = 0;
  for (const end of messageEnds(buffer, startup)) whole = end;
  return whole;
}

/**
 * PGlite (0.3.x) reads a call's input in pages of this many bytes, and when a message ends exactly on
 * a page edge with more input after it, it silently drops the rest of the call: no answer, no error,
 * and a client waiting for ReadyForQuery waits forever. Shown with two simple queries whose first is
 * 8,192 bytes long; in the product it was a staging INSERT whose Parse and Bind together filled 8,192.
 */
export const PGLITE_PAGE = 8192;

/**
 * Cuts whole messages into the calls to hand PGlite, one after another: a new call starts wherever a
 * message would otherwise end on a page edge with more input behind it in the same call.
 */
export function pgliteCalls(messages: Buffer, startup: boolean): Buffer[] {
  const calls: Buffer[] = [];
  let from = 0;
  for (const end of messageEnds(messages, startup)) {
    if (end < messages.length && (end - from) % PGLITE_PAGE === 0) {
      calls.push(messages.subarray(from, end));
      from = end;
    }
  }
  calls.push(messages.subarray(from));
  return calls;
}

export async function servePglite(
  db: PGlite,
  options: { host: string; port: number; queueTimeoutMs: number; onError?: (err: unknown) => void },
): Promise<PgliteWireServer> {
  const waiting: { socket: Socket; timer: NodeJS.Timeout }[] = [];
  const open = new Set<Socket>();
  let active: Socket | null = null;

  const next = () => {
    if (active) return;
    const entry = waiting.shift();
    if (!entry) return;
    clearTimeout(entry.timer);
    if (entry.socket.destroyed) return next();
    attach(entry.socket);
  };

  const attach = (socket: Socket) => {
    active = socket;
    let pending: Buffer = Buffer.alloc(0);
    let startup = true;
    let chain = Promise.resolve();
    const release = () => {
      if (active !== socket) return;
      active = null;
      next();
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const whole = completeMessagesLength(pending, startup);
      if (whole === 0) return;
      const calls = pgliteCalls(pending.subarray(0, whole), startup);
      pending = pending.subarray(whole);
      startup = false;
      chain = chain.then(async () => {
        if (socket.destroyed) return;
        try {
          for (const call of calls) {
            const answer = await db.execProtocolRaw(new Uint8Array(call));
            if (answer.length > 0 && socket.writable) socket.write(answer);
          }
        } catch (err) {
          options.onError?.(err);
          socket.destroy();
        }
      });
    });
    socket.on('close', () => {
      // Wait for the messages in flight, so the next client never overlaps this one's backend work.
      void chain.then(release);
    });
    socket.resume();
  };

  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', (err) => options.onError?.(err));
    socket.pause();
    const timer = setTimeout(() => {
      const index = waiting.findIndex((w) => w.socket === socket);
      if (index >= 0) waiting.splice(index, 1);
      socket.destroy();
    }, options.queueTimeoutMs);
    waiting.push({ socket, timer });
    next();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: async () => {
      for (const w of waiting.splice(0)) clearTimeout(w.timer);
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
