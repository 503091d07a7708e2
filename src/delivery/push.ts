/**
 * Web Push through the `web-push` library: the payload is encrypted for the browser's keys
 * (aes128gcm, RFC 8291) and POSTed to the subscription's endpoint with a VAPID signature
 * (RFC 8292). The outcome is classified for the deliverer:
 *   2xx            sent
 *   404, 410       gone: the browser dropped the subscription; it is disabled
 *   429, 5xx, network, time-out   passing: retried later
 *   other 4xx      refused (bad key, payload too large, VAPID mismatch): counted against it
 */
import type https from 'node:https';
import webpush from 'web-push';
import type { VapidDetails } from './vapid.ts';

export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushMessage {
  payload: string;
  /** Seconds the push service keeps the message for an offline device. */
  ttlSeconds: number;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
  /** Collapses an undelivered message with a later one of the same topic (≤ 32 URL-safe chars). */
  topic?: string;
}

export type PushOutcome =
  | { kind: 'sent'; status: number }
  | { kind: 'gone'; status: number }
  | { kind: 'failed'; transient: boolean; status: number | null; error: string };

export interface PushSender {
  send(target: PushTarget, message: PushMessage): Promise<PushOutcome>;
}

export interface WebPushOptions {
  vapid: VapidDetails;
  /** Hosts an endpoint may point at (and their sub-domains); ['*'] → any https host. */
  allowedHosts: readonly string[];
  timeoutMs?: number;
  /** Tests: an agent that trusts the local endpoint's self-signed certificate. */
  agent?: https.Agent;
}

/** Is this a push endpoint we are willing to POST to? https, allowed host, no credentials. */
export function endpointAllowed(endpoint: string, allowedHosts: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || endpoint.length > 2048) return false;
  if (allowedHosts.includes('*')) return true;
  const host = url.hostname.toLowerCase();
  return allowedHosts.some((h) => host === h || host.endsWith(`.${h}`));
}

function isWebPushError(err: unknown): err is webpush.WebPushError {
  return err instanceof webpush.WebPushError;
}

export function webPushSender(options: WebPushOptions): PushSender {
  return {
    async send(target, message) {
      if (!endpointAllowed(target.endpoint, options.allowedHosts)) {
        return { kind: 'failed', transient: false, status: null, error: 'endpoint host not allowed' };
      }
      try {
        const res = await webpush.sendNotification(
          { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
          message.payload,
          {
            vapidDetails: options.vapid,
            TTL: message.ttlSeconds,
            urgency: message.urgency,
            contentEncoding: 'aes128gcm',
            timeout: options.timeoutMs ?? 10_000,
            ...(message.topic !== undefined ? { topic: message.topic } : {}),
            ...(options.agent !== undefined ? { agent: options.agent } : {}),
          },
        );
        return { kind: 'sent', status: res.statusCode };
      } catch (err) {
        if (isWebPushError(err)) {
          const status = err.statusCode;
          if (status === 404 || status === 410) return { kind: 'gone', status };
          const transient = status === 429 || status >= 500;
          return { kind: 'failed', transient, status, error: `push service answered ${status}` };
        }
        // Network errors, time-outs; a subscription whose keys cannot be used is refused for good.
        const message = err instanceof Error ? err.message : String(err);
        const code = (err as NodeJS.ErrnoException).code;
        const transient = code !== undefined || /timeout/i.test(message);
        return { kind: 'failed', transient, status: null, error: (code ?? message).slice(0, 200) };
      }
    },
  };
}
