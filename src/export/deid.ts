import type { Config } from '../config';
import type { Resource } from '../fhir/types';
import type { DeidMode } from './request';

/** Whether `_deid` can be honoured: until it can, a kick-off asking for it is refused, never answered with identified data. */
export const DEID_SUPPORTED = false;

/** De-identification of exported resources (`_deid`); filled in by src/export/deid-*.ts. */
export function deidTransform(_mode: DeidMode, _recipient: string, _config: Config): ((r: Resource) => Resource | null) | undefined {
  return undefined;
}
