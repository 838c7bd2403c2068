import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestPath } from '@/test/render';
import { MonitoringRoute } from './MonitoringRoute';

afterEach(() => vi.unstubAllGlobals());

const row = (project: string, deployment: string) => ({
  project,
  team: 'acme',
  deployment,
  model: 'm',
  version: 1,
  status: 'ok',
  open_alerts: 0,
  monitors: {},
});

describe('MonitoringRoute', () => {
  it("shows the current team's deployments, narrowed to ?project=", async () => {
    const fetchMock = vi.fn(async (input: RequestInfo | URL) =>
      requestPath(input).startsWith('/api/v1/monitoring/overview/')
        ? jsonResponse({ results: [row('fraud-model', 'scorer'), row('churn', 'churner')] })
        : jsonResponse({ results: [] }),
    );
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<MonitoringRoute />, { route: '/monitoring?project=fraud-model' });

    expect(await screen.findByRole('link', { name: 'fraud-model / scorer' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'churn / churner' })).not.toBeInTheDocument();
    const urls = fetchMock.mock.calls.map(([input]) => requestPath(input));
    expect(urls).toContain('/api/v1/monitoring/overview/?team=acme');
    expect(urls).toContain('/api/v1/alerts/?status=open&team=acme&project=fraud-model');
  });
});
