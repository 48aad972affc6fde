import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConfigSchema, ENV_VARS } from '../contracts/config.js';

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration variable the code reads, and no other', () => {
    const documented = [...readme.matchAll(/^\| `([A-Z_]+)`\s*\|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ENV_VARS).sort());
  });

  it('states the defaults the config schema really applies', () => {
    const defaults = ConfigSchema.shape.server.parse({});
    const defaultOf = (name: string) =>
      readme.match(new RegExp(`^\\| \`${name}\`\\s*\\| \`([^\`]+)\``, 'm'))?.[1];
    expect(defaultOf('XASSET_HTTP_PORT')).toBe(String(defaults.port));
    expect(defaultOf('XASSET_HTTP_HOST')).toBe(defaults.host);
  });

  it('names npm test as the test command', () => {
    expect(readme).toMatch(/```sh\nnpm test\n```/);
  });
});
