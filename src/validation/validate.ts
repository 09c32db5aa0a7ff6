import {
  getAllDataTypes,
  isResourceType,
  OperationOutcomeError,
  validateResource,
  validateTypedValue,
  type TypedValueWithPath,
  type ValidatorOptions,
} from '@medplum/core';
import { checkRequiredBindings } from './bindings';
import { parsedProfile } from './parsed-profile';
import { checkSlicing } from './slicing';
import { FhirError, type FhirErrorIssue } from '../fhir/errors';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '../fhir/types';

/**
 * Validates a resource against the base StructureDefinitions (datatypes, cardinality, invariants,
 * required bindings) and, when given, a profile (its slicing too). Returns the issues;
 * `validateOrThrow` turns errors into a FhirError.
 */
export function validate(resource: Resource, profile?: StructureDefinition): OperationOutcomeIssue[] {
  // the values under each required binding, by ValueSet URL: collected while validating, checked after
  const bound: Record<string, TypedValueWithPath[]> = {};
  let issues: OperationOutcomeIssue[];
  try {
    issues = runValidator(resource, profile, { collect: { tokens: bound } });
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    issues = err.outcome.issue ?? [];
  }
  if (profile) issues = [...issues, ...checkSlicing(resource, profile, bound)];
  return [...issues, ...checkRequiredBindings(bound)];
}

/**
 * @medplum/core's validator against the base definitions, or against a profile parsed once.
 * `validateResource(resource, { profile })` parses the StructureDefinition on every call (about 1.4 ms
 * of a 1.5 ms validation here), and takes no parsed schema; the validator without a profile looks its
 * schema up by type name in the data-type map `getAllDataTypes()` returns. So the parsed profile is put
 * in that map under a key no FHIR type has, for the length of this synchronous call only, and the
 * validator is given that key as the type. test/validation/parsed-profile.test.ts checks that this gives
 * the same issues as `validateResource(resource, { profile })`.
 */
export function runValidator(resource: Resource, profile: StructureDefinition | undefined, options: ValidatorOptions): OperationOutcomeIssue[] {
  if (!profile || !isResourceType(resource.resourceType)) return validateResource(resource, { ...options, profile });
  const types = getAllDataTypes();
  const key = `${profile.url ?? resource.resourceType} (parsed profile)`;
  types[key] = parsedProfile(profile);
  try {
    return validateTypedValue({ type: key, value: resource }, options);
  } finally {
    delete types[key];
  }
}

export function validateOrThrow(resource: Resource, profile?: StructureDefinition): void {
  const errors = validate(resource, profile).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length === 0) return;
  const issues: FhirErrorIssue[] = errors.map((i) => ({
    code: i.code,
    severity: 'error',
    diagnostics: i.details?.text ?? i.diagnostics ?? 'Invalid resource',
    expression: i.expression?.[0],
  }));
  // Structure errors (unknown elements, wrong JSON types) mean the body is not a valid FHIR resource: 400.
  // Rule violations on a well-formed resource (cardinality, invariants, bindings): 422.
  const structural = errors.some(isStructural);
  throw new FhirError(structural ? 'invalid' : 'unprocessable', structural ? 'FHIR-0400-STRUCTURE' : 'FHIR-0422-INVALID', issues);
}

/**
 * Whether an issue says the JSON is not a FHIR resource at all (unknown element, wrong JSON type,
 * malformed primitive) rather than a resource that breaks a rule (cardinality, invariant).
 */
function isStructural(issue: OperationOutcomeIssue): boolean {
  const text = issue.details?.text ?? issue.diagnostics ?? '';
  return issue.code === 'structure' && !/^Missing required|at least|at most|cardinality/i.test(text);
}
