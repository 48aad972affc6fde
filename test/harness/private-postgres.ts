import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../infra/local/process.js';

const run = promisify(execFile);

/**
 * A PostgreSQL server of one test file's own, from the machine's installed binaries (initdb,
 * pg_ctl) into a temporary folder on a free port: the drill that restarts PostgreSQL must not
 * restart the server every other test shares. PostgreSQL refuses to run as root, so as root the
 * binaries run as the `postgres` account.
 */
export interface PrivatePostgres {
  url: string;
  /**
   * `pg_ctl stop -m fast` (every connection ended), `downMs` of no server, then start again; resolves
   * once it answers, with the time it was away.
   */
  restart(downMs: number): Promise<number>;
  close(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'xasset-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  const pg = async (tool: string, args: string[]) => {
    const bin = join(await binDir(), tool);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...args]) : run(bin, args);
  };
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const ctl = (action: string, extra: string[] = []) =>
    pg('pg_ctl', [action, '-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), ...extra]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  try {
    await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    await ctl('start', ['-o', options]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: async (downMs) => {
      const started = Date.now();
      await ctl('stop', ['-m', 'fast']);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await ctl('start', ['-o', options]);
      return Date.now() - started;
    },
    close: async () => {
      await ctl('stop', ['-m', 'immediate']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let bin: Promise<string> | undefined;

/** Where initdb and pg_ctl live: pg_config knows; Debian keeps them off PATH. */
function binDir(): Promise<string> {
  bin ??= run('pg_config', ['--bindir']).then(({ stdout }) => stdout.trim());
  return bin;
}
