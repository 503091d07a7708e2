/** Calls on the whole app of startFullApp (the API as `dastern serve` builds it), for the issue-10 suites. */
import { afterAll, beforeAll } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { API_PREFIX } from '../../src/http/app.ts';
import { startFullApp, useApi, type ApiHarness, type FullApp } from './api.ts';

export interface Full {
  h: ApiHarness;
  full: FullApp;
  call(
    method: InjectOptions['method'],
    path: string,
    o?: { token?: string; body?: unknown; query?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
}

export function useFullApp(): () => Full {
  const api = useApi();
  let out: Full | undefined;
  beforeAll(async () => {
    const h = api();
    const full = await startFullApp(h);
    out = {
      h,
      full,
      call: (method, path, o = {}) =>
        full.app.inject({
          method,
          url: `${API_PREFIX}${path}`,
          query: o.query,
          headers: o.token === undefined ? {} : { authorization: `Bearer ${o.token}` },
          ...(o.body !== undefined ? { payload: o.body as Record<string, unknown> } : {}),
        }),
    };
  });
  afterAll(async () => {
    await out?.full.close();
  });
  return () => {
    if (!out) throw new Error('full app not ready');
    return out;
  };
}

/** HH:MM of an instant in a time zone. */
export function localTime(at: Date, timeZone = 'Asia/Phnom_Penh'): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    at,
  );
}

/** YYYY-MM-DD of an instant in a time zone, shifted by whole days. */
export function localDate(at: Date, days = 0, timeZone = 'Asia/Phnom_Penh'): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(at.getTime() + days * 86_400_000),
  );
}
