import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { v5 as uuidv5 } from 'uuid';
import { rewriteReferences } from '../fhir/bundles/references';
import type { Bundle, Resource } from '../fhir/types';
import { ID_PATTERN } from '../fhir/util';

/** Namespace for ids derived from fullUrls that are not UUIDs (urn:oid:, absolute URLs). */
const ID_NAMESPACE = '6f0b8e2a-5d3c-4f61-9a57-2b1f0c3d4e5a';
/** The id at the end of an absolute URL such as http://example.org/fhir/Patient/123. */
const LAST_SEGMENT_ID = new RegExp(`/(${ID_PATTERN})$`);

/** One resource read from a file, with the position after it (for resuming). */
export interface SourceItem {
  resource: Resource;
  /** Index of the item within its file; items below a checkpoint's position are skipped. */
  position: number;
}

/** The files under the given paths that the loader reads: *.json (Bundles or resources) and *.ndjson. */
export function listInputFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        const full = path.join(p, name);
        if (fs.statSync(full).isDirectory()) out.push(...listInputFiles([full]));
        else if (/\.(json|ndjson)$/i.test(name)) out.push(path.resolve(full));
      }
    } else out.push(path.resolve(p));
  }
  return out;
}

/**
 * The resources of one file. Bundles (transaction, batch, collection) give their entries' resources
 * with ids kept (or derived from the fullUrl, so a second run finds the same ids) and references
 * between entries rewritten to those ids; NDJSON gives one resource per line.
 */
export async function* readResources(file: string): AsyncGenerator<SourceItem> {
  if (/\.ndjson$/i.test(file)) {
    const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let position = 0;
    for await (const line of lines) {
      if (line.trim() === '') continue;
      yield { resource: JSON.parse(line) as Resource, position: position++ };
    }
    return;
  }
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Resource;
  if (parsed.resourceType !== 'Bundle' || !['transaction', 'batch', 'collection'].includes((parsed as Bundle).type as string)) {
    yield { resource: parsed, position: 0 };
    return;
  }
  const entries = (parsed as Bundle).entry ?? [];
  const map = new Map<string, string>();
  for (const e of entries) {
    const r = e.resource;
    if (!r) continue;
    r.id ??= idFor(e.fullUrl) ?? uuidv5(`${file}#${entries.indexOf(e)}`, ID_NAMESPACE);
    if (e.fullUrl) map.set(e.fullUrl, `${r.resourceType}/${r.id}`);
  }
  let position = 0;
  for (const e of entries) {
    if (!e.resource || e.request?.method === 'DELETE' || e.request?.method === 'GET') continue;
    rewriteReferences(e.resource, map);
    yield { resource: e.resource, position: position++ };
  }
}

function idFor(fullUrl: string | undefined): string | undefined {
  if (!fullUrl) return undefined;
  const uuid = /^urn:uuid:([0-9a-fA-F-]{36})$/.exec(fullUrl)?.[1];
  if (uuid) return uuid.toLowerCase();
  const local = LAST_SEGMENT_ID.exec(fullUrl)?.[1];
  return /^https?:/.test(fullUrl) && local ? local : uuidv5(fullUrl, ID_NAMESPACE);
}
