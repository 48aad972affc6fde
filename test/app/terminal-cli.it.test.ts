import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../contracts/config.js';
import { addDays, chinaDate } from '../../contracts/dates.js';
import { createSyntheticMarket } from '../../producers/sandbox/synthetic/index.js';
import { xassetCli } from '../harness/cli.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../harness/services.js';

const exec = promisify(execFile);

/** One argument for a POSIX shell, quoted. */
const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * The CLI as a person at a terminal meets it: util-linux `script` runs it on a pseudo-terminal
 * (stdin and stdout are TTYs), so the human summary and the `--yes` question are what it prints.
 */
async function onTerminal(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; text: string }> {
  const command = ['node', 'bin/xasset.js', ...args].map(quote).join(' ');
  try {
    const { stdout } = await exec('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, ...env },
      timeout: 240_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, text: stdout.replaceAll('\r\n', '\n') };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, text: e.stdout.replaceAll('\r\n', '\n') };
  }
}

describe('xasset on a terminal: summaries, --json, and a long catch-up asking for --yes', () => {
  let db: IsolatedDatabase;
  let stateDir: string;
  let env: Record<string, string>;
  const market = createSyntheticMarket({ seed: loadConfig({}).sandbox.seed, size: 'tiny' });

  beforeAll(async () => {
    db = await isolatedSchema(services().postgresUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'xasset-terminal-'));
    env = {
      XASSET_LOG: 'embedded',
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      XASSET_LOG_LEVEL: 'warn',
      XASSET_SANDBOX_SIZE: 'tiny',
    };
    const migrated = await xassetCli(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.drop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('control commands print a short summary on a terminal, the JSON document with --json or off one', async () => {
    const shown = await onTerminal(['flags', 'show'], env);
    expect(shown.code, shown.text).toBe(0);
    expect(shown.text).toMatch(/^phase\s+A$/m);
    expect(shown.text).toMatch(/^not in force: p0Enabled\s+p0Enabled takes effect from phase B/m);
    expect(() => JSON.parse(shown.text)).toThrow();

    const json = await onTerminal(['flags', 'show', '--json'], env);
    expect(json.code, json.text).toBe(0);
    expect(JSON.parse(json.text)).toMatchObject({ phase: { current: 'A' } });
    const piped = await xassetCli(['flags', 'show'], env);
    expect(JSON.parse(piped.stdout)).toEqual(JSON.parse(json.text));

    const phase = await onTerminal(['phase', 'show'], env);
    expect(phase.code, phase.text).toBe(0);
    expect(phase.text).toMatch(/^phase\s+A$/m);
    expect(phase.text).toMatch(/^exit gate\s+/m);
  });

  it('a fetch with every endpoint switched off says so: skipped, with the switch, not a bare ok', async () => {
    const day = market
      .tradingDays()
      .filter((d) => d <= chinaDate())
      .at(-1) as string;
    const off = await onTerminal(
      ['fetch', '--apis', 'stk_premarket', '--sandbox', '--from', day, '--to', day, '--force-phase', 'test'],
      env,
    );
    expect(off.code, off.text).toBe(0);
    expect(off.text).toMatch(
      /^job\s+ok \(exit 0\): nothing fetched: all 1 endpoints skipped \(1 switched off\)$/m,
    );
    expect(off.text).toMatch(/^apis skipped\s+stk_premarket: p2SpecialPermissionStkPremarketV1 is false$/m);
  });

  it('run asks for --yes before a catch-up of more than 31 days, and goes ahead with it', async () => {
    // One old day of `daily` puts its cursor far behind today: the next run is a long catch-up.
    const today = chinaDate();
    const old = market
      .tradingDays()
      .filter((d) => d <= addDays(today, -45))
      .at(-1) as string;
    const seeded = await xassetCli(
      [
        'fetch',
        '--apis',
        'daily',
        '--sandbox',
        '--from',
        old,
        '--to',
        old,
        '--force-phase',
        'test: an old cursor',
      ],
      env,
    );
    expect(seeded.code, seeded.stderr).toBe(0);

    const asked = await onTerminal(['run', '--apis', 'daily', '--sandbox', '--force-phase', 'test'], env);
    expect(asked.code, asked.text).toBe(2);
    expect(asked.text).toMatch(
      new RegExp(
        `^xasset: XASSET_VALIDATION_FAILED: .*--yes: the catch-up spans \\d+ days \\(${addDays(old, 1)} … ${today}\\): confirm with --yes`,
        'm',
      ),
    );
    expect(asked.text.split('\n').filter((l) => l.trim() !== '')).toHaveLength(1);

    const confirmed = await onTerminal(
      ['run', '--apis', 'daily', '--sandbox', '--force-phase', 'test', '--yes'],
      env,
    );
    expect(confirmed.code, confirmed.text).toBe(0);
    expect(confirmed.text).toMatch(
      new RegExp(
        `^catch-up\\s+${addDays(old, 1)} … ${today}: \\d+ calendar days \\(more than 31 days\\)$`,
        'm',
      ),
    );
    expect(confirmed.text).toMatch(/^job\s+ok \(exit 0\)$/m);
    expect(confirmed.text).toMatch(/^processed\s+/m);
  });
});
