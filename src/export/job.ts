import path from 'node:path';
import type { OperationOutcome } from '../fhir/types';
import type { PersistedRelease } from './anon-measure';

/** One NDJSON file of an export: output of a type, OperationOutcomes (`error`), or deletions (Bundles). */
export interface ExportFile {
  kind: 'output' | 'error' | 'deleted';
  /** The resource type in the file (Bundle for deletions, OperationOutcome for errors); absent when organized by Patient. */
  type?: string;
  /** Which run of files it belongs to: `kind:resourceType` (deletions and outputs are kept per type). */
  group: string;
  name: string;
  count: number;
  /** Bytes written when the job row was last updated: a resumed job cuts the file back to it. */
  bytes: number;
  /** Still being written (a partial manifest lists only closed files). */
  open?: boolean;
}

/** Where an export job is, kept in its row after every page. */
export interface ExportProgress {
  phase: 'output' | 'deleted' | 'done';
  /** Index into the request's types (or, organized by Patient, unused). */
  typeIndex: number;
  /** The store's cursor after the last page written; the history position in the deleted phase. */
  cursor?: string;
  files: ExportFile[];
  /** Resources written so far. */
  exported: number;
  /** `_deid=anonymised`: what the measuring pass decided, and its risk report. */
  anonymised?: PersistedRelease;
}

export const EXPORT_KIND = 'export';

/** The risk report of an anonymised job, a JSON file beside its NDJSON files. */
export const RISK_REPORT_FILE = 'risk-report.json';

/** The manifest extension that carries an anonymised release's risk report. */
export const RISK_REPORT_URL = 'http://insured.example.org/fhir/StructureDefinition/deid-risk-report';

export const initialProgress = (): ExportProgress => ({ phase: 'output', typeIndex: 0, files: [], exported: 0 });

/** The job's own folder under DATA_DIR/export. */
export function jobDir(dataDir: string, id: string): string {
  return path.join(dataDir, 'export', id);
}

export function outcome(severity: 'fatal' | 'error' | 'warning' | 'information', code: string, diagnostics: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: severity as 'error', code: code as 'processing', diagnostics }] };
}
