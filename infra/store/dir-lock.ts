import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { StoreLockedError } from '../../contracts/errors.js';

/** Who holds a lock: written into the lock file so the process refused can name it. */
export interface LockHolder {
  pid: number;
  command: string;
  /** When the holder process started (Linux clock ticks since boot), to tell a recycled pid from it. */
  started?: string;
  since: string;
}

export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** `xasset demo --days 5`, not `/usr/bin/node /abs/path/bin/xasset.js demo --days 5`. */
export function commandOf(argv: readonly string[] = process.argv): string {
  const script = argv[1];
  if (!script) return basename(argv[0] ?? 'node');
  const name = basename(script).replace(/\.(js|ts|mjs)$/, '');
  return [name, ...argv.slice(2)].join(' ');
}

/** Whether a process with this pid exists now (a pid we may not signal still exists). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the recorded holder still runs: its pid is alive and, where /proc tells, that pid is
 * still the same program (after a reboot or a long time, pids are handed out again).
 */
function holderRuns(holder: LockHolder): boolean {
  if (!alive(holder.pid)) return false;
  const started = startTimeOf(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

/** Field 22 of /proc/<pid>/stat; undefined where there is no /proc. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      command: parsed.command ?? '?',
      ...(typeof parsed.started === 'string' && { started: parsed.started }),
      since: parsed.since ?? '?',
    };
  } catch {
    return undefined;
  }
}

/**
 * An exclusive lock on a folder that only one process may write (an embedded PGlite data folder:
 * two WASM backends on one folder corrupt it). The lock is a file created with O_EXCL beside the
 * folder, holding the holder's pid and command. A lock whose holder is gone (killed, crashed) is
 * taken over; a live one is refused with a StoreLockedError naming it. Released on close and, as
 * a last resort, when the process exits.
 */
export async function lockDir(dir: string, lockPath = `${dir}.lock`): Promise<DirLock> {
  const me: LockHolder = {
    pid: process.pid,
    command: commandOf(),
    ...(startTimeOf(process.pid) !== undefined && { started: startTimeOf(process.pid) }),
    since: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = await readHolder(lockPath);
      // A holder that is half-written (it is between open and write) is alive by definition.
      if (holder && holderRuns(holder)) throw new StoreLockedError(dir, holder);
      if (!holder && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (await readHolder(lockPath)) continue;
      }
      if (attempt >= 5) throw new StoreLockedError(dir, holder ?? { pid: 0, command: 'unknown' });
      // The holder is gone: take its place, unless someone else just did (then look again).
      if ((await readHolder(lockPath))?.pid !== holder?.pid) continue;
      await unlink(lockPath).catch(() => undefined);
    }
  }
  const releaseSync = () => {
    try {
      if (JSON.parse(readFileSync(lockPath, 'utf8')).pid === process.pid) unlinkSync(lockPath);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', releaseSync);
  return {
    path: lockPath,
    release: async () => {
      process.off('exit', releaseSync);
      releaseSync();
    },
  };
}
