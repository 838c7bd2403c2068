import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestPath } from '@/test/render';
import { JobsRoute } from './JobsRoute';

afterEach(() => vi.unstubAllGlobals());

describe('JobsRoute', () => {
  it("asks for the current team's jobs of the project in the URL, and says when filters hide everything", async () => {
    const fetchMock = vi.fn(async (_input: RequestInfo | URL) => jsonResponse({ count: 0, results: [] }));
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<JobsRoute />, { route: '/jobs?project=fraud-model' });

    expect(await screen.findByText('No matching jobs')).toBeInTheDocument();
    expect(requestPath(fetchMock.mock.calls[0]![0])).toBe('/api/v1/jobs/?project=fraud-model&team=acme');
    expect(screen.getByText('Project: fraud-model')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Show jobs of every project' }));
    expect(await screen.findByText('No jobs yet')).toBeInTheDocument();
    await waitFor(() => expect(fetchMock.mock.calls.map(([input]) => requestPath(input))).toContain('/api/v1/jobs/?team=acme'));
  });
});
