/**
 * POST with `Accept: text/event-stream` and read the server-sent events as they arrive (the
 * assistant streams its answer: "delta", "replace", "done", "error"). EventSource cannot POST
 * nor send the bearer token, so this reads the fetch body. A refusal before the stream starts
 * (402 premium_required, 429…) is a problem+json answer: thrown as an ApiProblem.
 */
import { ApiProblem, authedFetch } from './client.ts';

export interface ServerEvent {
  event: string;
  data: unknown;
}

export async function postEventStream(path: string, body: unknown, onEvent: (e: ServerEvent) => void): Promise<void> {
  const res = await authedFetch(
    new Request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
    }),
  );
  if (!res.ok || res.body === null) {
    let problem: { code?: string; detail?: string } = {};
    try {
      problem = (await res.json()) as typeof problem;
    } catch {
      /* not JSON */
    }
    throw new ApiProblem(res.status, problem.code ?? `http_${res.status}`, problem.detail ?? res.statusText);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value !== undefined) buffer += value;
    // events are separated by a blank line
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent({ event, data: JSON.parse(data.join('\n')) as unknown });
    }
    if (done) break;
  }
}
