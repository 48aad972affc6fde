import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicSchemas } from './schemas.js';

/** Committed .avsc files: readable by people and tools outside this project, checked for drift. */
export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'schemas');

export function renderSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const { file, schema } of topicSchemas())
    files.set(`${file}.avsc`, `${JSON.stringify(schema, null, 2)}\n`);
  return files;
}

export async function writeSchemas(dir = SCHEMA_DIR): Promise<number> {
  await mkdir(dir, { recursive: true });
  const files = renderSchemas();
  for (const name of await readdir(dir)) {
    if (name.endsWith('.avsc') && !files.has(name)) await rm(join(dir, name));
  }
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.size;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = await writeSchemas();
  console.log(`wrote ${count} schemas to ${SCHEMA_DIR}`);
}
