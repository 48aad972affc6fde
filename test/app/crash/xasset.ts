import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `xasset` child: the real CLI entry, as an operator starts it. */
export interface XassetChild {
  child: ChildProcess;
  exited: Promise<Exit>;
  /** SIGKILL: no handler runs, no batch finishes, no RunFinished is written. */
  kill(): Promise<Exit>;
}

/** Children still running; a test that fails midway kills them with `killLeftovers`. */
const running = new Set<XassetChild>();

export function startXasset(args: readonly string[], env: Record<string, string>): XassetChild {
  const child = spawn(process.execPath, ['bin/xasset.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const handle: XassetChild = {
    child,
    exited,
    kill: async () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
  running.add(handle);
  void exited.finally(() => running.delete(handle)).catch(() => {});
  return handle;
}

export async function killLeftovers(): Promise<void> {
  await Promise.all([...running].map((c) => c.kill()));
}

/** Runs a command to its end and returns its JSON report; anything but exit 0 fails with its stderr. */
export async function runXasset<T = Record<string, unknown>>(
  args: readonly string[],
  env: Record<string, string>,
): Promise<T> {
  const exit = await startXasset(args, env).exited;
  if (exit.code !== 0) {
    throw new Error(
      `xasset ${args.join(' ')} exited with ${exit.code ?? exit.signal}:\n${exit.stderr.slice(-4_000)}`,
    );
  }
  return JSON.parse(exit.stdout) as T;
}

/**
 * Polls `check` until it returns a value; fails naming `what` after `timeoutMs`. With `child`, it
 * also fails, with the child's output, when the child ends first (the moment to kill it was
 * missed, or it failed), and kills a child still running when it gives up.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; everyMs: number; child?: XassetChild },
): Promise<T> {
  let exit: Exit | undefined;
  void options.child?.exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (exit) {
      throw new Error(
        `gave up waiting for ${what}: the process ended with ${exit.code ?? exit.signal}\n${exit.stderr.slice(-4_000)}`,
      );
    }
    if (Date.now() > deadline) {
      await options.child?.kill();
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs));
  }
}
