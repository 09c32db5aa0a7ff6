import fs from 'node:fs';
import path from 'node:path';

/** One instruction of a Dockerfile: its keyword and its arguments, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** A build stage: from `FROM image [AS name]` to the next FROM. */
export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile (comments and blank lines left out, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) pending += `${line.slice(0, -1).trim()} `;
    else {
      logical.push(pending + line);
      pending = '';
    }
  }
  for (const line of logical) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`not a Dockerfile instruction: ${line}`);
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(m[2]);
      if (!from) throw new Error(`FROM: ${m[2]}`);
      stages.push({ image: from[1], name: from[2], instructions: [] });
    } else {
      if (!stages.length) throw new Error(`${keyword} before FROM`);
      stages[stages.length - 1].instructions.push({ keyword, args: m[2] });
    }
  }
  return stages;
}

/** `COPY [--from=stage] src... dest`: its flags, sources and destination. */
export function parseCopy(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  const unknown = flags.filter((f) => !f.startsWith('--from='));
  if (unknown.length) throw new Error(`COPY flags this test does not follow: ${unknown.join(' ')}`);
  return { from, sources: rest.slice(0, -1), dest: rest[rest.length - 1] };
}

/** `ENV A=1 B=2`: the variables. */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of args.split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`ENV in the KEY=value form only: ${args}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** The exec (JSON) form of CMD, or of HEALTHCHECK's CMD after its flags. */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json) as string[];
}

/**
 * Copies as Docker's COPY does: a folder's contents into the destination, files into a destination
 * ending in `/` (or to the destination path itself for one file).
 */
export function copyInto(fromDir: string, sources: string[], toDir: string, dest: string): void {
  const target = path.resolve(toDir, dest);
  for (const source of sources) {
    const from = path.join(fromDir, source);
    if (fs.statSync(from).isDirectory()) fs.cpSync(from, target, { recursive: true, verbatimSymlinks: true });
    else {
      const file = dest.endsWith('/') || sources.length > 1 ? path.join(target, path.basename(source)) : target;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.copyFileSync(from, file);
    }
  }
}
