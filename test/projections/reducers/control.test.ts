import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ControlEvent } from '../../../contracts/events/control.js';
import { controlReducer, PROJECTION_NAMES, PROJECTIONS } from '../../../projections/reducers/control.js';
import { fold, foldFrom, type LoggedEvent, type Reducer } from '../../../projections/reducers/types.js';
import { controlLogs, randomLog } from '../generator.js';
import { ev, T0 } from '../spec.js';

const SEEDS = [1000, 8919, 16838, 24757, 32676];

/** Folds in chunks of the given sizes (cycled), carrying the state across as a runner does across checkpoints. */
function foldInChunks<S>(reducer: Reducer<S>, log: LoggedEvent[], sizes: readonly number[]): S {
  let state = reducer.initial();
  for (let at = 0, i = 0; at < log.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    state = foldFrom(reducer, state, log.slice(at, at + size));
    at += size;
  }
  return state;
}

describe('the control fold, on random valid logs', () => {
  it('the generator writes events the contract accepts', () => {
    for (const { event } of randomLog(1, 500)) expect(ControlEvent.safeParse(event).success).toBe(true);
  });

  it.each(SEEDS)('meets every branch of every reducer (seed %i)', (seed) => {
    const log = randomLog(seed, 400);
    const state = fold(controlReducer, log);
    expect(Object.keys(state.runs.runs).length).toBeGreaterThan(0);
    expect(state.cursors.regressions.length).toBeGreaterThan(0);
    expect(state.flags.history.length).toBeGreaterThan(0);
    expect(state.gates.history.length).toBeGreaterThan(0);
    expect(state.alerts.alerts.length).toBeGreaterThan(0);
    expect(Object.values(state.runs.runs).some((r) => r.status !== 'running')).toBe(true);
  });

  it('folding from scratch equals folding a prefix and continuing from its state: fold(a ++ b) = fold(b, fold(a))', () => {
    fc.assert(
      fc.property(controlLogs(300), fc.nat({ max: 300 }), ({ seed, length }, at) => {
        const log = randomLog(seed, length);
        const cut = Math.min(at, log.length);
        const whole = fold(controlReducer, log);
        const resumed = foldFrom(controlReducer, fold(controlReducer, log.slice(0, cut)), log.slice(cut));
        expect(resumed).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('folding in many chunks with checkpoints in between equals one fold', () => {
    fc.assert(
      fc.property(
        controlLogs(250),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 40 }),
        ({ seed, length }, sizes) => {
          const log = randomLog(seed, length);
          expect(foldInChunks(controlReducer, log, sizes)).toEqual(fold(controlReducer, log));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a batch folded at once (applyAll) equals its events applied one by one, for every projection', () => {
    const oneByOne = <S>(reducer: Reducer<S>, state: S, log: LoggedEvent[]) =>
      log.reduce((s, { event, meta }) => reducer.apply(s, event, meta), state);
    fc.assert(
      fc.property(controlLogs(300), fc.nat({ max: 300 }), ({ seed, length }, at) => {
        const log = randomLog(seed, length);
        const cut = Math.min(at, log.length);
        for (const reducer of [controlReducer, ...Object.values(PROJECTIONS)] as Reducer<unknown>[]) {
          const before = oneByOne(reducer, reducer.initial(), log.slice(0, cut));
          const batched =
            reducer.applyAll?.(before, log.slice(cut)) ?? foldFrom(reducer, before, log.slice(cut));
          expect(batched, reducer.name).toEqual(oneByOne(reducer, before, log.slice(cut)));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the gray history (no GrayStageChanged in the random logs) folds a batch as it folds event by event', () => {
    const stages = ['probe', 'canary', 'bad-stage', 'share:50', 'full'];
    const log: LoggedEvent[] = stages.map((to, i) => ({
      event: ev('GrayStageChanged', { module: i % 2 ? 'stk_mins' : 'ft_mins', to }, T0 + i),
      meta: { offset: i, timestamp: T0 + i },
    }));
    const reducer = PROJECTIONS.grayHistory;
    const first = reducer.apply(reducer.initial(), log[0]?.event as ControlEvent, {
      offset: 0,
      timestamp: T0,
    });
    const oneByOne = log.slice(1).reduce((s, { event, meta }) => reducer.apply(s, event, meta), first);
    const batched = reducer.applyAll?.(first, log.slice(1));
    expect(batched).toEqual(oneByOne);
    // 'bad-stage' is no gray stage: skipped either way.
    expect(oneByOne.history.map((h) => h.stage)).toEqual(['probe', 'canary', 'share:50', 'full']);
  });

  it('each projection folded alone equals its part of the combined fold', () => {
    fc.assert(
      fc.property(controlLogs(200), ({ seed, length }) => {
        const log = randomLog(seed, length);
        const combined = fold(controlReducer, log);
        for (const name of PROJECTION_NAMES) {
          expect(fold(PROJECTIONS[name] as Reducer<unknown>, log), name).toEqual(combined[name]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('is deterministic and does not mutate the state it is given', () => {
    const log = randomLog(42, 300);
    const half = fold(controlReducer, log.slice(0, 150));
    const frozen = structuredClone(half);
    const a = foldFrom(controlReducer, half, log.slice(150));
    const b = foldFrom(controlReducer, half, log.slice(150));
    expect(half).toEqual(frozen);
    expect(a).toEqual(b);
  });

  it('an event no projection cares about leaves the very same state object', () => {
    const state = fold(controlReducer, randomLog(7, 50));
    const [first] = randomLog(7, 1);
    const unknownRun = {
      event: {
        ...(first as LoggedEvent).event,
        type: 'RunHeartbeat',
        payload: { runId: 'nobody', rowsSoFar: 1 },
      },
      meta: { offset: 50, timestamp: 0 },
    } as LoggedEvent;
    expect(controlReducer.apply(state, unknownRun.event, unknownRun.meta)).toBe(state);
  });
});
