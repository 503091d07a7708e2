/** Helpers of the AI tests: a Premium subscription (as the payments flow would leave it) and a confirmed prescription. */
import type { FastifyInstance } from 'fastify';
import type { ApiHarness, SignedIn } from '../support/api.ts';

export const PREMIUM_MONTHLY = '00000000-0000-4000-8000-000000000002';

/** Makes the user Premium for 30 days (a user_subscriptions row, inserted as the owner). */
export async function makePremium(h: Pick<ApiHarness, 't'>, userId: string): Promise<void> {
  await h.t.owner.query(
    `INSERT INTO user_subscriptions (user_id, plan_id, status, current_period_start, current_period_end, provider)
     VALUES ($1, $2, 'active', now() - interval '1 day', now() + interval '30 days', 'sandbox')`,
    [userId, PREMIUM_MONTHLY],
  );
}

export interface Med {
  name: string;
  strength?: string;
  form?: string;
  dosage_schedule: { morning: number; noon: number; evening: number; night: number };
  take_after_meal?: boolean;
  duration_days?: number;
}

/** A prescription confirmed through the API (PATCH the draft, POST confirm). */
export async function confirmedPrescription(
  app: FastifyInstance,
  h: Pick<ApiHarness, 't'>,
  patient: SignedIn,
  medications: Med[],
): Promise<string> {
  const res = await h.t.owner.query<{ id: string }>(
    `INSERT INTO prescriptions (patient_id, uploaded_by, status) VALUES ($1, $1, 'ocr_completed') RETURNING id`,
    [patient.id],
  );
  const id = res.rows[0]?.id ?? '';
  const auth = { authorization: `Bearer ${patient.access}` };
  const patched = await app.inject({
    method: 'PATCH',
    url: `/api/v1/prescriptions/${id}`,
    headers: auth,
    payload: { medications },
  });
  if (patched.statusCode !== 200) throw new Error(`patch: ${patched.statusCode} ${patched.body}`);
  const confirmed = await app.inject({ method: 'POST', url: `/api/v1/prescriptions/${id}/confirm`, headers: auth });
  if (confirmed.statusCode !== 200) throw new Error(`confirm: ${confirmed.statusCode} ${confirmed.body}`);
  return id;
}

export interface AssistantReply {
  message: {
    id: string;
    role: string;
    content: string;
    refused?: boolean;
    guard?: string;
    disclaimer: string;
    language: string;
    model: string;
  };
}

export function ask(app: FastifyInstance, token: string, conversationId: string, content: string) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/ai/conversations/${conversationId}/messages`,
    headers: { authorization: `Bearer ${token}` },
    payload: { content },
  });
}

export async function conversation(
  app: FastifyInstance,
  token: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/ai/conversations',
    headers: { authorization: `Bearer ${token}` },
    payload: body,
  });
  if (res.statusCode !== 201) throw new Error(`conversation: ${res.statusCode} ${res.body}`);
  return res.json<{ id: string }>().id;
}
