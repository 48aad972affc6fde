import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { LocalServiceError } from '../../contracts/errors.js';

/** A long-lived process this project started itself, remembered by the pid file it wrote. */
export interface RunningProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  /** Where the pid and log files live; one folder per local stack. */
  stateDir: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const pidFile = (stateDir: string, name: string) => join(stateDir, `${name}.pid`);
export const logFileOf = (stateDir: string, name: string) => join(stateDir, `${name}.log`);

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM means it exists but belongs to someone else: still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts a detached process whose output goes to a log file, so it outlives the CLI that started
 * it (`xasset services up`) and can later be stopped by the pid it recorded.
 */
export async function spawnDetached(spec: SpawnSpec): Promise<RunningProcess> {
  await mkdir(spec.stateDir, { recursive: true });
  const logFile = logFileOf(spec.stateDir, spec.name);
  const fd = openSync(logFile, 'w');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    const pid = child.pid;
    if (pid === undefined) {
      throw new LocalServiceError(spec.name, `could not spawn ${spec.command}`);
    }
    child.unref();
    await writeFile(pidFile(spec.stateDir, spec.name), String(pid));
    return { name: spec.name, pid, logFile };
  } finally {
    closeSync(fd);
  }
}

/** The process recorded for `name`, if its pid file exists and the process is still alive. */
export async function findRunning(stateDir: string, name: string): Promise<RunningProcess | undefined> {
  let text: string;
  try {
    text = await readFile(pidFile(stateDir, name), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || !isAlive(pid)) return undefined;
  return { name, pid, logFile: logFileOf(stateDir, name) };
}

/**
 * Stops the process group we started (the JVMs fork nothing, but a wrapper script might), first
 * politely so Kafka can close its logs cleanly, then by force.
 */
export async function stopRecorded(stateDir: string, name: string, graceMs = 15_000): Promise<boolean> {
  const running = await findRunning(stateDir, name);
  await rm(pidFile(stateDir, name), { force: true });
  if (!running) return false;
  signalGroup(running.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(running.pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(running.pid)) signalGroup(running.pid, 'SIGKILL');
  while (isAlive(running.pid)) await sleep(50);
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Runs a short-lived tool (Maven, Kafka's storage formatter) to completion; on failure the error
 * carries the tail of its output, which is where the reason is.
 */
export function runToCompletion(
  service: string,
  command: string,
  args: string[],
  options: { cwd?: string; missingHint: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) =>
      reject(
        new LocalServiceError(service, `could not run ${command} (${options.missingHint}): ${err.message}`),
      ),
    );
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new LocalServiceError(service, `${command} exited with ${code}:\n${tail}`));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once a TCP connect to host:port succeeds. */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls `probe` until it answers true. Fails early if the process died, and says where its log is,
 * because "timed out" alone is useless when a JVM refused to start.
 */
export async function waitUntil(
  name: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; pid?: number; logFile?: string; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    if (opts.pid !== undefined && !isAlive(opts.pid)) {
      throw new LocalServiceError(
        name,
        `process ${opts.pid} exited before it was ready; see ${opts.logFile}`,
      );
    }
    await sleep(opts.intervalMs ?? 250);
  }
  throw new LocalServiceError(name, `not ready after ${opts.timeoutMs} ms; see ${opts.logFile ?? 'its log'}`);
}

/** A free TCP port on loopback, for tests and for stacks started with port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
