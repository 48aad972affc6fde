import { describe, expect, it } from 'vitest';
import {
  flagsChangeFacts,
  flagsFacts,
  flagsHistoryFacts,
  phaseAdvanceFacts,
  phaseFacts,
  reapFacts,
  verifyFacts,
} from '../../app/control-summary.js';
import { facts } from '../../app/summary.js';
import { DEFAULT_FLAGS } from '../../contracts/flags.js';

describe('the control commands in words', () => {
  it('flags show: the phase, what is stored on and in force, why each difference, the last change', () => {
    const stored = { ...DEFAULT_FLAGS, p0Enabled: true, p1Enabled: true, updatedAt: 1 };
    const text = facts(
      flagsFacts({
        stored,
        effective: { ...stored, p1Enabled: false },
        phase: { current: 'B', frozen: false },
        differences: {
          p1Enabled: {
            reason: 'phase',
            detail: 'p1Enabled takes effect from phase C; the store is in phase B',
          },
        },
        updatedAt: 1,
        source: 'history',
        lastChange: { offset: 7, actor: 'cli', reason: 'open P1', changedAt: '2026-12-02T00:00:00.000Z' },
      }),
    );
    expect(text).toMatch(/^phase\s+B$/m);
    expect(text).toMatch(/^stored on\s+.*p0Enabled, p1Enabled/m);
    expect(text).toMatch(/^in force\s+.*p0Enabled(?!, p1Enabled)/m);
    expect(text).toMatch(/^not in force: p1Enabled\s+p1Enabled takes effect from phase C/m);
    expect(text).toMatch(/^last change\s+offset 7, .* by cli: open P1$/m);
  });

  it('flags set and history: changed or not, one line per change', () => {
    const flags = { ...DEFAULT_FLAGS, updatedAt: Date.UTC(2026, 11, 2) };
    expect(
      facts(flagsChangeFacts({ offset: null, changed: false, stored: flags, effective: flags })),
    ).toMatch(/^flags\s+unchanged/m);
    expect(
      facts(
        flagsChangeFacts({
          offset: 9,
          changed: true,
          stored: flags,
          effective: flags,
          restoredFromOffset: 3,
        }),
      ),
    ).toMatch(/^flags\s+changed at offset 9, restored from offset 3$/m);
    expect(facts(flagsHistoryFacts({ entries: [] }))).toMatch(/no flags change recorded/);
  });

  it('phase show and advance: what the next phase still needs, each condition in words with its code', () => {
    const unmet = [{ code: 'exit_gate_failed:p0', text: 'the exit gate p0 does not hold yet' }];
    const text = facts(
      phaseFacts({
        current: 'B',
        frozen: false,
        frozenReason: null,
        exitGate: 'p0',
        next: null,
        mayAdvance: false,
        unmet,
      }),
    );
    expect(text).toMatch(/^next\s+not yet$/m);
    expect(text).toMatch(/^unmet\s+the exit gate p0 does not hold yet \[exit_gate_failed:p0\]$/m);
    expect(facts(phaseAdvanceFacts({ advanced: true, from: 'A', to: 'B', liftedFreeze: false }))).toMatch(
      /advanced A → B/,
    );
    expect(facts(phaseAdvanceFacts({ advanced: false, phase: 'B', unmet }))).toMatch(/stays B: refused/);
  });

  it('reap and verify', () => {
    expect(facts(reapFacts({ reaped: [] }))).toMatch(/^reaped\s+nothing/m);
    expect(facts(reapFacts({ reaped: [{ runId: 'r1', chain: 'main', silentMs: 90_000 }] }))).toMatch(
      /r1 \(main\), silent 90 s/,
    );
    expect(facts(verifyFacts({ equal: true, tables: [] }))).toMatch(/equal to a rebuild/);
    expect(facts(verifyFacts({ equal: false, tables: [{ table: 'flags_state', rows: [1, 2] }] }))).toMatch(
      /^table flags_state\s+2 rows differ$/m,
    );
  });
});
