import { describe, expect, it } from 'vitest';
import { DEFAULT_PROCESSOR_NAME } from '../../contracts/config.js';
import type { ProcessStats } from '../../processors/processor.js';
import { type Sandbox, startSandbox } from '../../producers/sandbox/server.js';
import { embeddedBackend } from './crash/backend.js';
import { pollUntil, runXasset, startXasset } from './crash/xasset.js';
import {
  expectCaughtUp,
  expectSandboxRows,
  type FetchReport,
  fetchArgs,
  openDrillWorld,
  runStatuses,
  sleep,
} from './drills/world.js';

/**
 * Fault drill: the Tushare sandbox dies while it holds a page request, and comes back on the same
 * port a second later. The event log is the embedded one: the drill is about the HTTP source.
 */
describe('fault drills: the Tushare source dies in the middle of a page', () => {
  it('the call in flight is a transient failure, retried with backoff and counted; the run ends ok with every row', async () => {
    const w = await openDrillWorld(embeddedBackend(), { from: '20240102', to: '20240109' });
    let second: Sandbox | undefined;
    try {
      const port = Number(new URL(w.sandbox.url).port);
      // Every answer is held a while, so the moment to die is while a page request waits for one.
      w.sandbox.setFaults({ '*': { latencyMs: 150 } });
      const fetch = startXasset(fetchArgs(w), w.env);
      await pollUntil(
        'a daily page request in flight',
        async () => ((w.sandbox.calls().daily ?? 0) >= 3 ? true : undefined),
        { timeoutMs: 60_000, everyMs: 2, child: fetch },
      );
      const inFlight = w.sandbox.calls().daily ?? 0;
      // close() ends the held request without an answer and drops every connection: a server that died.
      await w.sandbox.close();
      await sleep(1_000);
      second = await startSandbox({ host: '127.0.0.1', port, dataset: w.market });
      const exit = await fetch.exited;
      expect(exit.code, exit.stderr.slice(-2_000)).toBe(0);
      const report = JSON.parse(exit.stdout) as FetchReport;
      expect(report.status).toBe('ok');
      const [run] = report.runs;
      console.log(
        `[drill] Tushare died on daily call ${inFlight}: ${run?.stats.retries} retries, errors ${JSON.stringify(run?.stats.errorsByClass)}`,
      );
      // The cut page and every call refused while the server was down: transient, retried, counted.
      expect(run?.stats.retries).toBeGreaterThanOrEqual(1);
      expect(Object.keys(run?.stats.errorsByClass ?? {})).toEqual(['XASSET_TUSHARE_TRANSIENT']);
      expect(run?.stats.errorsByClass.XASSET_TUSHARE_TRANSIENT).toBe(run?.stats.retries);
      // The day whose page was cut came from the second server, whole.
      expect(second.calls().daily ?? 0).toBeGreaterThanOrEqual(1);

      const processed = await runXasset<ProcessStats>(['process'], w.env);
      expect(processed.lagAtEnd).toBe(0);
      expect(processed.deadLettered.total).toBe(0);
      await expectSandboxRows(w);
      await expectCaughtUp(w, DEFAULT_PROCESSOR_NAME);
      expect(Object.values(await runStatuses(w))).toEqual(['ok']);
    } finally {
      await second?.close();
      await w.close();
    }
  }, 180_000);
});
