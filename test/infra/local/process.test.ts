import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalServiceError } from '../../../contracts/errors.js';
import {
  findRunning,
  isAlive,
  runToCompletion,
  spawnDetached,
  stopRecorded,
  waitUntil,
} from '../../../infra/local/process.js';
import { attachIfRunning } from '../../../infra/local/service.js';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'xasset-process-'));
});
afterEach(async () => {
  await stopRecorded(stateDir, 'sleeper', 1_000);
  await rm(stateDir, { recursive: true, force: true });
});

const ctx = () => ({ cacheDir: stateDir, stateDir, log: () => {} });

describe('local process management', () => {
  it('remembers a detached process by its pid file and stops it', async () => {
    const started = await spawnDetached({ name: 'sleeper', command: 'sleep', args: ['30'], stateDir });
    expect(isAlive(started.pid)).toBe(true);
    expect((await findRunning(stateDir, 'sleeper'))?.pid).toBe(started.pid);
    expect(await stopRecorded(stateDir, 'sleeper', 2_000)).toBe(true);
    expect(isAlive(started.pid)).toBe(false);
    expect(await findRunning(stateDir, 'sleeper')).toBeUndefined();
    expect(await stopRecorded(stateDir, 'sleeper')).toBe(false);
  });

  it('fails a readiness wait at once when the process dies, pointing at its log', async () => {
    const started = await spawnDetached({
      name: 'sleeper',
      command: 'sh',
      args: ['-c', 'echo boom; exit 3'],
      stateDir,
    });
    const began = Date.now();
    const error = await waitUntil('sleeper', async () => false, {
      timeoutMs: 20_000,
      pid: started.pid,
      logFile: started.logFile,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LocalServiceError);
    expect((error as Error).message).toContain(started.logFile);
    expect(Date.now() - began).toBeLessThan(5_000);
  });

  it('reports a tool that fails with the tail of its output', async () => {
    const error = await runToCompletion('test', 'sh', ['-c', 'echo the reason >&2; exit 7'], {
      missingHint: 'sh',
    }).catch((err: unknown) => err);
    expect((error as Error).message).toMatch(/exited with 7:\nthe reason/);
    await expect(
      runToCompletion('test', 'no-such-tool-xasset', [], { missingHint: 'install it' }),
    ).rejects.toThrow(/could not run no-such-tool-xasset \(install it\)/);
  });

  it('reuses a running service that answers, and refuses one that does not', async () => {
    const started = await spawnDetached({ name: 'sleeper', command: 'sleep', args: ['30'], stateDir });
    const service = { name: 'sleeper' as never, address: (port: number) => `x:${port}` };
    const attached = await attachIfRunning(ctx(), { ...service, ready: async () => true }, 1234);
    expect(attached).toMatchObject({ pid: started.pid, address: 'x:1234', startupMs: 0 });
    await expect(attachIfRunning(ctx(), { ...service, ready: async () => false }, 1234)).rejects.toThrow(
      /already running as pid/,
    );
    await stopRecorded(stateDir, 'sleeper', 1_000);
    expect(await attachIfRunning(ctx(), { ...service, ready: async () => true }, 1234)).toBeUndefined();
  });
});
