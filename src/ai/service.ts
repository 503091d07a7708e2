/**
 * The AI assistant (premium, counted by can_make_ai_request): conversations private to their
 * owner (RLS), every message audited (ids only, never the text), answers from the configured
 * provider behind the guardrails. No HTTP types: routes pass a plain context.
 */
import type { Tx } from '../db/database.ts';
import type { AiConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { ApiError, notFound } from '../core/errors.ts';
import { recordRead } from '../audit/service.ts';
import { recordEvent, type ClientInfo } from '../analytics/service.ts';
import { asLanguage, type Language } from '../safety/messages.ts';
import { doseSchedule } from '../safety/service.ts';
import { storedLanguageOf } from '../users/queries.ts';
import { BuiltinProvider } from './builtin.ts';
import { OpenAiProvider } from './openai.ts';
import { checkModelOutput, detectGuard, detectLanguage, disclaimer, guardAnswer, type Guard } from './guardrails.ts';
import type { AssistantProvider, RecordMedicine } from './provider.ts';
import * as q from './queries.ts';

export interface AiContext {
  userId: string;
  requestId: string;
  client: ClientInfo;
  /** Runs fn in the user's RLS transaction (session checked). */
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

export interface AssistantMessage {
  id: string;
  role: 'assistant';
  content: string;
  refused?: boolean;
  guard?: Guard | 'output_filtered';
  disclaimer: string;
  language: Language;
  model: string;
}

export type StreamEvent = { type: 'delta'; text: string } | { type: 'replace'; text: string };

export const premiumRequired = (): ApiError =>
  new ApiError(
    402,
    'premium_required',
    'the AI assistant is a Premium feature: see /api/v1/plans ($0.50 a month or $5 a year)',
    { link: '</api/v1/plans>; rel="payment"' },
  );

export function createProvider(config: AiConfig): AssistantProvider {
  if (config.provider === 'openai' && config.baseUrl !== undefined) {
    return new OpenAiProvider({
      baseURL: config.baseUrl,
      apiKey: config.apiKey ?? 'none',
      model: config.model,
      timeoutMs: config.timeoutMs,
    });
  }
  return new BuiltinProvider();
}

function toRecord(rows: q.RecordMedicationRow[]): RecordMedicine[] {
  return rows.map((m) => ({
    name: m.name,
    productId: m.lexicon_id,
    genericName: m.generic_name,
    strength: m.strength,
    form: m.form,
    schedule: doseSchedule(m),
    times: m.times ?? {},
    instructions: m.instructions,
    takeAfterMeal: m.take_after_meal,
    takeBeforeMeal: m.take_before_meal,
    adherence: {
      taken: m.taken_count,
      missed: m.missed_count,
      skipped: m.skipped_count,
      rate: m.adherence_rate === null ? null : Number(m.adherence_rate),
    },
  }));
}

/** What the first transaction of a message leaves for the answer (the model runs outside any transaction). */
export interface PreparedMessage {
  ctx: AiContext;
  conversationId: string;
  userMessageId: string;
  question: string;
  language: Language;
  shareRecord: boolean;
  medicines: RecordMedicine[];
  history: Array<{ role: 'user' | 'assistant'; content: string }>;
}

export class AiService {
  private readonly fallback = new BuiltinProvider();

  constructor(
    private readonly provider: AssistantProvider,
    private readonly logger: Logger,
  ) {}

  /** Premium and below the monthly quota, or the refusal. */
  private async gate(tx: Tx, userId: string): Promise<void> {
    if (await q.canMakeAiRequest(tx, userId)) return;
    const quota = await q.quota(tx, userId);
    if (!quota.is_premium) throw premiumRequired();
    throw new ApiError(
      429,
      'ai_quota_exceeded',
      `this month's ${quota.monthly_limit ?? 0} AI requests are used; the quota renews next month`,
    );
  }

  async createConversation(
    ctx: AiContext,
    body: { title?: string | undefined; language?: string | undefined; share_record?: boolean | undefined },
  ) {
    // open to every patient (an empty conversation costs nothing): an emergency typed into it is
    // answered with 119 whatever her plan; every other question needs Premium (prepare)
    return ctx.run(async (tx) => {
      const lang = body.language ?? asLanguage(await storedLanguageOf(tx, ctx.userId));
      const row = await q.insertConversation(tx, {
        userId: ctx.userId,
        title: body.title ?? null,
        language: lang,
        shareRecord: body.share_record ?? false,
      });
      return this.view(row);
    });
  }

  async listConversations(ctx: AiContext, limit: number, offset: number) {
    return ctx.run(async (tx) => {
      const { rows, total } = await q.listConversations(tx, ctx.userId, limit, offset);
      return { items: rows.map((r) => this.view(r)), total, limit, offset };
    });
  }

  async messages(ctx: AiContext, conversationId: string) {
    return ctx.run(async (tx) => {
      const conv = await q.findConversation(tx, conversationId);
      if (!conv) throw notFound('conversation');
      const rows = await q.recentMessages(tx, conversationId, 200);
      await recordRead(tx, ctx, {
        table: 'ai_chat_messages',
        subjectUserId: ctx.userId,
        resourceIds: rows.map((r) => r.id),
        action: 'list',
      });
      return {
        items: rows
          .filter((r) => r.role !== 'system')
          .map((r) => ({
            id: r.id,
            role: r.role,
            content: r.content,
            refused: r.refused,
            created_at: r.created_at.toISOString(),
          })),
      };
    });
  }

  /**
   * The user's message stored and counted, the record read: everything before the answer.
   * An emergency passes before the Premium gate and the quota and is not counted: 119 is
   * answered to everyone.
   */
  async prepare(ctx: AiContext, conversationId: string, content: string): Promise<PreparedMessage> {
    const emergency = detectGuard(content) === 'emergency';
    return ctx.run(async (tx) => {
      if (!emergency) await this.gate(tx, ctx.userId);
      const conv = await q.findConversation(tx, conversationId);
      if (!conv) throw notFound('conversation');
      const history = (await q.recentMessages(tx, conversationId, 6))
        .filter((m) => m.role !== 'system' && !m.refused)
        .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content }));
      const msg = await q.insertMessage(tx, { conversationId, userId: ctx.userId, role: 'user', content });
      if (!emergency) await recordEvent(tx, ctx.userId, 'ai_request', ctx.client, { provider: this.provider.name });
      const medicines = emergency ? [] : toRecord(await q.recordMedications(tx, ctx.userId));
      return {
        ctx,
        conversationId,
        userMessageId: msg.id,
        question: content,
        language: detectLanguage(content, asLanguage(conv.language)),
        shareRecord: conv.share_record_with_provider,
        medicines,
        history,
      };
    });
  }

  /** The answer: guardrails first, then the provider (streamed through onEvent), stored and audited. */
  async complete(p: PreparedMessage, onEvent: (e: StreamEvent) => void = () => undefined): Promise<AssistantMessage> {
    const guard = detectGuard(p.question);
    let content: string;
    let model = 'dastern-guardrails';
    let finalGuard: AssistantMessage['guard'];
    if (guard !== null) {
      content = guardAnswer(guard, p.language);
      finalGuard = guard;
      onEvent({ type: 'delta', text: content });
    } else {
      const result = await this.ask(p, onEvent);
      content = result.content;
      model = result.model;
      finalGuard = result.filtered ?? undefined;
    }
    const refused = finalGuard !== undefined && finalGuard !== 'emergency';
    const saved = await p.ctx.run(async (tx) => {
      const row = await q.insertMessage(tx, {
        conversationId: p.conversationId,
        userId: p.ctx.userId,
        role: 'assistant',
        content,
        refused,
        guard: finalGuard ?? null,
        model,
      });
      await recordRead(tx, p.ctx, {
        table: 'ai_chat_messages',
        action: 'create',
        subjectUserId: p.ctx.userId,
        resourceIds: [p.userMessageId, row.id],
      });
      return row;
    });
    return {
      id: saved.id,
      role: 'assistant',
      content,
      ...(refused ? { refused: true } : {}),
      ...(finalGuard ? { guard: finalGuard } : {}),
      disclaimer: disclaimer(p.language),
      language: p.language,
      model,
    };
  }

  /** The provider's answer, sentence by sentence through the output check; the built-in one if the provider fails. */
  private async ask(
    p: PreparedMessage,
    onEvent: (e: StreamEvent) => void,
  ): Promise<{ content: string; model: string; filtered: 'output_filtered' | null }> {
    const request = {
      language: p.language,
      question: p.question,
      medicines: p.medicines,
      shareRecord: p.shareRecord,
      history: p.history,
    };
    let shown = '';
    let pending = '';
    const flush = (text: string): Guard | null => {
      const bad = checkModelOutput(shown + text);
      if (bad) return bad;
      shown += text;
      onEvent({ type: 'delta', text });
      return null;
    };
    try {
      const answer = this.provider.answer(request);
      for await (const delta of answer.chunks) {
        pending += delta;
        const cut = Math.max(
          pending.lastIndexOf('. '),
          pending.lastIndexOf('។'),
          pending.lastIndexOf('? '),
          pending.lastIndexOf('! '),
          pending.lastIndexOf('\n'),
        );
        if (cut < 0) continue;
        const ready = pending.slice(0, cut + 1);
        pending = pending.slice(cut + 1);
        const bad = flush(ready);
        if (bad) return this.filtered(p, bad, shown, onEvent);
      }
      if (pending !== '') {
        const bad = flush(pending);
        if (bad) return this.filtered(p, bad, shown, onEvent);
      }
      if (shown.trim() === '') throw new Error('empty answer');
      return { content: shown.trim(), model: answer.model, filtered: null };
    } catch (err) {
      if (this.provider === this.fallback) throw err;
      this.logger.warn(
        { err: { message: (err as Error).message }, provider: this.provider.name },
        'AI provider failed; built-in answer instead',
      );
      const text = this.fallback.compose(request);
      onEvent(shown === '' ? { type: 'delta', text } : { type: 'replace', text });
      return { content: text, model: 'dastern-builtin-1 (fallback)', filtered: null };
    }
  }

  private filtered(
    p: PreparedMessage,
    guard: Guard,
    shown: string,
    onEvent: (e: StreamEvent) => void,
  ): { content: string; model: string; filtered: 'output_filtered' } {
    const text = guardAnswer(guard, p.language);
    onEvent(shown === '' ? { type: 'delta', text } : { type: 'replace', text });
    this.logger.warn({ provider: this.provider.name, guard }, 'AI answer withheld by the output guard');
    return { content: text, model: this.provider.name, filtered: 'output_filtered' };
  }

  private view(r: q.ConversationRow) {
    return {
      id: r.id,
      title: r.title,
      language: r.language,
      share_record: r.share_record_with_provider,
      last_message_at: r.last_message_at?.toISOString() ?? null,
      created_at: r.created_at.toISOString(),
    };
  }
}
