/**
 * Dose actions taken offline: kept in localStorage and sent when the browser is back online.
 * The API records a dose idempotently (one log per reminder and scheduled time), so sending an
 * action twice records it once.
 */
import { api } from './api/client.ts';

export interface DoseAction {
  reminderId: string;
  scheduledFor: string;
  status: 'taken' | 'skipped' | 'snoozed';
  at: string;
}
const KEY = 'dastern.pendingDoses';

export function pending(): DoseAction[] {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '[]') as DoseAction[];
  } catch {
    return [];
  }
}

function save(list: DoseAction[]): void {
  localStorage.setItem(KEY, JSON.stringify(list));
}

export function enqueue(a: DoseAction): void {
  save([...pending().filter((p) => !(p.reminderId === a.reminderId && p.scheduledFor === a.scheduledFor)), a]);
}

/** Sends one action; true when the server answered (recorded, or refused for good). */
export async function send(a: DoseAction): Promise<boolean> {
  try {
    const r = await api.POST('/api/v1/reminders/{id}/logs', {
      params: { path: { id: a.reminderId } },
      body: { status: a.status, scheduled_for: a.scheduledFor, ...(a.status === 'snoozed' ? {} : { at: a.at }) },
    });
    return r.response.status < 500;
  } catch {
    return false; // network down
  }
}

let flushing: Promise<number> | null = null;

/** Sends what is queued; returns how many were sent. */
export function flush(): Promise<number> {
  flushing ??= (async () => {
    let sent = 0;
    for (const a of pending()) {
      if (!(await send(a))) break;
      save(pending().filter((p) => !(p.reminderId === a.reminderId && p.scheduledFor === a.scheduledFor)));
      sent += 1;
    }
    return sent;
  })().finally(() => (flushing = null));
  return flushing;
}
