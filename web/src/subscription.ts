/** The signed-in user's tier (GET /subscriptions/me), shared by the plans page and the Premium screens. */
import { useQuery } from '@tanstack/react-query';
import { api, must, type GetOk } from './api/client.ts';

export type MySubscription = GetOk<'/api/v1/subscriptions/me'>;

export function useSubscription() {
  return useQuery({ queryKey: ['subscription'], queryFn: async () => must(await api.GET('/api/v1/subscriptions/me')) });
}
