import { Params as WireParams } from '../../core/params.js';
import type { WireMap } from './protocol.js';

/**
 * Reads the fields of an authority request's params or a response's result, checking each
 * type at the boundary (see core/params.ts). Every reader throws InvalidInputError with
 * origin `authority` naming the field.
 */
export class Params extends WireParams {
  constructor(map: WireMap) {
    super(map, 'authority');
  }
}
