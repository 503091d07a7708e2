/** The assistant's providers behind one interface: built-in (default) or OpenAI-compatible. */
import type { Language } from '../safety/messages.ts';

export interface RecordMedicine {
  name: string;
  /** Knowledge-base id when known. */
  productId: string | null;
  genericName: string | null;
  strength: string | null;
  form: string | null;
  schedule: { morning: number; noon: number; evening: number; night: number };
  /** Reminder times by slot ("07:00"). */
  times: Record<string, string>;
  instructions: string | null;
  takeAfterMeal: boolean;
  takeBeforeMeal: boolean;
  adherence: { taken: number; missed: number; skipped: number; rate: number | null };
}

export interface AssistantRequest {
  language: Language;
  question: string;
  medicines: RecordMedicine[];
  /** Did the user agree that a minimal extract of her record may reach an external provider? */
  shareRecord: boolean;
  history: Array<{ role: 'user' | 'assistant'; content: string }>;
}

export interface AssistantAnswer {
  /** The answer in pieces (streamed as they come). */
  chunks: AsyncIterable<string>;
  model: string;
}

export interface AssistantProvider {
  readonly name: string;
  answer(request: AssistantRequest): AssistantAnswer;
}
