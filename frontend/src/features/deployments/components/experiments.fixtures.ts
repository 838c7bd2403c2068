import { vi } from 'vitest';
import { jsonResponse, requestMethod, requestPath } from '@/test/render';
import type { Deployment } from '../api/deployments';

/** A deployment of digits-mlp with v1 live, for the experiment modals' tests. */
export function deploymentFixture(overrides: Partial<Deployment> = {}): Deployment {
  return {
    id: 1,
    name: 'digits',
    project: 'fraud-model',
    model: 'digits-mlp',
    live_version: { id: 11, number: 1, format: 'onnx' },
    canary_version: null,
    canary_weight: 0,
    traffic: [{ version: 1, role: 'live', share: 100 }],
    endpoint: '/serve/fraud-model/digits/predict',
    can_rollback: false,
    bandit_policy: '',
    bandit_arms: [],
    shadow_version: null,
    shadow_share: 0,
    log_sample_rate: 1,
    quality_metric: 'accuracy',
    ...overrides,
  } as unknown as Deployment;
}

export const version = (number: number, format = 'onnx') => ({ id: 10 + number, number, format, metrics: { accuracy: 0.9 + number / 100 } });

/** A fetch stub: GET versions lists `versions`; a POST or DELETE answers `answer` (a never-settling one stays pending). */
export function stubApi(versions: unknown[], answer: () => Promise<Response> = async () => jsonResponse(deploymentFixture())) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    if (requestMethod(input) !== 'GET') return answer();
    if (requestPath(input).includes('/versions/')) return jsonResponse({ count: versions.length, results: versions });
    return jsonResponse({}, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  document.cookie = 'csrftoken=tok123; path=/';
  return fetchMock;
}

/** The one request that changed something (POST or DELETE), or undefined. */
export function sentChange(fetchMock: ReturnType<typeof stubApi>): Request | undefined {
  return fetchMock.mock.calls.map(([input]) => input).find((input): input is Request => input instanceof Request && input.method !== 'GET');
}

export const fieldErrorResponse = (fields: Record<string, string[]>, status = 400) =>
  jsonResponse({ error: { code: status === 409 ? 'conflict' : 'invalid', message: Object.values(fields)[0]?.[0] ?? 'bad', fields } }, status);
