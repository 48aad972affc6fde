import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreLockedError } from '../../../contracts/errors.js';
import { commandOf, lockDir } from '../../../infra/store/dir-lock.js';

describe('lockDir', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'xasset-lock-'));
    dir = join(root, 'pglite');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('lets one holder in, refuses the next with its pid and command, and frees the folder on release', async () => {
    const lock = await lockDir(dir);
    const holder = JSON.parse(await readFile(`${dir}.lock`, 'utf8'));
    expect(holder.pid).toBe(process.pid);

    const refused = await lockDir(dir).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(StoreLockedError);
    expect((refused as StoreLockedError).message).toContain(`pid ${process.pid} (${holder.command})`);

    await lock.release();
    const again = await lockDir(dir);
    await again.release();
  });

  it('takes over the lock of a process that is gone', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(`${dir}.lock`, JSON.stringify({ pid: dead, command: 'xasset demo', since: 'then' }));
    const lock = await lockDir(dir);
    expect(JSON.parse(await readFile(`${dir}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock whose pid was handed to another process since', async () => {
    // Our own pid, but a start time that is not ours: the recorded holder is not this process.
    await writeFile(
      `${dir}.lock`,
      JSON.stringify({
        pid: process.pid,
        command: 'xasset serve',
        started: 'not-a-start-time',
        since: 'then',
      }),
    );
    const lock = await lockDir(dir).catch((err: unknown) => err);
    // Only Linux tells start times; elsewhere a live pid is trusted and the lock is refused.
    if (process.platform === 'linux') {
      expect(lock).not.toBeInstanceOf(Error);
      await (lock as Awaited<ReturnType<typeof lockDir>>).release();
    } else {
      expect(lock).toBeInstanceOf(StoreLockedError);
    }
  });
});

describe('commandOf', () => {
  it('names the program as a user typed it', () => {
    expect(commandOf(['/usr/bin/node', '/x/bin/xasset.js', 'demo', '--days', '5'])).toBe(
      'xasset demo --days 5',
    );
    expect(commandOf(['/usr/bin/node'])).toBe('node');
  });
});
