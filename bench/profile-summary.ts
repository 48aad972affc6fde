/** `npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP]`: where a profile's self time went. */
import { readFile } from 'node:fs/promises';
import { type CpuProfile, formatSummary, summarizeProfile } from './profile.js';

const [file, top] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile [TOP]\n');
  process.exit(2);
}
const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
console.log(formatSummary(summarizeProfile(profile, top ? Number(top) : 25)));
