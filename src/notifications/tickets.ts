/**
 * Stream tickets: a browser's EventSource cannot send an Authorization header, so a signed-in
 * client first asks for a ticket (POST /notifications/stream-ticket) and opens
 * GET /notifications/stream?ticket=… with it. A ticket is 32 random bytes (base64url), valid
 * TICKET_SECONDS and once: only its SHA-256 is stored, tied to the user's session (a revoked
 * session revokes its tickets and its stream), and it is consumed by one UPDATE in
 * app_consume_stream_ticket() — a second use, an expired or unknown ticket all answer 401.
 * Request logs carry route templates only, so the ticket never reaches a log line.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Tx } from '../db/database.ts';
import type { UserRole } from '../auth/types.ts';
import { consumeTicketRow, insertTicket } from './queries.ts';

export const TICKET_SECONDS = 60;
const TICKET_FORM = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (ticket: string): string => createHash('sha256').update(ticket).digest('hex');

export interface TicketHolder {
  userId: string;
  sessionId: string;
}

/** Issues a ticket for the signed-in user's session (and clears her expired ones). */
export async function issueTicket(tx: Tx, holder: TicketHolder): Promise<{ ticket: string; expires_at: string }> {
  const ticket = randomBytes(32).toString('base64url');
  const expiresAt = await insertTicket(tx, {
    hash: hashOf(ticket),
    userId: holder.userId,
    sessionId: holder.sessionId,
    seconds: TICKET_SECONDS,
  });
  return { ticket, expires_at: expiresAt.toISOString() };
}

/** Consumes a ticket (once): its user, role and session, or undefined (malformed, unknown, used, expired). */
export async function consumeTicket(
  db: Database,
  ticket: string,
): Promise<{ userId: string; role: UserRole; sessionId: string } | undefined> {
  if (!TICKET_FORM.test(ticket)) return undefined;
  const row = await consumeTicketRow(db, hashOf(ticket));
  return row === undefined ? undefined : { userId: row.user_id, role: row.role, sessionId: row.session_id };
}
