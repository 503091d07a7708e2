/**
 * Live notifications: one EventSource on /notifications/stream for the signed-in user, opened
 * with a single-use ticket (POST /notifications/stream-ticket: EventSource cannot send the
 * bearer token). "ready" carries the unread count; each "notification" refreshes the list, the
 * badge and what a notification can change (notes, doctors). A dropped stream is reopened with
 * a new ticket (the old one is spent), waiting longer each time; "end" (session revoked) stops.
 */
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, must } from './api/client.ts';
import { useSession } from './session.ts';

declare global {
  interface Window {
    __dasternLive?: 'connecting' | 'open' | 'closed';
  }
}

export function useLiveNotifications(): void {
  const session = useSession();
  const client = useQueryClient();
  const userId = session?.user.id ?? null;
  useEffect(() => {
    if (userId === null) return;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let delay = 2000;
    const retry = () => {
      source?.close();
      source = null;
      window.__dasternLive = 'closed';
      if (stopped) return;
      timer = setTimeout(() => void open(), delay);
      delay = Math.min(delay * 2, 60_000);
    };
    async function open(): Promise<void> {
      window.__dasternLive = 'connecting';
      let ticket: string;
      try {
        ticket = must(await api.POST('/api/v1/notifications/stream-ticket', { body: {} })).ticket;
      } catch {
        retry();
        return;
      }
      if (stopped) return;
      const s = new EventSource(`/api/v1/notifications/stream?ticket=${encodeURIComponent(ticket)}`);
      source = s;
      s.addEventListener('ready', (e) => {
        delay = 2000;
        window.__dasternLive = 'open';
        const { unread } = JSON.parse((e as MessageEvent<string>).data) as { unread: number };
        client.setQueryData(['unread'], { unread });
      });
      s.addEventListener('notification', () => {
        void client.invalidateQueries({ queryKey: ['unread'] });
        void client.invalidateQueries({ queryKey: ['notifications'] });
        void client.invalidateQueries({ queryKey: ['notes'] });
        void client.invalidateQueries({ queryKey: ['doctors'] });
      });
      s.addEventListener('end', () => {
        stopped = true;
        s.close();
        window.__dasternLive = 'closed';
      });
      s.onerror = retry;
    }
    void open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
      window.__dasternLive = 'closed';
    };
  }, [userId, client]);
}
