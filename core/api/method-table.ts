import type { ParamSchema, ParamsOf } from './param-schema.js';

/**
 * One method of a control API: the schema of its params (checked on the server by
 * `validateParams`) and the type of its result (a type only; results come from code of
 * the same build and are not checked again).
 */
export interface MethodSpec<S extends ParamSchema = ParamSchema, R = unknown> {
  readonly params: S;
  /** Type marker only; never set. */
  readonly __result?: R;
}

/** A control API: every method by name. */
export type MethodTable = Readonly<Record<string, MethodSpec>>;

/** A method with params `params` that returns `R`: `method(schema({...}), returns<NodeInfo>())`. */
export function method<S extends ParamSchema, R>(params: S, _result: Returns<R>): MethodSpec<S, R> {
  return { params };
}

/** A result type marker for {@link method}. */
export interface Returns<R> {
  /** Type marker only; never set. */
  readonly __returns?: R;
}

/** The result type marker `R`. */
export function returns<R>(): Returns<R> {
  return {};
}

/** The params a method of table `T` takes. */
export type MethodParams<T extends MethodTable, M extends keyof T> = ParamsOf<T[M]['params']>;

/** The result a method of table `T` returns. */
export type MethodResult<T extends MethodTable, M extends keyof T> = T[M] extends MethodSpec<ParamSchema, infer R> ? R : never;
