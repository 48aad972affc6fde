import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Every README of the repository (node_modules and dot folders aside), as [path, text]. */
async function readmes(): Promise<[string, string][]> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const found: [string, string][] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'test-output')
        continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith('.md')) found.push([relative(root, path), await readFile(path, 'utf8')]);
    }
  };
  await walk(root);
  return found;
}

/** Splits one CSV line (RFC 4180 quoting) into its fields. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted) throw new Error(`unclosed quote in: ${line}`);
  fields.push(field);
  return fields;
}

describe('every README', async () => {
  const docs = await readmes();
  const root = fileURLToPath(new URL('..', import.meta.url));

  it('is found', () => {
    expect(docs.map(([path]) => path)).toContain('README.md');
    expect(docs.length).toBeGreaterThan(3);
  });

  it.each(docs)('%s: every relative link points to a file that exists', async (path, text) => {
    const broken: string[] = [];
    for (const match of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = (match[1] as string).split('#')[0] as string;
      if (target === '' || /^[a-z]+:/i.test(target)) continue;
      const resolved = join(root, dirname(path), target);
      if (!(await stat(resolved).catch(() => null))) broken.push(target);
    }
    expect(broken).toEqual([]);
  });

  it.each(docs)('%s: every JSON, JSON-lines and CSV example parses', (path, text) => {
    for (const match of text.matchAll(/^```(json|jsonl|csv)\n([\s\S]*?)^```$/gm)) {
      const [, lang, body] = match as unknown as [string, string, string];
      const where = `${path}: a ${lang} block`;
      if (lang === 'json') expect(() => JSON.parse(body), where).not.toThrow();
      if (lang === 'jsonl') {
        for (const line of body.split('\n').filter((l) => l.trim() !== ''))
          expect(() => JSON.parse(line), `${where}, line ${line.slice(0, 40)}`).not.toThrow();
      }
      if (lang === 'csv') {
        const rows = body
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map(csvFields);
        const width = rows[0]?.length ?? 0;
        expect(width, where).toBeGreaterThan(1);
        for (const row of rows) expect(row.length, `${where}: ${row.join(',').slice(0, 40)}`).toBe(width);
      }
    }
  });

  it('the README carries a JSON example that the test above parses', () => {
    const readme = docs.find(([p]) => p === 'README.md')?.[1] ?? '';
    expect(readme).toMatch(/^```json\n/m);
  });
});
