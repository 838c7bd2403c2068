import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { CurrentTeamProvider, type Membership } from '@/lib/current-team';

export const TEST_TEAM: Membership = { slug: 'acme', name: 'Acme', role: 'admin' };

export function renderWithProviders(
  ui: ReactElement,
  { route = '/', teams = [TEST_TEAM] }: { route?: string; teams?: Membership[] } = {},
): RenderResult & { queryClient: QueryClient } {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } },
  });
  const result = render(
    <MantineProvider>
      <QueryClientProvider client={queryClient}>
        <MemoryRouter initialEntries={[route]}>
          <CurrentTeamProvider teams={teams}>{ui}</CurrentTeamProvider>
        </MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return { ...result, queryClient };
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** Path and query of a request the API client sent (fetch receives a Request with an absolute URL). */
export function requestPath(input: RequestInfo | URL): string {
  const url = new URL(input instanceof Request ? input.url : String(input), window.location.origin);
  return url.pathname + url.search;
}

export function requestMethod(input: RequestInfo | URL, init?: RequestInit): string {
  return (input instanceof Request ? input.method : (init?.method ?? 'GET')).toUpperCase();
}

/** The JSON body of a request the API client sent. */
export async function requestJson(input: RequestInfo | URL): Promise<unknown> {
  if (!(input instanceof Request)) throw new Error('the API client sends Request objects');
  return JSON.parse(await input.clone().text()) as unknown;
}
