/**
 * Gate and phase condition codes in words: the codes stay the stable contract (events, API), the
 * words are what `phase show` and `phase advance` tell a person, so every unmet condition comes
 * with what it means and, where there is one, the command that meets it.
 */
type Describe = (parts: string[]) => string;

const WORDS: Readonly<Record<string, Describe>> = {
  migration_pending: ([name]) => `migration ${name} is not applied: run \`xasset migrate\``,
  topic_missing: ([topic]) => `topic ${topic} does not exist: run \`xasset migrate\``,
  flags_baseline_missing: () =>
    'no flags baseline on record (only the built-in defaults, which a rollback cannot return to): run `xasset migrate`',
  rollback_baseline_missing: () =>
    'no rollback baseline on record (no FlagsChanged restoring an earlier offset): run `xasset migrate`',
  exit_gate_failed: ([gate]) => `the exit gate ${gate} does not hold yet; the conditions below say why`,
  wrong_exit_gate: ([pair]) => `a verdict of the wrong gate was given (${pair})`,
  held_gate_missing: ([gate]) => `gate ${gate}, passed on the way here, has no verdict; it must still hold`,
  held_gate_failed: ([gate]) =>
    `gate ${gate}, passed on the way here, fails now; it must hold before the next phase (P2 needs P0 and P1 stable)`,
  phase_frozen: ([phase]) =>
    `phase ${phase} is frozen after a regression; it advances again once its exit gate holds`,
  final_phase: () => 'E is the last phase; there is nothing to advance to',
  running_residue: ([count]) =>
    `${count} run(s) left running past their heartbeat timeout: \`xasset reap\` closes them as abandoned`,
  clean_days_below_required: () =>
    'fewer clean trading days in a row than required, on both the natural and the as-of clock',
  no_runs: ([date]) => `no finished run of this gate's work on trade date ${date}`,
  run_unfinished: ([date]) => `a run of ${date} is still running`,
  no_as_of_runs: () => 'no run proves any trade date yet (as-of clock)',
  calendar_exhausted: () => 'the trading calendar holds fewer open days than required',
  blocking_run_failed: ([date]) => `a main-chain run of ${date} failed`,
  blocking_run_abandoned: ([date]) => `a main-chain run of ${date} was abandoned`,
  blocking_module_failed: ([date, module]) => `module ${module} failed on ${date}`,
  coverage_unknown: ([date, module]) => `no coverage of ${module} on ${date} (the status matrix has no cell)`,
  coverage_not_applicable: ([date, module]) =>
    `${module} is not applicable on ${date} (switched off, or its phase has not opened)`,
  coverage_below: ([date, module, ratio]) =>
    `coverage of ${module} on ${date} is below the threshold (${ratio})`,
  publication_partial: ([date, module]) =>
    `${module} of ${date} is published in part (fewer rows than its expected set): the next daily run fetches it again`,
  gray_not_full: ([module, stage]) =>
    `P2 module ${module} is at gray stage ${stage}, not full: \`xasset gray show\` says what it waits for`,
  probe_missing: ([api]) => `${api} has no passed permission probe: run \`xasset probe ${api}\``,
  switch_not_in_force: () => 'the module is not in force (its switch is off, or the phase has not opened it)',
  stage_full: () => 'the module is released to its whole pool',
  main_coverage_below_baseline: ([date, module, ratio]) =>
    `main-chain coverage of ${module} on ${date} fell under its baseline (${ratio})`,
};

/** One condition code in words; an unknown code is returned as it is. */
export function describeCondition(code: string): string {
  const [name, ...parts] = code.split(':');
  const describe = name === undefined ? undefined : WORDS[name];
  if (describe === undefined) return code;
  return describe(parts);
}

export interface ExplainedCondition {
  code: string;
  text: string;
}

export const explainConditions = (codes: readonly string[]): ExplainedCondition[] =>
  codes.map((code) => ({ code, text: describeCondition(code) }));
