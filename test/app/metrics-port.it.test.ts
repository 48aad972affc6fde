import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { numberOf, parseExposition, sampleOf } from '../harness/exposition.js';

const run = promisify(execFile);

/**
 * An operator scraping a long-running `xasset process --follow`: with XASSET_METRICS_PORT set, the
 * process serves what it does, as it does it, and only that.
 */
describe('xasset process --follow with XASSET_METRICS_PORT', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('serves its processor and process metrics while it follows, and no control-plane families', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'xasset-metrics-'));
    dirs.push(stateDir);
    const env = { ...process.env, XASSET_STATE_DIR: stateDir, XASSET_SANDBOX_SIZE: 'tiny' };
    const fetched = await run(
      process.execPath,
      // A fresh store is in phase A: the backfill is forced past the phase rules, reason recorded.
      [
        'bin/xasset.js',
        'fetch',
        '--sandbox',
        '--apis',
        'daily',
        '--from',
        '20240102',
        '--to',
        '20240104',
        '--force-phase',
        'metrics test backfill',
      ],
      { env: { ...env, XASSET_LOG_LEVEL: 'warn' }, timeout: 180_000 },
    );
    const report = JSON.parse(fetched.stdout) as { runs: { stats: { rowsEmitted: number } }[] };
    const emitted = report.runs.reduce((sum, r) => sum + r.stats.rowsEmitted, 0);
    expect(emitted).toBeGreaterThan(0);

    const child = spawn(process.execPath, ['bin/xasset.js', 'process', '--follow'], {
      env: { ...env, XASSET_METRICS_PORT: '0', XASSET_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout.resume();
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const found = stderr.match(/"url":"(http:\/\/[^"]+\/metrics)".*"metrics served"/);
          if (found?.[1]) resolve(found[1]);
        });
        void exited.then((code) => reject(new Error(`process exited ${code} before serving:\n${stderr}`)));
      });

      // It follows: poll until every fetched record is counted.
      let m = parseExposition(await (await fetch(url)).text());
      for (let i = 0; i < 120 && numberOf(m, 'xasset_processor_records_total') !== emitted; i++) {
        await delay(1000);
        m = parseExposition(await (await fetch(url)).text());
      }
      expect(numberOf(m, 'xasset_processor_records_total')).toBe(emitted);
      expect(numberOf(m, 'xasset_processor_rows_total', { outcome: 'inserted' })).toBeGreaterThan(0);
      expect(numberOf(m, 'xasset_processor_rows_total', { outcome: 'duplicate' })).toBe(0);
      expect(Number(sampleOf(m, 'xasset_processor_batch_duration_seconds')?.count)).toBeGreaterThan(0);
      expect(numberOf(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // The control plane is read from the projections by serve's API, not guessed here.
      for (const name of ['xasset_phase', 'xasset_phase_frozen', 'xasset_runs_stale', 'xasset_gate_passed'])
        expect(m.has(name), name).toBe(false);
      expect((await fetch(url.replace(/\/metrics$/, '/status'))).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 300_000);
});
