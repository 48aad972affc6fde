import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { xassetCli } from '../harness/cli.js';
import { numberOf, parseExposition, sampleOf } from '../harness/exposition.js';

/** A second CLI process on the same state folder. */
const xasset = (args: string[], stateDir: string) => xassetCli(args, { XASSET_STATE_DIR: stateDir }, 120_000);

/**
 * The README's main command, as a user runs it on a machine with nothing started: the embedded
 * store and log, an in-process sandbox, a backfill, a summary, then the status API left up.
 */
describe('xasset demo', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('backfills P0 and P1 from the sandbox, prints the summary and serves the status API until stopped', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'xasset-demo-'));
    dirs.push(stateDir);
    const child = spawn(process.execPath, ['bin/xasset.js', 'demo', '--days', '7'], {
      env: {
        ...process.env,
        XASSET_STATE_DIR: stateDir,
        XASSET_SANDBOX_SIZE: 'tiny',
        XASSET_HTTP_PORT: '0',
        XASSET_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = stdout.match(/status API and page at (http:\/\/\S+?)\/ /);
        if (found?.[1]) resolve(found[1]);
      });
      void exited.then((code) =>
        reject(new Error(`demo exited ${code} before serving:\n${stdout}\n${stderr}`)),
      );
    });
    try {
      expect(stdout).toMatch(/^fetch job\s+ok: 3 runs, \d+ calls/m);
      expect(stdout).toMatch(/^dead letters\s+0$/m);
      // A line per run: the reference snapshots, then the two batches of the main chain.
      for (const run of ['reference', 'p0', 'p1']) {
        expect(stdout).toMatch(new RegExp(`^${run}\\s+ok\\s+[1-9][\\d,]*\\s+[1-9][\\d,]*\\s+\\d+$`, 'm'));
      }
      for (const assetClass of ['etf', 'futures', 'fx', 'spot', 'stock']) {
        expect(stdout).toMatch(new RegExp(`^${assetClass}\\s+\\d+\\s+\\d+\\s+\\d+$`, 'm'));
      }
      // P1's whitelist: the eight default pairs, one call each; macro series stored.
      expect(stdout).toMatch(/^fx_daily\s+8$/m);
      expect(stdout).toMatch(/^macro\s+[1-9][\d,]* observations of [1-9]\d* series$/m);
      expect(stdout).toMatch(/^daily\s+\d+$/m);
      const status = await fetch(`${address}/status`);
      expect(status.status).toBe(200);
      const runs = (await (await fetch(`${address}/runs`)).json()) as { runs: { status: string }[] };
      expect(runs.runs.map((r) => r.status)).toContain('ok');
      const page = await fetch(`${address}/`);
      expect(await page.text()).toContain('<table');

      // The same process fetched and processed: its /metrics counts what the summary says.
      const m = parseExposition(await (await fetch(`${address}/metrics`)).text());
      const count = (pattern: RegExp) => Number(stdout.match(pattern)?.[1]?.replaceAll(',', ''));
      expect(numberOf(m, 'xasset_tushare_requests_total', { api_name: 'daily', outcome: 'ok' })).toBe(
        count(/^daily\s+(\d+)$/m),
      );
      const fetched = m.get('xasset_fetch_rows_total')?.metrics.reduce((sum, s) => sum + Number(s.value), 0);
      expect(fetched).toBe(count(/^rows\s+([\d,]+) fetched/m));
      expect(numberOf(m, 'xasset_processor_rows_total', { outcome: 'inserted' })).toBe(
        count(/^processed\s+[\d,]+ records: ([\d,]+) new rows/m),
      );
      expect(Number(sampleOf(m, 'xasset_processor_batch_duration_seconds')?.count)).toBeGreaterThan(0);
      expect(numberOf(m, 'xasset_phase_frozen')).toBe(0);
      expect(numberOf(m, 'xasset_flag_enabled', { flag: 'p0Enabled', view: 'effective' })).toBe(1);

      // One writer per embedded store: even a read-only command would open a second WASM backend.
      const second = await xasset(
        ['flags', 'set', 'p1Enabled=false', '--reason', 'while demo serves'],
        stateDir,
      );
      expect(second.code).toBe(1);
      expect(second.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^xasset: XASSET_STORE_LOCKED: .* in use by pid \d+ \(xasset demo --days 7\)/),
      ]);
      expect(second.stderr).toContain(`pid ${child.pid} `);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);

    // After both stopped, the store opens and holds what the demo wrote, and takes the change now.
    const set = await xasset(['flags', 'set', 'p1Enabled=false', '--reason', 'after the demo'], stateDir);
    expect(set.code, set.stderr).toBe(0);
    const verified = await xasset(['projections', 'verify'], stateDir);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout).equal).toBe(true);
    const snapshot = JSON.parse((await xasset(['gate', 'snapshot'], stateDir)).stdout) as {
      gates: { gate: string }[];
    };
    expect(snapshot.gates.map((g) => g.gate)).toContain('p0');
  }, 240_000);
});
