import createClient, { defaultPathSerializer, type MethodResponse, type Middleware } from 'openapi-fetch';
import { readCookie } from '@/lib/cookies';
import { ApiError } from './errors';
import type { paths } from './schema';

export const CSRF_COOKIE = 'csrftoken';
export const CSRF_HEADER = 'X-CSRFToken';
const CSRF_PATH = '/api/v1/auth/csrf/';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

function origin(): string {
  return typeof window === 'undefined' ? 'http://localhost' : window.location.origin;
}

let csrfRequest: Promise<void> | null = null;

/** GET /auth/csrf/ once so Django sets the csrftoken cookie. Safe to call often. */
export function ensureCsrf(): Promise<void> {
  if (readCookie(CSRF_COOKIE)) return Promise.resolve();
  csrfRequest ??= globalThis
    .fetch(`${origin()}${CSRF_PATH}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then(() => undefined)
    .catch(() => undefined)
    .finally(() => {
      csrfRequest = null;
    });
  return csrfRequest;
}

const csrfMiddleware: Middleware = {
  async onRequest({ request }) {
    request.headers.set('Accept', 'application/json');
    if (SAFE_METHODS.has(request.method.toUpperCase())) return request;
    if (!readCookie(CSRF_COOKIE)) await ensureCsrf();
    const token = readCookie(CSRF_COOKIE);
    if (token) request.headers.set(CSRF_HEADER, token);
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: origin(),
  credentials: 'same-origin',
  // Resolve fetch at call time so tests can stub globalThis.fetch.
  fetch: (input: Request) => globalThis.fetch(input),
});
api.use(csrfMiddleware);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Returns data or throws ApiError built from the error body (`undefined` for 204). */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw ApiError.fromBody(response.status, error, response.statusText);
  return data as T;
}

/** POST endpoints whose request body is multipart only: the file uploads. */
export type UploadPath = {
  [P in keyof paths]: paths[P] extends { post: { requestBody: { content: infer C } } }
    ? 'application/json' extends keyof C
      ? never
      : 'multipart/form-data' extends keyof C
        ? P
        : never
    : never;
}[keyof paths];

type UploadPathParams<P extends UploadPath> = paths[P]['post']['parameters']['path'];
export type UploadResult<P extends UploadPath> = MethodResponse<typeof api, 'post', P>;

/**
 * Multipart upload to a schema path through XMLHttpRequest, so the browser reports upload
 * progress (0..1). Resolves with the typed response body; rejects with ApiError.
 */
export async function uploadWithProgress<P extends UploadPath>(
  path: P,
  params: UploadPathParams<P>,
  form: FormData,
  onProgress: (fraction: number) => void,
): Promise<UploadResult<P>> {
  const url = defaultPathSerializer(path, params);
  if (!readCookie(CSRF_COOKIE)) await ensureCsrf();
  const token = readCookie(CSRF_COOKIE) ?? '';
  return new Promise<UploadResult<P>>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader(CSRF_HEADER, token);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let data: unknown = xhr.responseText;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // keep the text
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(data as UploadResult<P>);
      } else {
        reject(ApiError.fromBody(xhr.status, data, xhr.statusText));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload failed: the server could not be reached.'));
    xhr.send(form);
  });
}
