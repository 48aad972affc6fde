import { z } from 'zod';

/**
 * `rollout_flags_v1`, exactly the roadmap's JSON: the single definition of the flags. Every other
 * place (defaults, events, API bodies, docs) derives from this object.
 */
export const RolloutFlagsV1 = z
  .object({
    p0Enabled: z.boolean(),
    p1Enabled: z.boolean(),
    p2Enabled: z.boolean(),
    universeIndexDailyEnabled: z.boolean(),
    universeDailyBasicEnabled: z.boolean(),
    universeMoneyflowEnabled: z.boolean(),
    p2RealtimeIndexV1: z.boolean(),
    p2RealtimeEquityEtfV1: z.boolean(),
    p2FuturesMicrostructureV1: z.boolean(),
    p2SpecialPermissionStkPremarketV1: z.boolean(),
    /** Milliseconds since the epoch of the last change; set on every change, for audit and rollback. */
    updatedAt: z.number().int().nonnegative(),
  })
  .strict();

export type RolloutFlags = z.infer<typeof RolloutFlagsV1>;

/** Every switch name: the flags minus the audit timestamp. */
export type FlagName = Exclude<keyof RolloutFlags, 'updatedAt'>;

export const FLAG_NAMES = Object.keys(RolloutFlagsV1.shape).filter(
  (key): key is FlagName => key !== 'updatedAt',
);

/** The roadmap's post-verification baseline: batches on, recovery modules off, premarket off. */
export const DEFAULT_FLAGS: RolloutFlags = RolloutFlagsV1.parse({
  p0Enabled: true,
  p1Enabled: true,
  p2Enabled: true,
  universeIndexDailyEnabled: false,
  universeDailyBasicEnabled: false,
  universeMoneyflowEnabled: false,
  p2RealtimeIndexV1: true,
  p2RealtimeEquityEtfV1: true,
  p2FuturesMicrostructureV1: true,
  p2SpecialPermissionStkPremarketV1: false,
  updatedAt: 0,
});

/** The p2 sub-switches, which have no effect while `p2Enabled` is false. */
export const P2_SUB_SWITCHES = [
  'p2RealtimeIndexV1',
  'p2RealtimeEquityEtfV1',
  'p2FuturesMicrostructureV1',
  'p2SpecialPermissionStkPremarketV1',
] as const satisfies readonly FlagName[];

/** What is actually in force: stored switches with the p2 master switch applied. */
export function effectiveFlags(stored: RolloutFlags): RolloutFlags {
  if (stored.p2Enabled) return stored;
  const effective = { ...stored };
  for (const name of P2_SUB_SWITCHES) effective[name] = false;
  return effective;
}
