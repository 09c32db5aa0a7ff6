import fs from 'node:fs';
import path from 'node:path';
import type { RequestContext } from '../fhir/context';
import { isFhirError } from '../fhir/errors';
import type { OperationOutcome, Resource } from '../fhir/types';
import { assertValidId, truncate } from '../fhir/util';
import { prepareVersion } from '../fhir/write';
import type { VersionRecord, WriteOp } from '../storage/port';
import { readResources } from './sources';

export interface LoadStats {
  files: number;
  written: number;
  unchanged: number;
  failed: number;
}

export interface LoaderOptions {
  batchSize: number;
  /** JSON file recording how far each input file was loaded. */
  checkpointFile: string;
  /** NDJSON file receiving an OperationOutcome per refused resource. */
  errorFile: string;
  onProgress?: (delta: { resources: number; bytes?: number }) => void;
  /** Records a batch's versions (the audit trail) inside its write scope: when it throws, the batch is not written. */
  onWritten?: (ops: WriteOp[]) => Promise<void>;
}

type Checkpoint = Record<string, { size: number; mtimeMs: number; position: number; done: boolean }>;

/**
 * The bulk loader: writes resources straight through the store in large atomic batches, still through
 * the core's write path (validation hooks, index extraction, compartments). Idempotent: resources keep
 * their ids and an unchanged resource is not written again; resumable from its checkpoint file.
 */
export class BulkLoader {
  private readonly checkpoint: Checkpoint;
  readonly stats: LoadStats = { files: 0, written: 0, unchanged: 0, failed: 0 };

  constructor(
    private readonly ctx: RequestContext,
    private readonly options: LoaderOptions
  ) {
    this.checkpoint = fs.existsSync(options.checkpointFile) ? (JSON.parse(fs.readFileSync(options.checkpointFile, 'utf8')) as Checkpoint) : {};
  }

  async loadFile(file: string): Promise<void> {
    const stat = fs.statSync(file);
    let mark = this.checkpoint[file];
    if (!mark || mark.size !== stat.size || mark.mtimeMs !== stat.mtimeMs) mark = { size: stat.size, mtimeMs: stat.mtimeMs, position: 0, done: false };
    this.stats.files++;
    if (mark.done) {
      this.options.onProgress?.({ resources: 0, bytes: stat.size });
      return;
    }
    let batch: Resource[] = [];
    let last = mark.position - 1;
    for await (const item of readResources(file)) {
      if (item.position < mark.position) continue;
      batch.push(item.resource);
      last = item.position;
      if (batch.length >= this.options.batchSize) {
        await this.writeBatch(batch);
        batch = [];
        this.save(file, { ...mark, position: last + 1 });
      }
    }
    if (batch.length) await this.writeBatch(batch);
    this.save(file, { ...mark, position: last + 1, done: true });
    this.options.onProgress?.({ resources: 0, bytes: stat.size });
  }

  private async writeBatch(resources: Resource[]): Promise<void> {
    const result = await upsertResources(this.ctx, resources, this.options.onWritten);
    this.stats.written += result.written;
    this.stats.unchanged += result.unchanged;
    this.stats.failed += result.refused.length;
    if (result.refused.length) fs.appendFileSync(this.options.errorFile, result.refused.map((o) => JSON.stringify(o)).join('\n') + '\n');
    this.options.onProgress?.({ resources: resources.length });
  }

  private save(file: string, mark: Checkpoint[string]): void {
    this.checkpoint[file] = mark;
    fs.mkdirSync(path.dirname(this.options.checkpointFile), { recursive: true });
    fs.writeFileSync(`${this.options.checkpointFile}.tmp`, JSON.stringify(this.checkpoint, null, 1));
    fs.renameSync(`${this.options.checkpointFile}.tmp`, this.options.checkpointFile);
  }
}

/**
 * Writes resources with their own ids in one atomic scope (PUT semantics), through the core's write
 * path; a resource already stored unchanged is not written again, one that fails validation is refused,
 * and so is one whose id is not a FHIR id or that has an Object.prototype member as an element name
 * (checked in prepareVersion), as the REST API would refuse them.
 */
export async function upsertResources(
  ctx: RequestContext,
  resources: Resource[],
  onWritten?: (ops: WriteOp[]) => Promise<void>
): Promise<{ written: number; unchanged: number; refused: OperationOutcome[] }> {
  const refused: OperationOutcome[] = [];
  let written = 0;
  let unchanged = 0;
  await ctx.store.transaction(async (session) => {
    const ops: WriteOp[] = [];
    const pending = new Map<string, VersionRecord | WriteOp>(); // this batch's own writes, by Type/id
    for (const resource of resources) {
      const key = describe(resource);
      try {
        if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) throw new Error('not a JSON object');
        if (!ctx.registry.isResourceType(resource.resourceType)) throw new Error(`unknown resource type ${resource.resourceType}`);
        assertValidId(resource.id);
        const previous = pending.get(key) ?? (await session.read(resource.resourceType, resource.id as string, 'u'));
        if (previous && !previous.deleted && previous.json && sameContent(previous.json, resource)) {
          unchanged++;
          continue;
        }
        const op = prepareVersion(ctx, resource, { id: resource.id as string, previous, method: previous && !previous.deleted ? 'PUT' : 'POST' });
        ops.push(op);
        pending.set(key, op);
        written++;
      } catch (err) {
        refused.push(outcomeFor(key, err));
      }
    }
    await session.write(ops);
    if (ops.length) await onWritten?.(ops);
  });
  return { written, unchanged, refused };
}

/** Whether the stored version already says what the incoming resource says (meta.versionId/lastUpdated aside). */
function sameContent(storedJson: string, incoming: Resource): boolean {
  return canonical(JSON.parse(storedJson) as Resource) === canonical(incoming);
}

function canonical(resource: Resource): string {
  const { meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {};
  return stableStringify({ ...rest, ...(Object.keys(keptMeta).length ? { meta: keptMeta } : {}) });
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `Type/id` of an input, for messages (anything from a file, shown shortened). */
function describe(resource: Resource): string {
  const r = (typeof resource === 'object' && resource !== null ? resource : {}) as { resourceType?: unknown; id?: unknown };
  return truncate(`${String(r.resourceType)}/${String(r.id)}`, 140);
}

function outcomeFor(key: string, err: unknown): OperationOutcome {
  if (isFhirError(err)) {
    const oo = err.toOperationOutcome();
    oo.issue.forEach((i) => (i.diagnostics = `${key}: ${i.diagnostics}`));
    return oo;
  }
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `${key}: ${(err as Error).message}` }] };
}
