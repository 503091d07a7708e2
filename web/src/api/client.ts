/**
 * The typed API client (openapi-fetch over the generated schema.d.ts): the session's access
 * token on every call, one refresh on 401 (shared by concurrent calls), then the call again.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema';

export type { paths };
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON body of a 200 answer of GET <path>. */
export type GetOk<P extends keyof paths> = paths[P] extends { get: { responses: { 200: infer R } } } ? Json<R> : never;

export type TokenPair = Json<paths['/api/v1/auth/login']['post']['responses'][200]>;
export type SessionUser = TokenPair['user'];
export interface Session {
  access: string;
  refresh: string;
  user: SessionUser;
}

const KEY = 'dastern.session';
let current: Session | null = read();
const listeners = new Set<(s: Session | null) => void>();

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw === null ? null : (JSON.parse(raw) as Session);
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return current;
}

export function setSession(s: Session | null): void {
  current = s;
  if (s === null) {
    localStorage.removeItem(KEY);
    localStorage.removeItem('dastern.pendingDoses');
    // What the service worker kept for offline use (today's doses, the medicine list) is personal.
    if ('caches' in window) void caches.delete('dastern-today');
  } else localStorage.setItem(KEY, JSON.stringify(s));
  for (const l of listeners) l(s);
}

export function onSession(l: (s: Session | null) => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

let refreshing: Promise<boolean> | null = null;

async function refreshOnce(s: Session): Promise<boolean> {
  const res = await fetch('/api/v1/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: s.refresh }),
  });
  if (!res.ok) return false;
  const body = (await res.json()) as { access_token: string; refresh_token: string };
  setSession({ ...s, access: body.access_token, refresh: body.refresh_token });
  return true;
}

export async function authedFetch(request: Request): Promise<Response> {
  const s = current;
  const again = request.clone();
  if (s !== null) request.headers.set('authorization', `Bearer ${s.access}`);
  const res = await fetch(request);
  if (res.status !== 401 || s === null) return res;
  refreshing ??= refreshOnce(s).finally(() => (refreshing = null));
  if (!(await refreshing) || current === null) {
    setSession(null);
    return res;
  }
  again.headers.set('authorization', `Bearer ${current.access}`);
  return fetch(again);
}

export const api = createClient<paths>({ baseUrl: location.origin, fetch: authedFetch });

/** A problem+json answer as an Error with its stable code. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** The data of an openapi-fetch result, or an ApiProblem. */
export function must<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.data !== undefined && r.response.ok) return r.data;
  const e = (r.error ?? {}) as { code?: string; detail?: string };
  throw new ApiProblem(r.response.status, e.code ?? 'http_' + r.response.status, e.detail ?? r.response.statusText);
}

/** Uploads a photo with progress (fetch has no upload progress): POST /prescriptions. */
export function uploadPrescription(
  file: Blob,
  onProgress: (fraction: number) => void,
): Promise<{ id: string; status: string }> {
  return new Promise((resolve, reject) => {
    const send = (retried: boolean) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/v1/prescriptions');
      if (current !== null) xhr.setRequestHeader('authorization', `Bearer ${current.access}`);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onerror = () => reject(new ApiProblem(0, 'network_error', 'network error'));
      xhr.onload = async () => {
        if (xhr.status === 401 && !retried && current !== null) {
          refreshing ??= refreshOnce(current).finally(() => (refreshing = null));
          if (await refreshing) return send(true);
        }
        let body: { id?: string; status?: string; code?: string; detail?: string } = {};
        try {
          body = JSON.parse(xhr.responseText) as typeof body;
        } catch {
          /* not JSON */
        }
        if (xhr.status === 202 && body.id !== undefined) resolve({ id: body.id, status: body.status ?? 'pending' });
        else reject(new ApiProblem(xhr.status, body.code ?? 'http_' + xhr.status, body.detail ?? xhr.statusText));
      };
      const form = new FormData();
      form.append('image', file, 'prescription.jpg');
      xhr.send(form);
    };
    send(false);
  });
}

/** An authorised image as a data: URL (the CSP allows data: images, not blob:). */
export async function imageDataUrl(path: string): Promise<string> {
  const res = await authedFetch(new Request(path));
  if (!res.ok) throw new ApiProblem(res.status, 'image_unavailable', res.statusText);
  const blob = await res.blob();
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('read failed'));
    r.readAsDataURL(blob);
  });
}
