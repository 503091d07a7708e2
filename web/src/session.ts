import { useSyncExternalStore } from 'react';
import { getSession, onSession, type Session } from './api/client.ts';

export function useSession(): Session | null {
  return useSyncExternalStore(onSession, getSession);
}
