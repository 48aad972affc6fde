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
 * Runs `build` once per content of `pom`: a marker in `dir` holds the pom's hash, so pinning another
 * version rebuilds and an unchanged pom costs nothing. A build that fails leaves no marker.
 */
export async function onceForPom(
  pom: string,
  dir: string,
  build: () => Promise<void>,
  isComplete: () => Promise<boolean> = async () => true,
): Promise<void> {
  const marker = join(dir, '.built-from');
  const hash = createHash('sha256')
    .update(await readFile(pom, 'utf8'))
    .digest('hex');
  const seen = await readFile(marker, 'utf8').catch(() => '');
  if (seen === hash && (await isComplete())) return;
  await rm(marker, { force: true });
  await mkdir(dir, { recursive: true });
  await build();
  await writeFile(marker, hash);
}

/** Copies the runtime classpath of `pom` into `<cacheDir>/<name>/lib`, once per pom content. */
export async function fetchClasspath(spec: MavenFetch): Promise<string> {
  const dir = join(spec.cacheDir, spec.name);
  const lib = join(dir, 'lib');
  await onceForPom(spec.pom, dir, async () => {
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
  });
  return lib;
}

export function runMaven(name: string, args: string[], cwd?: string): Promise<void> {
  return runToCompletion(name, 'mvn', args, { cwd, missingHint: 'is Maven installed?' });
}
