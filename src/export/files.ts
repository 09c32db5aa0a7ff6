import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ExportFile } from './job';

/** The job's data could not be resumed as recorded (a file shorter than its row says). */
export class ResumeError extends Error {}

/**
 * The NDJSON files of one job. Each append is written and synced before the job row records its new
 * size, so a resumed job cuts every file back to what the row says and redoes the page after it.
 */
export class ExportFiles {
  constructor(
    private readonly dir: string,
    private readonly files: ExportFile[],
    private readonly maxPerFile: number
  ) {}

  /** Cuts files back to their recorded sizes and removes files the row never recorded. */
  async prepare(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const known = new Set(this.files.map((f) => f.name));
    for (const name of await fsp.readdir(this.dir)) if (!known.has(name)) await fsp.rm(path.join(this.dir, name), { force: true });
    for (const f of this.files) {
      const file = path.join(this.dir, f.name);
      const size = fs.existsSync(file) ? (await fsp.stat(file)).size : -1;
      if (size < f.bytes) throw new ResumeError(`${f.name} holds ${Math.max(size, 0)} bytes where ${f.bytes} were recorded`);
      if (size > f.bytes) await fsp.truncate(file, f.bytes);
    }
  }

  /** Appends lines to the open file of (kind, type), starting new files as each fills up (unless `keepTogether`). */
  async append(kind: ExportFile['kind'], type: string | undefined, lines: string[], keepTogether = false): Promise<void> {
    let rest = lines;
    while (rest.length) {
      let f = this.files.find((x) => x.open && x.group === `${kind}:${type ?? ''}`);
      if (f && f.count >= this.maxPerFile && !keepTogether) {
        f.open = false;
        f = undefined;
      }
      if (!f) f = this.start(kind, type);
      const room = keepTogether ? rest.length : Math.max(this.maxPerFile - f.count, 1);
      const chunk = rest.slice(0, room);
      rest = rest.slice(room);
      const text = chunk.join('\n') + '\n';
      const handle = await fsp.open(path.join(this.dir, f.name), 'a');
      try {
        await handle.write(text);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      f.count += chunk.length;
      f.bytes += Buffer.byteLength(text);
    }
  }

  /** The open file of (kind, type) is complete. */
  close(kind: ExportFile['kind'], type?: string): void {
    for (const f of this.files) if (f.open && f.group === `${kind}:${type ?? ''}`) f.open = false;
  }

  /** Starts the next file of a group on the next append (a group of resources begins). */
  rollIfFull(kind: ExportFile['kind'], type?: string): void {
    for (const f of this.files) if (f.open && f.group === `${kind}:${type ?? ''}` && f.count >= this.maxPerFile) f.open = false;
  }

  private start(kind: ExportFile['kind'], type: string | undefined): ExportFile {
    const stem = kind === 'output' ? (type ?? 'patients') : kind === 'error' ? 'error' : `deleted-${type}`;
    const n = this.files.filter((x) => x.group === `${kind}:${type ?? ''}`).length + 1;
    const fileType = kind === 'error' ? 'OperationOutcome' : kind === 'deleted' ? 'Bundle' : type;
    const f: ExportFile = { kind, ...(fileType ? { type: fileType } : {}), group: `${kind}:${type ?? ''}`, name: `${stem}-${n}.ndjson`, count: 0, bytes: 0, open: true };
    this.files.push(f);
    return f;
  }
}
