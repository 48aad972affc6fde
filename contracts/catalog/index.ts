import { UnknownEndpointError } from '../errors.js';
import type { FlagName } from '../flags.js';
import { type ApiName, ENDPOINTS } from './endpoints.js';
import type { Batch, EndpointSpec } from './types.js';

export { type ApiName, ENDPOINTS } from './endpoints.js';
export type * from './types.js';

const BY_NAME: ReadonlyMap<string, EndpointSpec> = new Map(ENDPOINTS.map((spec) => [spec.apiName, spec]));

/** Every api_name in the catalog, in catalog order. */
export const API_NAMES: readonly ApiName[] = ENDPOINTS.map((spec) => spec.apiName);

export function isApiName(name: string): name is ApiName {
  return BY_NAME.has(name);
}

/** The spec of one endpoint; throws `UnknownEndpointError` for a name the catalog does not hold. */
export function endpoint(apiName: string): EndpointSpec {
  const spec = BY_NAME.get(apiName);
  if (spec === undefined) throw new UnknownEndpointError(apiName);
  return spec;
}

/** Endpoints turned on by one switch (a batch master switch, a p2 sub-switch or a module switch). */
export function endpointsForSwitch(flag: FlagName): readonly EndpointSpec[] {
  return ENDPOINTS.filter((spec) => spec.switch === flag);
}

export function endpointsForBatch(batch: Batch): readonly EndpointSpec[] {
  return ENDPOINTS.filter((spec) => spec.batch === batch);
}

/** The raw topic of an endpoint, `tushare.raw.<api_name>`; throws for an unknown name. */
export function rawTopic(apiName: string): string {
  return `tushare.raw.${endpoint(apiName).apiName}`;
}

/** The column name Tushare serves for a catalog field (they differ only where Tushare's is not Avro-safe). */
export function tushareColumn(apiName: string, fieldName: string): string {
  const field = endpoint(apiName).fields.find((f) => f.name === fieldName);
  return field?.tushareName ?? fieldName;
}

/** The catalog field for a column as Tushare serves it; undefined for a column the catalog lacks. */
export function catalogField(apiName: string, column: string): string | undefined {
  return endpoint(apiName).fields.find((f) => (f.tushareName ?? f.name) === column)?.name;
}
