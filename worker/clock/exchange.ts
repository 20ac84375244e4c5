/**
 * The server's side of a clock-sync exchange, shared by the HTTP route and the WebSocket in the SessionClock
 * object: the server stamps its time and signs a receipt for it; a sample is kept only when the browser
 * sends the stamps back with that receipt, since the browser's word alone about the server's clock is
 * worth nothing (the browser is the party being checked).
 */
import type { z } from 'zod';
import type { ClockExchangeBody, ClockExchangeResponse } from '../../contracts/api.ts';
import { hmac, hmacMatches } from '../auth/tokens.ts';

export type ClockExchange = z.infer<typeof ClockExchangeBody>;
export type PreviousExchange = NonNullable<ClockExchange['previous']>;

/** What a receipt vouches for: this session's exchange at t0, stamped by the server at serverMs. */
const receiptText = (sessionUuid: string, t0: number, serverMs: number) =>
  `clock|${sessionUuid}|${t0}|${serverMs}`;

/** The answer to an exchange sent at `t0`: the server's time now and its receipt. */
export async function answerExchange(
  secret: string,
  sessionUuid: string,
  t0: number,
): Promise<z.infer<typeof ClockExchangeResponse>> {
  const serverMs = Date.now();
  return { t0, server_ms: serverMs, receipt: await hmac(secret, receiptText(sessionUuid, t0, serverMs)) };
}

/** Whether `previous` carries this server's receipt for that exchange of this session. */
export function receiptMatches(secret: string, sessionUuid: string, previous: PreviousExchange) {
  return hmacMatches(secret, receiptText(sessionUuid, previous.t0, previous.server_ms), previous.receipt);
}

export const RECEIPT_MISMATCH = 'previous: the receipt does not match this session’s exchange';
