import { describe, expect, it } from 'vitest';
import { describeCondition, explainConditions } from '../../../projections/gates/conditions.js';

describe('condition codes in words', () => {
  it('explains the foundation conditions with the command that meets them', () => {
    expect(describeCondition('flags_baseline_missing')).toContain('run `xasset migrate`');
    expect(describeCondition('rollback_baseline_missing')).toContain('no rollback baseline on record');
    expect(describeCondition('migration_pending:006_control_plane')).toBe(
      'migration 006_control_plane is not applied: run `xasset migrate`',
    );
  });

  it('puts the date, module and ratio of a gate failure into the sentence', () => {
    expect(describeCondition('coverage_below:20240105:daily:0.9100<0.9800')).toBe(
      'coverage of daily on 20240105 is below the threshold (0.9100<0.9800)',
    );
    expect(describeCondition('held_gate_failed:p0')).toMatch(/^gate p0, passed on the way here, fails now/);
  });

  it('returns a code it does not know as it is, beside its code', () => {
    expect(explainConditions(['something_new:1', 'final_phase'])).toEqual([
      { code: 'something_new:1', text: 'something_new:1' },
      { code: 'final_phase', text: 'E is the last phase; there is nothing to advance to' },
    ]);
  });
});
