import { SymbolonError, type ErrorKind } from '../core/errors.js';
import type { RedemptionRefusal } from './authority-store.js';

const KIND: Readonly<Record<RedemptionRefusal, ErrorKind>> = { unknown: 'not-found', expired: 'expired', 'used-up': 'unauthorized' };
const MESSAGE: Readonly<Record<RedemptionRefusal, string>> = {
  unknown: 'enrollment ticket refused: this authority does not know the ticket',
  expired: 'enrollment ticket refused: the ticket has expired',
  'used-up': 'enrollment ticket refused: the ticket has already been used',
};

/** A ticket redemption was refused; `reason` says why (unknown, expired, used up). */
export class TicketRefusedError extends SymbolonError {
  override readonly name = 'TicketRefusedError';
  constructor(readonly reason: RedemptionRefusal) {
    super('authority', KIND[reason], MESSAGE[reason]);
  }
}
