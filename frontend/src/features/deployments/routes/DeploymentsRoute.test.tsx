import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestPath } from '@/test/render';
import { DeploymentsRoute } from './DeploymentsRoute';

afterEach(() => vi.unstubAllGlobals());

const digits = {
  id: 1,
  name: 'digits',
  project: 'digits-classifier',
  model: 'digits-mlp',
  live_version: { id: 7, number: 2, format: 'onnx' },
  canary_version: null,
  canary_weight: 0,
  traffic: [{ version: 2, role: 'live', share: 100 }],
  endpoint: '/serve/digits-classifier/digits/predict',
  can_rollback: false,
};

function stubApi() {
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const url = requestPath(input);
    if (url.startsWith('/api/v1/projects/?')) {
      return jsonResponse({ results: [{ slug: 'cancer', name: 'Cancer screening' }, { slug: 'digits-classifier', name: 'Digits classifier' }] });
    }
    if (url.startsWith('/api/v1/deployments/')) return jsonResponse({ results: [digits] });
    if (url.startsWith('/api/v1/projects/cancer/deployments/')) return jsonResponse({ results: [] });
    return jsonResponse({}, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('DeploymentsRoute', () => {
  it("lists the whole team's deployments with their project when no project is chosen", async () => {
    const fetchMock = stubApi();
    renderWithProviders(<DeploymentsRoute />, { route: '/deployments' });
    expect(await screen.findByRole('link', { name: 'digits' })).toHaveAttribute('href', '/deployments/digits-classifier/digits');
    expect(await screen.findByRole('link', { name: 'Digits classifier' })).toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([input]) => requestPath(input) === '/api/v1/deployments/?team=acme')).toBe(true);
  });

  it('names the chosen project in its empty state', async () => {
    stubApi();
    renderWithProviders(<DeploymentsRoute />, { route: '/deployments?project=cancer' });
    expect(await screen.findByText('No deployments yet')).toBeInTheDocument();
    expect(await screen.findByText(/Cancer screening has no deployments/)).toBeInTheDocument();
  });
});
