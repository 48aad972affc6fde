import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { onceForPom } from '../../../infra/local/maven.js';

let dir: string;
let pom: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xasset-maven-'));
  pom = join(dir, 'pom.xml');
  await writeFile(pom, '<project><version>1</version></project>');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onceForPom', () => {
  it('builds once per pom content, again when the pom changes, and again after a failed build', async () => {
    let builds = 0;
    const build = async () => {
      builds++;
    };
    const cache = join(dir, 'cache');
    await onceForPom(pom, cache, build);
    await onceForPom(pom, cache, build);
    expect(builds).toBe(1);

    await writeFile(pom, '<project><version>2</version></project>');
    await expect(
      onceForPom(pom, cache, async () => {
        throw new Error('network down');
      }),
    ).rejects.toThrow('network down');
    await onceForPom(pom, cache, build);
    expect(builds).toBe(2);

    // A cache whose product went missing is rebuilt even though the pom did not change.
    await onceForPom(pom, cache, build, async () => false);
    expect(builds).toBe(3);
  });
});
