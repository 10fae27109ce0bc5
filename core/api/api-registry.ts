import { NotFoundError } from '../errors.js';
import type { ErrorOrigin } from '../errors.js';
import type { ControlContext, ControlServer } from './control-server.js';
import type { MethodParams, MethodResult, MethodTable } from './method-table.js';
import { validateParams } from './param-schema.js';

/** A typed handler of method `M` of table `T`: gets checked params, returns the method's result. */
export type MethodHandler<T extends MethodTable, M extends keyof T> =
  (params: MethodParams<T, M>, ctx: ControlContext) => MethodResult<T, M> | Promise<MethodResult<T, M>>;

/**
 * Registers the handlers of a method table on a ControlServer. Each call's params are
 * checked against the method's schema before its handler runs, so every method answers a
 * wrong parameter with the same error (`unknown parameter "x"`, `parameter "x" must be ...`);
 * only methods of the table can be registered, and each handler must return its result type.
 */
export class ApiRegistry<T extends MethodTable> {
  constructor(private readonly server: ControlServer, private readonly table: T, private readonly origin: ErrorOrigin) {}

  /** Adds `method`; throws NotFoundError if the table has no such method, AlreadyExistsError if it is registered. */
  register<M extends keyof T & string>(method: M, handler: MethodHandler<T, M>): void {
    if (!Object.hasOwn(this.table, method)) throw new NotFoundError(this.origin, `control method '${method}' is not in the API table`);
    const { params } = this.table[method]!;
    this.server.register(method, (raw, ctx) => handler(validateParams(params, raw, this.origin) as MethodParams<T, M>, ctx));
  }

  /** The registered method names, sorted. */
  methods(): string[] {
    return this.server.methods();
  }
}
