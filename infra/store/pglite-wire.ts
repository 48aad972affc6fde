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

/** Bytes of the complete messages at the start of `buffer` (the startup message has no type byte). */
export function completeMessagesLength(buffer: Buffer, startup: boolean): number {
  let at = 0;
  let first = startup;
  for (;;) {
    const header = first ? 4 : 5;
    if (buffer.length - at < header) return at;
    const length = buffer.readInt32BE(at + (first ? 0 : 1));
    const total = (first ? 0 : 1) + length;
    if (buffer.length - at < total) return at;
    at += total;
    first = false;
  }
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
      const messages = pending.subarray(0, whole);
      pending = pending.subarray(whole);
      startup = false;
      chain = chain.then(async () => {
        if (socket.destroyed) return;
        try {
          const answer = await db.execProtocolRaw(new Uint8Array(messages));
          if (answer.length > 0 && socket.writable) socket.write(answer);
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
