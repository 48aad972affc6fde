import { type ApiName, type AssetClass, endpoint } from '../../contracts/catalog/index.js';
import type { Config } from '../../contracts/config.js';
import { ConfigError } from '../../contracts/errors.js';
import type { RunPool } from '../../contracts/events/control.js';
import { isForward } from '../../projections/reducers/cursors.js';
import { cursorName } from './planner.js';

/**
 * Symbol pools of the per-instrument endpoints. A pool is drawn from the reference data of one
 * asset class (what `*_basic` listed, as stored) by a rule from the configuration, resolved once
 * per run before the run starts, and recorded in its RunStarted. A large pool may be sharded
 * (分片): each run then covers the shards done so far plus the next `shardSize` codes, and a shard
 * cursor records where it stopped. The P2 minute universes plug in as more definitions.
 */

/** One instrument of the reference data, as the pool rules see it. */
export interface PoolCandidate {
  tsCode: string;
  /** exchange, or the publishing market of an index (index_basic's `market`). */
  market: string | null;
  /** Absent or null when the reference data does not say. */
  listDate?: string | null;
  delistDate: string | null;
}

export interface PoolDefinition {
  /** The endpoint the pool feeds. */
  apiName: ApiName;
  /** The reference instruments it is drawn from. */
  assetClass: AssetClass;
  /** The whole pool: the members the rule picks, sorted. A configured code the reference lacks throws. */
  members(candidates: readonly PoolCandidate[], today: string): string[];
  /** Codes one run adds at most; absent: the whole pool every run. */
  shardSize?: number;
}

export interface ResolvedPool extends RunPool {
  apiName: ApiName;
  /** Where the shard cursor moves once the run fetched the backfill; absent when it does not move. */
  shardMove?: { cursor: string; value: string; previous: string | null };
}

/** The shard cursor of a sharded endpoint: the last code (in code order) whose history is fetched. */
export const shardCursorName = (apiName: ApiName): string => `${cursorName(endpoint(apiName))}.shard`;

const sorted = (codes: Iterable<string>): string[] => [...new Set(codes)].sort();

/** Configured codes, each checked against the reference: one that is not listed there is named. */
function configured(
  codes: readonly string[],
  candidates: readonly PoolCandidate[],
  setting: string,
  reference: string,
): string[] {
  const known = new Set(candidates.map((c) => c.tsCode));
  const unknown = codes.filter((code) => !known.has(code));
  if (unknown.length > 0) {
    throw new ConfigError([{ path: setting, message: `not served by ${reference}: ${unknown.join(', ')}` }]);
  }
  return sorted(codes);
}

/** P1's FX pairs: the configured whitelist, every pair of which fx_obasic must serve. */
export function fxPool(pairs: readonly string[]): PoolDefinition {
  return {
    apiName: 'fx_daily',
    assetClass: 'fx',
    members: (candidates) => configured(pairs, candidates, 'universe.fxPairs (XASSET_FX_PAIRS)', 'fx_obasic'),
  };
}

/** index_daily's pool: explicit codes, or every live index of the configured markets; sharded. */
export function indexPool(options: {
  markets: readonly string[];
  codes?: readonly string[];
  shardSize: number;
}): PoolDefinition {
  const { codes, markets, shardSize } = options;
  return {
    apiName: 'index_daily',
    assetClass: 'index',
    shardSize,
    members: (candidates, today) =>
      codes !== undefined
        ? configured(codes, candidates, 'universe.indexCodes (XASSET_INDEX_CODES)', 'index_basic')
        : sorted(
            candidates
              .filter((c) => c.market !== null && markets.includes(c.market))
              .filter((c) => c.delistDate === null || c.delistDate > today)
              .map((c) => c.tsCode),
          ),
  };
}

/**
 * Every instrument of the asset class listed on `today`. fut_basic lists contracts months before
 * they trade: one not listed yet has no bar in any window up to today, and every call for it would
 * come back empty.
 */
const live = (candidates: readonly PoolCandidate[], today: string): string[] =>
  sorted(
    candidates
      .filter((c) => (c.listDate ?? null) === null || (c.listDate as string) <= today)
      .filter((c) => c.delistDate === null || c.delistDate > today)
      .map((c) => c.tsCode),
  );

/**
 * The P2 minute universes: every listed stock, the indexes of index_daily's markets (or its
 * explicit codes), every live futures contract. Realtime minute bars draw on the same pools as the
 * history ones. Gray release (contracts/gray.ts) then fetches the share its stage allows.
 */
export function minutePools(universe: Config['universe']): PoolDefinition[] {
  const index = indexPool({ markets: universe.indexMarkets, codes: universe.indexCodes, shardSize: 1 });
  const indexMembers = index.members;
  const stock = (apiName: ApiName): PoolDefinition => ({
    apiName,
    assetClass: 'stock',
    members: live,
  });
  return [
    stock('stk_mins'),
    stock('rt_min'),
    { apiName: 'idx_mins', assetClass: 'index', members: indexMembers },
    { apiName: 'rt_idx_min', assetClass: 'index', members: indexMembers },
    { apiName: 'ft_mins', assetClass: 'futures', members: live },
  ];
}

/** The pools the configuration defines, one per per-instrument endpoint it feeds. */
export function configuredPools(universe: Config['universe']): PoolDefinition[] {
  return [
    fxPool(universe.fxPairs),
    indexPool({
      markets: universe.indexMarkets,
      codes: universe.indexCodes,
      shardSize: universe.indexShardSize,
    }),
    ...minutePools(universe),
  ];
}

/**
 * A resolved pool narrowed to the codes a gray stage fetches: `members` stays the whole pool (what
 * the module is measured against at full), `codes` is the stage's share of it.
 */
export function narrowPool(pool: ResolvedPool, codes: readonly string[]): ResolvedPool {
  const keep = new Set(codes);
  return {
    apiName: pool.apiName,
    members: pool.members,
    codes: pool.codes.filter((code) => keep.has(code)),
    backfill: pool.backfill.filter((code) => keep.has(code)),
  };
}

/**
 * The codes one run fetches. Unsharded: the whole pool. Sharded: the codes up to the shard
 * cursor (their history is in, they only need the days after the endpoint's cursor) and the next
 * `shardSize` codes after it, whose history is fetched from the start (`backfill`). With no
 * reference data at all the pool is empty: nothing can be checked, nothing is fetched.
 */
export function resolvePool(
  definition: PoolDefinition,
  candidates: readonly PoolCandidate[],
  context: { today: string; cursors: Readonly<Record<string, string>> },
): ResolvedPool {
  const { apiName } = definition;
  if (candidates.length === 0) return { apiName, members: [], codes: [], backfill: [] };
  const members = definition.members(candidates, context.today);
  if (definition.shardSize === undefined) {
    return { apiName, members, codes: members, backfill: [] };
  }
  const cursor = shardCursorName(apiName);
  const mark = context.cursors[cursor];
  const covered = members.filter((code) => !isForward(mark, code));
  const backfill = members.filter((code) => isForward(mark, code)).slice(0, definition.shardSize);
  const last = backfill[backfill.length - 1];
  return {
    apiName,
    members,
    codes: [...covered, ...backfill],
    backfill,
    ...(last !== undefined && { shardMove: { cursor, value: last, previous: mark ?? null } }),
  };
}

/** The pools as RunStarted records them. */
export const recordedPools = (pools: readonly ResolvedPool[]): RunPool[] =>
  pools.map(({ apiName, members, codes, backfill }) => ({ apiName, members, codes, backfill }));
