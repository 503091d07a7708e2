/**
 * Authorised documents (a receipt's HTML, a report's PDF): fetched with the session's token,
 * then shown or saved from memory. The CSP allows data: URLs, not blob:.
 */
import { ApiProblem, authedFetch } from './client.ts';

async function authorised(path: string): Promise<Response> {
  const res = await authedFetch(new Request(path));
  if (!res.ok) {
    let body: { code?: string; detail?: string } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      /* not problem+json */
    }
    throw new ApiProblem(res.status, body.code ?? `http_${res.status}`, body.detail ?? res.statusText);
  }
  return res;
}

export async function fetchText(path: string): Promise<string> {
  return (await authorised(path)).text();
}

/** Saves an authorised file under `filename` (a download, as a link with download= does). */
export async function saveFile(path: string, filename: string): Promise<void> {
  const blob = await (await authorised(path)).blob();
  const url = await new Promise<string>((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('read failed'));
    r.readAsDataURL(blob);
  });
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}
