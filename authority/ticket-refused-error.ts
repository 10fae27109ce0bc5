import { SymbolonError, type ErrorKind } from '../core/errors.js';
import type { RedemptionRefusal } from './authority-store.js';

const KIND: Readonly<Record<RedemptionRefusal, ErrorKind>> = {
  unknown: 'not-found', expired: 'expired', 'used-up': 'unauthorized', 'own-ticket': 'unauthorized', 'creator-not-authorised': 'unauthorized', suspended: 'unauthorized',
};
const MESSAGE: Readonly<Record<RedemptionRefusal, string>> = {
  unknown: 'enrollment ticket refused: this authority does not know the ticket',
  expired: 'enrollment ticket refused: the ticket has expired',
  'used-up': 'enrollment ticket refused: the ticket has already been used',
  'own-ticket': 'enrollment ticket refused: a ticket cannot be redeemed by the identity that created it',
  'creator-not-authorised': 'enrollment ticket refused: its creator may no longer grant what it grants (removed, suspended or narrowed)',
  suspended: 'enrollment ticket refused: this identity is suspended from the project',
};

/** Every refusal reason (the client recognises these in error replies). */
export const REDEMPTION_REFUSALS: readonly RedemptionRefusal[] = Object.keys(KIND) as RedemptionRefusal[];

/** A ticket redemption was refused; `reason` says why (unknown, expired, used up, own ticket, creator no longer authorised, suspended). */
export class TicketRefusedError extends SymbolonError {
  override readonly name = 'TicketRefusedError';
  constructor(readonly reason: RedemptionRefusal) {
    super('authority', KIND[reason], MESSAGE[reason]);
  }
}
