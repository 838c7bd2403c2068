import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, unwrap } from './client';
import { ApiError } from './errors';
import { jsonResponse } from '@/test/render';

afterEach(() => vi.unstubAllGlobals());

describe('api client', () => {
  it('sends the CSRF token from the cookie on unsafe methods only', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const fetchMock = vi.fn(async (request: Request) =>
      jsonResponse(request.method === 'GET' ? { count: 0, next: null, previous: null, results: [] } : {}, 200),
    );
    vi.stubGlobal('fetch', fetchMock);

    await unwrap(api.GET('/api/v1/projects/', { params: { query: { team: 'acme' } } }));
    await unwrap(api.POST('/api/v1/auth/logout/'));

    const [get, post] = fetchMock.mock.calls.map(([request]) => request);
    expect(get?.url).toBe(`${window.location.origin}/api/v1/projects/?team=acme`);
    expect(get?.headers.get('X-CSRFToken')).toBeNull();
    expect(get?.credentials).toBe('same-origin');
    expect(post?.method).toBe('POST');
    expect(post?.headers.get('X-CSRFToken')).toBe('tok123');
  });

  it('fetches the CSRF cookie first when it is missing', async () => {
    const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.endsWith('/api/v1/auth/csrf/')) {
        document.cookie = 'csrftoken=fresh; path=/';
        return jsonResponse({});
      }
      return jsonResponse({ user: { id: 1, username: 'ada', email: '', teams: [] } });
    });
    vi.stubGlobal('fetch', fetchMock);

    await unwrap(api.POST('/api/v1/auth/login/', { body: { username: 'ada', password: 'pw' } }));
    expect(fetchMock).toHaveBeenCalledTimes(2);
    const login = fetchMock.mock.calls[1]?.[0] as Request;
    expect(login.headers.get('X-CSRFToken')).toBe('fresh');
  });

  it('throws ApiError with the parsed error body', async () => {
    document.cookie = 'csrftoken=tok; path=/';
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => jsonResponse({ error: { code: 'not_authenticated', message: 'Wrong username or password.' } }, 401)),
    );
    const call = unwrap(api.POST('/api/v1/auth/login/', { body: { username: 'ada', password: 'no' } }));
    await expect(call).rejects.toBeInstanceOf(ApiError);
    await expect(call).rejects.toMatchObject({ status: 401, code: 'not_authenticated', message: 'Wrong username or password.' });
  });
});
