import { readCookie } from '@/lib/cookies';
import { CSRF_COOKIE, CSRF_HEADER, ensureCsrf } from './client';
import { ApiError } from './errors';
import type { components } from './schema';

// POST /serve/{p}/{d}/explain lives on the data plane (outside the /api/v1 schema): its answer is an
// explain job's report, typed by the schema's ExplainJobReport.

export type Explanation = components['schemas']['ExplainJobReport'];
export type RowExplanation = components['schemas']['RowExplanation'];
export type ReplayReport = components['schemas']['ReplayJobReport'];

export interface ExplainAnswer {
  job: number;
  status: string;
  model_version: number;
  explanation?: Explanation;
  message?: string;
  progress?: number;
}

export type ExplainBody = { inputs: unknown } | { request_id: string };

const POLL_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(url: string, init: RequestInit): Promise<ExplainAnswer> {
  const response = await globalThis.fetch(url, { credentials: 'same-origin', ...init });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw ApiError.fromBody(response.status, body, response.statusText);
  return body as ExplainAnswer;
}

/** Explain inputs or a logged request on a deployment; while the worker runs (202), poll its job and report progress. */
export async function explainOnDeployment(
  project: string,
  deployment: string,
  body: ExplainBody,
  onProgress?: (answer: ExplainAnswer) => void,
  signal?: AbortSignal,
): Promise<Explanation> {
  await ensureCsrf();
  const base = `/serve/${encodeURIComponent(project)}/${encodeURIComponent(deployment)}/explain`;
  let answer = await call(`${base}?wait=5`, {
    method: 'POST',
    signal,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', [CSRF_HEADER]: readCookie(CSRF_COOKIE) ?? '' },
    body: JSON.stringify(body),
  });
  while (!answer.explanation) {
    onProgress?.(answer);
    await sleep(POLL_MS);
    if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
    answer = await call(`${base}/${answer.job}`, { signal, headers: { Accept: 'application/json' } });
  }
  return answer.explanation;
}
