import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestJson, requestMethod, requestPath } from '@/test/render';
import { MetricPoliciesEditor } from './MetricPoliciesEditor';

afterEach(() => vi.unstubAllGlobals());

const POLICY = { metric: 'latency_p99_ms', direction: 'lower', tolerance: 0.1, relative: true, kind: 'performance' };

describe('MetricPoliciesEditor', () => {
  it('lists policies with their tolerance and rubric test', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse([POLICY])));
    renderWithProviders(<MetricPoliciesEditor slug="fraud-model" />);
    const row = await screen.findByTestId('ci-metric-policy');
    expect(row).toHaveTextContent('latency_p99_ms');
    expect(row).toHaveTextContent('10 %');
    expect(row).toHaveTextContent('performance · monitor-6');
  });

  it('needs a metric name before sending', async () => {
    const fetchMock = vi.fn(async () => jsonResponse([]));
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<MetricPoliciesEditor slug="fraud-model" />);
    await screen.findByText(/No policies/);
    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText('Name the metric, as your CI reports it.')).toBeInTheDocument();
    expect(screen.getByLabelText('Metric')).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('posts a policy and shows a server field error inline', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const fetchMock = vi.fn(async (input: RequestInfo | URL) =>
      requestMethod(input) === 'POST'
        ? jsonResponse(
            { error: { code: 'invalid', message: 'Invalid input.', fields: { metric: ['Ensure this field has no more than 200 characters.'] } } },
            400,
          )
        : jsonResponse([]),
    );
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<MetricPoliciesEditor slug="fraud-model" />);
    await user.type(await screen.findByLabelText('Metric'), 'f1_macro');
    await user.click(screen.getByRole('button', { name: 'Save policy' }));
    expect(await screen.findByText('Ensure this field has no more than 200 characters.')).toBeInTheDocument();
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
    const [request] = fetchMock.mock.calls[1]!;
    expect(requestPath(request)).toBe('/api/v1/projects/fraud-model/ci/metric-policies/');
    expect(await requestJson(request)).toEqual({
      metric: 'f1_macro',
      direction: 'higher',
      kind: 'quality',
      tolerance: 0.01,
      relative: false,
    });
  });
});
