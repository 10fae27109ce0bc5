/** Allowed and denied decisions of one resource type; plain numbers. */
export interface DecisionCell {
  allowed: number;
  denied: number;
  /** Allowed decisions an audit-mode policy would have denied (counted in `allowed` too). */
  wouldDeny: number;
}

/**
 * Policy decisions of a node by resource type, for its metrics. An enforcement point takes
 * its type's cell once, when it is built, and increments a number per decision: no lookup
 * and no allocation per message.
 */
export class DecisionCounts {
  private readonly byType = new Map<string, DecisionCell>();

  /** The cell of resource type `type` (created on first use). */
  cell(type: string): DecisionCell {
    let cell = this.byType.get(type);
    if (cell === undefined) {
      cell = { allowed: 0, denied: 0, wouldDeny: 0 };
      this.byType.set(type, cell);
    }
    return cell;
  }

  /** Counts one decision about a resource of type `type` (for enforcement points that decide rarely). */
  count(type: string, allowed: boolean, wouldDeny = false): void {
    const cell = this.cell(type);
    if (allowed) cell.allowed++;
    else cell.denied++;
    if (wouldDeny) cell.wouldDeny++;
  }

  /** Every resource type with its counts. */
  entries(): IterableIterator<[string, Readonly<DecisionCell>]> {
    return this.byType.entries();
  }
}
