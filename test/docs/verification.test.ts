import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The handoff documents (roadmap exit criterion 4). The verification page names, per roadmap rule,
 * the tests that prove it; this keeps those names true as tests are renamed or removed.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

const HANDOFF = [
  'overview',
  'plan',
  'implementation-notes',
  'architecture',
  'verification',
  'pitfalls',
  'roadmap',
];
const docs = readdirSync(`${root}docs`).filter((f) => f.endsWith('.md'));

interface Row {
  id: string;
  tests: { file: string; title: string }[];
}

function rules(): Row[] {
  const rows: Row[] = [];
  for (const line of read('docs/05-verification.md').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const id = cells[1] ?? '';
    if (!/^[A-Z]+\d+[a-z]?$/.test(id)) continue;
    const tests = [...(cells[3] ?? '').matchAll(/`(test\/[^`]+\.ts)`: "([^"]+)"/g)].map((m) => ({
      file: m[1] as string,
      title: m[2] as string,
    }));
    rows.push({ id, tests });
  }
  return rows;
}

describe('docs/', () => {
  it('holds every handoff document the roadmap lists, numbered, each with a title', () => {
    for (const name of HANDOFF) {
      const file = docs.find((d) => new RegExp(`^\\d{2}-${name}\\.md$`).test(d));
      expect(file, `docs/NN-${name}.md`).toBeDefined();
      expect(read(`docs/${file}`)).toMatch(/^# \S/);
    }
  });

  it('links every handoff document from the README', () => {
    const readme = read('README.md');
    for (const file of docs) expect(readme, `README links docs/${file}`).toContain(`(docs/${file})`);
  });

  it('has only relative links that resolve', () => {
    for (const file of docs) {
      for (const [, target] of read(`docs/${file}`).matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
        if (!target || /^[a-z]+:/.test(target)) continue;
        expect(existsSync(`${root}docs/${target}`), `${file} → ${target}`).toBe(true);
      }
    }
  });
});

describe('docs/05-verification.md', () => {
  const rows = rules();

  it('lists the roadmap rules once each, every one with a test', () => {
    expect(rows.length).toBeGreaterThan(20);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    for (const row of rows) expect(row.tests.length, row.id).toBeGreaterThan(0);
  });

  it('names only tests that exist, under the title given', () => {
    for (const row of rows) {
      for (const { file, title } of row.tests) {
        expect(existsSync(`${root}${file}`), `${row.id}: ${file}`).toBe(true);
        const source = read(file);
        expect(
          source.includes(`'${title}'`) || source.includes(`"${title}"`),
          `${row.id}: ${file}: ${title}`,
        ).toBe(true);
      }
    }
  });
});
