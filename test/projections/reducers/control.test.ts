import { describe, expect, it } from 'vitest';
import { ControlEvent } from '../../../contracts/events/control.js';
import { controlReducer, PROJECTION_NAMES, PROJECTIONS } from '../../../projections/reducers/control.js';
import { fold, foldFrom, type LoggedEvent, type Reducer } from '../../../projections/reducers/types.js';
import { random, randomLog } from '../generator.js';

const SEEDS = Array.from({ length: 200 }, (_, i) => 1000 + i * 7919);

/** Folds in random chunks, carrying the state across as a runner carries it across checkpoints. */
function foldInChunks<S>(reducer: Reducer<S>, log: LoggedEvent[], seed: number): S {
  const rnd = random(seed);
  let state = reducer.initial();
  for (let at = 0; at < log.length; ) {
    const size = rnd.int(1, 25);
    state = foldFrom(reducer, state, log.slice(at, at + size));
    at += size;
  }
  return state;
}

describe('the control fold, on random valid logs', () => {
  it('the generator writes events the contract accepts', () => {
    for (const { event } of randomLog(1, 500)) expect(ControlEvent.safeParse(event).success).toBe(true);
  });

  it.each(SEEDS.slice(0, 5))('meets every branch of every reducer (seed %i)', (seed) => {
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
    for (const seed of SEEDS) {
      const log = randomLog(seed, random(seed).int(0, 300));
      const cut = random(seed + 1).int(0, log.length);
      const whole = fold(controlReducer, log);
      const resumed = foldFrom(controlReducer, fold(controlReducer, log.slice(0, cut)), log.slice(cut));
      expect(resumed, `seed ${seed}, cut ${cut}`).toEqual(whole);
    }
  });

  it('folding in many chunks with checkpoints in between equals one fold', () => {
    for (const seed of SEEDS) {
      const log = randomLog(seed, 250);
      expect(foldInChunks(controlReducer, log, seed), `seed ${seed}`).toEqual(fold(controlReducer, log));
    }
  });

  it('each projection folded alone equals its part of the combined fold', () => {
    for (const seed of SEEDS.slice(0, 40)) {
      const log = randomLog(seed, 200);
      const combined = fold(controlReducer, log);
      for (const name of PROJECTION_NAMES) {
        expect(fold(PROJECTIONS[name] as Reducer<unknown>, log), `${name}, seed ${seed}`).toEqual(
          combined[name],
        );
      }
    }
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
