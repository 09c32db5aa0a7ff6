// @medplum/fhirtypes is published as an ES module of types only; this file is the one place that
// bridges it into the project's CommonJS build. Import FHIR types from here.
export type * from '@medplum/fhirtypes' with { 'resolution-mode': 'import' };
