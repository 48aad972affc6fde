import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ProcessStats } from '../processors/processor.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** One `xasset process` as an operator starts it, measured from outside. */
export interface ChildRun {
  stats: ProcessStats;
  /** The kernel's peak resident set size of the process (VmHWM), last read before it exited. */
  peakRssBytes: number;
  /** user + system CPU of the process, last read before it exited. */
  cpuSeconds: number;
}

export interface ChildProcessor {
  /** SIGTERM, as an operator stops `process --follow`: the batch in flight finishes, the report is printed. */
  stop(): Promise<ChildRun>;
  /** Settles when the child ends, whatever the reason; rejects if it failed. */
  readonly exited: Promise<ChildRun>;
}

/** VmHWM (bytes) and utime + stime (seconds; clock ticks are 100 a second on Linux) of a live process. */
async function sample(pid: number): Promise<{ hwm: number; cpu: number } | undefined> {
  try {
    const [status, stat] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
    return { hwm, cpu };
  } catch {
    return undefined;
  }
}

/**
 * Starts `xasset process --follow` in a child with `env` over the caller's environment, and reads
 * its peak RSS and CPU from /proc every 100 ms while it runs (Linux; elsewhere they stay 0).
 */
export function startChildProcessor(env: Record<string, string>): ChildProcessor {
  const child = spawn(process.execPath, ['bin/xasset.js', 'process', '--follow', '--json'], {
    cwd: ROOT,
    env: { ...process.env, XASSET_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let peakRssBytes = 0;
  let cpuSeconds = 0;
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    void sample(child.pid).then((s) => {
      if (!s) return;
      peakRssBytes = Math.max(peakRssBytes, s.hwm);
      cpuSeconds = Math.max(cpuSeconds, s.cpu);
    });
  }, 100);
  const exited = new Promise<ChildRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearInterval(poll);
      if (code !== 0) {
        reject(new Error(`xasset process exited with ${code ?? signal}:\n${stderr.slice(-4_000)}`));
        return;
      }
      resolve({ stats: JSON.parse(stdout) as ProcessStats, peakRssBytes, cpuSeconds });
    });
  });
  exited.catch(() => {});
  return {
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
