import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runToCompletion } from './process.js';

export interface MavenFetch {
  /** Service name, for messages and the cache sub-folder. */
  name: string;
  /** A pom.xml of ours that lists the artifacts to fetch. */
  pom: string;
  /** Cache root shared by all local services. */
  cacheDir: string;
  /** Progress lines for a human; the first fetch takes a while. */
  log?: (line: string) => void;
}

/**
 * Copies the runtime classpath of `pom` into `<cacheDir>/<name>/lib` once. The marker holds the
 * pom's hash, so editing a pinned version refetches and an unchanged pom costs nothing.
 */
export async function fetchClasspath(spec: MavenFetch): Promise<string> {
  const dir = join(spec.cacheDir, spec.name);
  const lib = join(dir, 'lib');
  const marker = join(dir, '.fetched');
  const pomText = await readFile(spec.pom, 'utf8');
  const hash = createHash('sha256').update(pomText).digest('hex');
  const seen = await readFile(marker, 'utf8').catch(() => '');
  if (seen === hash) return lib;

  await rm(lib, { recursive: true, force: true });
  await mkdir(lib, { recursive: true });
  spec.log?.(`${spec.name}: fetching jars from Maven Central (first run only)`);
  await runMaven(spec.name, [
    '-B',
    '-q',
    '-f',
    spec.pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${lib}`,
    '-DincludeScope=runtime',
  ]);
  await writeFile(marker, hash);
  return lib;
}

export function runMaven(name: string, args: string[], cwd?: string): Promise<void> {
  return runToCompletion(name, 'mvn', args, { cwd, missingHint: 'is Maven installed?' });
}
