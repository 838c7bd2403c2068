import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestJson, requestMethod, requestPath } from '@/test/render';
import { DeployVersionButton } from './DeployVersionButton';

afterEach(() => vi.unstubAllGlobals());

const deployment = (name: string, model: string) => ({
  id: 1,
  name,
  project: 'fraud-model',
  model,
  live_version: { id: 7, number: 2, format: 'onnx' },
  canary_version: null,
  canary_weight: 0,
  traffic: [],
  endpoint: `/serve/fraud-model/${name}/predict`,
  can_rollback: false,
});

describe('DeployVersionButton', () => {
  it('canaries against the first deployment of the model without picking one first', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
      const url = requestPath(input);
      if (requestMethod(input) === 'POST') return jsonResponse(deployment('digits', 'digits-mlp'));
      if (url.includes('/deployments/')) return jsonResponse({ results: [deployment('other', 'iris'), deployment('digits', 'digits-mlp')] });
      return jsonResponse({}, 404);
    });
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<DeployVersionButton project="fraud-model" model="digits-mlp" version={3} />);

    await user.click(screen.getByRole('button', { name: 'Deploy' }));
    const canary = await screen.findByText('Canary of an existing one');
    await waitFor(() => expect(screen.getByRole('radio', { name: 'Canary of an existing one' })).toBeEnabled());
    await user.click(canary);
    expect(await screen.findByDisplayValue('digits (live v2)')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start canary at 10 %' })).toBeDisabled();
    await user.type(screen.getByRole('textbox', { name: /Reason/ }), 'try v3 on a tenth');
    await user.click(screen.getByRole('button', { name: 'Start canary at 10 %' }));

    await waitFor(() => expect(fetchMock.mock.calls.some(([input]) => requestMethod(input) === 'POST')).toBe(true));
    const [post] = fetchMock.mock.calls.find(([input]) => requestMethod(input) === 'POST')!;
    expect(requestPath(post)).toBe('/api/v1/projects/fraud-model/deployments/digits/canary/');
    expect(await requestJson(post)).toMatchObject({ version: 3, weight: 10, reason: 'try v3 on a tenth' });
  });

  it('cannot create a deployment without a name', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse({ results: [] })));
    const user = userEvent.setup();
    renderWithProviders(<DeployVersionButton project="fraud-model" model="digits-mlp" version={3} />);
    await user.click(screen.getByRole('button', { name: 'Deploy' }));
    await user.clear(await screen.findByLabelText('Deployment name'));
    expect(screen.getByRole('button', { name: 'Create deployment' })).toBeDisabled();
  });
});
