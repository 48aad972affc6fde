import { createHash } from 'node:crypto';
import { ENDPOINTS, type EndpointSpec } from './catalog/index.js';
import { P2_SUB_SWITCHES } from './flags.js';

/**
 * Gray release (灰度, DESIGN §10): every P2 module goes live in stages, one step at a time, each
 * step a control event. A module is one P2 sub-switch and the endpoints it turns on; the batch
 * switch and sub-switches stay the roadmap's `rollout_flags_v1`, stages live beside them.
 */
export const GRAY_MODULES = P2_SUB_SWITCHES;
export type GrayModule = (typeof GRAY_MODULES)[number];

export const isGrayModule = (name: string): name is GrayModule =>
  (GRAY_MODULES as readonly string[]).includes(name);

/**
 * `probe`: nothing is fetched until every endpoint of the module passed a permission probe.
 * `canary`: an allow-list, or a small deterministic share of the module's pool.
 * `share:<percent>`: a larger share of the pool. `full`: the whole pool.
 */
export type GrayStage = 'probe' | 'canary' | `share:${number}` | 'full';

export interface GraySettings {
  /** Explicit canary codes; absent: `canaryShare` of each pool. */
  canaryCodes?: readonly string[];
  canaryShare: number;
  /** Shares between canary and full, increasing, each in (0, 1). */
  shares: readonly number[];
  /** Clean trading days a stage needs on its own pool before the next step. */
  requiredDays: number;
}

/** The ladder of stages a module climbs: probe, canary, each configured share, full. */
export function grayLadder(settings: Pick<GraySettings, 'shares'>): GrayStage[] {
  const shares = [...new Set(settings.shares)].filter((s) => s > 0 && s < 1).sort((a, b) => a - b);
  return ['probe', 'canary', ...shares.map((s) => `share:${Math.round(s * 100)}` as GrayStage), 'full'];
}

export const isGrayStage = (text: string): text is GrayStage =>
  text === 'probe' || text === 'canary' || text === 'full' || /^share:(?:[1-9]\d?)$/.test(text);

/** The stage one step up or down the ladder; null past either end. */
export function stepStage(ladder: readonly GrayStage[], stage: GrayStage, step: 1 | -1): GrayStage | null {
  const index = ladder.indexOf(stage);
  if (index < 0) return step === -1 ? (ladder[ladder.length - 2] ?? null) : null;
  return ladder[index + step] ?? null;
}

/** The share of the pool a stage fetches: none while probing, all at full. */
export function stageShare(stage: GrayStage, settings: Pick<GraySettings, 'canaryShare'>): number {
  if (stage === 'probe') return 0;
  if (stage === 'full') return 1;
  if (stage === 'canary') return settings.canaryShare;
  return Number(stage.slice('share:'.length)) / 100;
}

/**
 * Where a code falls in [0, 1) for a module: a hash, so the same code is in or out of a share on
 * every run and every machine, and a larger share keeps every member of a smaller one.
 */
export function shareRank(module: string, code: string): number {
  const digest = createHash('sha256').update(`${module}\u0000${code}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/**
 * The members of a pool a stage fetches. The canary is the allow-list where one is configured (only
 * codes the pool holds), else the share; a share that picks nobody from a small pool takes the one
 * code ranked first, so a canary always has something to prove itself on.
 */
export function grayMembers(
  module: string,
  stage: GrayStage,
  pool: readonly string[],
  settings: Pick<GraySettings, 'canaryCodes' | 'canaryShare'>,
): string[] {
  if (stage === 'full') return [...pool];
  if (stage === 'probe' || pool.length === 0) return [];
  if (stage === 'canary' && settings.canaryCodes !== undefined) {
    const allowed = new Set(settings.canaryCodes);
    return pool.filter((code) => allowed.has(code));
  }
  const share = stageShare(stage, settings);
  const ranked = pool.map((code) => ({ code, rank: shareRank(module, code) }));
  const picked = ranked.filter((r) => r.rank < share).map((r) => r.code);
  if (picked.length > 0) return picked;
  const first = ranked.reduce((a, b) => (b.rank < a.rank ? b : a));
  return [first.code];
}

/** The module an endpoint belongs to; null outside P2. */
export function grayModuleOf(spec: EndpointSpec): GrayModule | null {
  return spec.batch === 'p2' && isGrayModule(spec.switch) ? spec.switch : null;
}

/** Endpoints of a module, in catalog order. */
export const grayEndpoints = (module: GrayModule): EndpointSpec[] =>
  ENDPOINTS.filter((spec) => spec.switch === module);

/** The stages a module fetches at: from canary on. */
export const fetchesAt = (stage: GrayStage | null): boolean => stage !== null && stage !== 'probe';
