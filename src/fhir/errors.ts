import type { OperationOutcome, OperationOutcomeIssue } from './types';

/** The categories of failure; one table maps each to its HTTP status (after Blaze's anomaly categories). */
export type ErrorCategory =
  | 'invalid' // 400: the request is malformed
  | 'unprocessable' // 422: well-formed but violates a profile or business rule
  | 'unauthorized' // 401: no valid credentials
  | 'forbidden' // 403: credentials valid but not sufficient
  | 'not-found' // 404
  | 'gone' // 410: deleted
  | 'not-allowed' // 405
  | 'not-acceptable' // 406
  | 'conflict' // 409
  | 'precondition-failed' // 412
  | 'too-large' // 413
  | 'unsupported-media-type' // 415
  | 'too-many-requests' // 429
  | 'not-implemented' // 501
  | 'unavailable' // 503
  | 'fault'; // 500: anything unexpected

export const STATUS_BY_CATEGORY: Record<ErrorCategory, number> = {
  invalid: 400,
  unprocessable: 422,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  gone: 410,
  'not-allowed': 405,
  'not-acceptable': 406,
  conflict: 409,
  'precondition-failed': 412,
  'too-large': 413,
  'unsupported-media-type': 415,
  'too-many-requests': 429,
  'not-implemented': 501,
  unavailable: 503,
  fault: 500,
};

/** The IssueType code used when the thrower names none. */
const DEFAULT_ISSUE_CODE: Record<ErrorCategory, OperationOutcomeIssue['code']> = {
  invalid: 'invalid',
  unprocessable: 'processing',
  unauthorized: 'login',
  forbidden: 'forbidden',
  'not-found': 'not-found',
  gone: 'deleted',
  'not-allowed': 'not-supported',
  'not-acceptable': 'not-supported',
  conflict: 'conflict',
  'precondition-failed': 'conflict',
  'too-large': 'too-costly',
  'unsupported-media-type': 'not-supported',
  'too-many-requests': 'throttled',
  'not-implemented': 'not-supported',
  unavailable: 'transient',
  fault: 'exception',
};

export interface FhirErrorIssue {
  /** IssueType code (http://hl7.org/fhir/issue-type). */
  code?: OperationOutcomeIssue['code'];
  severity?: OperationOutcomeIssue['severity'];
  diagnostics: string;
  /** FHIRPath of the element the issue is about. */
  expression?: string;
}

/**
 * The one error type of the server. `errorCode` is stable (FHIR-0404-style) so users can search for it;
 * it travels in `issue.details.coding` with the system below.
 */
export class FhirError extends Error {
  readonly category: ErrorCategory;
  readonly errorCode: string;
  readonly issues: FhirErrorIssue[];
  /** Extra response headers (e.g. WWW-Authenticate, Retry-After). */
  readonly headers: Record<string, string>;

  constructor(
    category: ErrorCategory,
    errorCode: string,
    diagnostics: string | FhirErrorIssue[],
    options: { code?: OperationOutcomeIssue['code']; expression?: string; headers?: Record<string, string> } = {}
  ) {
    const issues: FhirErrorIssue[] =
      typeof diagnostics === 'string'
        ? [{ diagnostics, code: options.code, expression: options.expression }]
        : diagnostics;
    super(issues.map((i) => i.diagnostics).join('; '));
    this.name = 'FhirError';
    this.category = category;
    this.errorCode = errorCode;
    this.issues = issues;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return STATUS_BY_CATEGORY[this.category];
  }

  toOperationOutcome(): OperationOutcome {
    return {
      resourceType: 'OperationOutcome',
      issue: this.issues.map((issue) => ({
        severity: issue.severity ?? (this.category === 'fault' ? 'fatal' : 'error'),
        code: issue.code ?? DEFAULT_ISSUE_CODE[this.category],
        details: { coding: [{ system: ERROR_CODE_SYSTEM, code: this.errorCode }], text: issue.diagnostics },
        diagnostics: issue.diagnostics,
        ...(issue.expression ? { expression: [issue.expression] } : {}),
      })),
    };
  }
}

export const ERROR_CODE_SYSTEM = 'http://insured.example.org/fhir/CodeSystem/server-error';

/** An OperationOutcome for an unexpected failure: the detail goes to the log, never to the client. */
export function internalErrorOutcome(requestId: string): OperationOutcome {
  return new FhirError('fault', 'FHIR-0500', `Internal server error (request ${requestId})`).toOperationOutcome();
}

export function isFhirError(e: unknown): e is FhirError {
  return e instanceof FhirError;
}

/** An informational OperationOutcome (e.g. for Prefer: return=OperationOutcome). */
export function informationOutcome(diagnostics: string, code: OperationOutcomeIssue['code'] = 'informational'): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code, diagnostics }] };
}
