import { encodeDeterministic } from '../../core/cbor.js';
import type { WireMap } from './protocol.js';

/** Bytes of items one reply page carries at most (well under the response limit). */
export const PAGE_BUDGET_BYTES = 128 * 1024;

/**
 * Takes items from the front of `items` while their encoded size fits `budget` (at least
 * one item). Returns the page and whether items were left over.
 */
export function takePage(items: readonly WireMap[], budget = PAGE_BUDGET_BYTES): { page: WireMap[]; more: boolean } {
  const page: WireMap[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = encodeDeterministic(item).length;
    if (page.length > 0 && bytes + size > budget) return { page, more: true };
    page.push(item);
    bytes += size;
  }
  return { page, more: false };
}
