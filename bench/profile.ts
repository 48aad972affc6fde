/**
 * CPU profiles of one phase of a bench (`--profile FILE`), and their summary. `node --cpu-prof`
 * profiles the whole run (generating records, COPY, the naive consumer); these cover only the
 * phase the ratio is about, so the summary's shares are shares of it.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

/** Starts the V8 sampling profiler; the returned function stops it and writes the profile. */
export async function startProfile(file: string): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  // 200 µs: fine enough for a phase of seconds, coarse enough not to slow it much.
  await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
  await post(session, 'Profiler.start');
  return async () => {
    const { profile } = await post<{ profile: CpuProfile }>(session, 'Profiler.stop');
    session.disconnect();
    await writeFile(file, JSON.stringify(profile));
    return profile;
  };
}

/** Where a frame's code lives, coarse enough to read the profile at a glance. */
export function categoryOf(url: string, functionName: string): string {
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  if (functionName === '(garbage collector)') return 'GC';
  if (url === '') return 'native / V8';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? url;
  if (url.startsWith('node:'))
    return url
      .replace(/^node:(internal\/)?/, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  const own = /\/(app|bench|contracts|infra|processors|producers|projections)\/(.+?)\.ts$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

export interface ProfileShare {
  name: string;
  ms: number;
  share: number;
}

/** Self time per category and per function, largest first. */
export function summarizeProfile(
  profile: CpuProfile,
  top = 25,
): { byCategory: ProfileShare[]; byFunction: ProfileShare[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // A sample's delta is the time since the one before it, so it belongs to that earlier sample.
    const next = profile.timeDeltas[i + 1] ?? 0;
    self.set(id, (self.get(id) ?? 0) + next);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const category = categoryOf(url, functionName);
    categories.set(category, (categories.get(category) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${category}:${lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return { byCategory: rank(categories), byFunction: rank(functions) };
}

export function formatSummary(summary: ReturnType<typeof summarizeProfile>): string {
  const lines = (rows: ProfileShare[]) =>
    rows.map(
      (r) => `${(r.share * 100).toFixed(1).padStart(5)} %  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`,
    );
  return [
    'self time by category:',
    ...lines(summary.byCategory),
    '',
    'self time by function:',
    ...lines(summary.byFunction),
  ].join('\n');
}
