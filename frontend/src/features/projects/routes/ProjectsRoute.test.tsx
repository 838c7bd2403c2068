import { screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders } from '@/test/render';
import { ProjectsRoute } from './ProjectsRoute';

afterEach(() => vi.unstubAllGlobals());

const page = (results: unknown[]) => ({ count: results.length, next: null, previous: null, results });

describe('ProjectsRoute', () => {
  it('shows the empty state when the team has no projects', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(page([])));
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<ProjectsRoute />);

    expect(screen.getByRole('heading', { name: 'Projects' })).toBeInTheDocument();
    expect(await screen.findByText('No projects yet')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Create your first project' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'New project' })).toBeInTheDocument();
    const request = (fetchMock.mock.calls[0] as unknown as [Request])[0];
    expect(new URL(request.url).searchParams.get('team')).toBe('acme');
  });

  it('lists projects as links to their pages', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        jsonResponse(
          page([
            {
              id: 1,
              slug: 'fraud-detector',
              name: 'Fraud Detector',
              team: 'acme',
              description: 'Flags card fraud',
              created_at: '2025-01-01T00:00:00Z',
              updated_at: '2025-01-01T00:00:00Z',
            },
          ]),
        ),
      ),
    );
    renderWithProviders(<ProjectsRoute />);
    const link = await screen.findByRole('link', { name: 'Fraud Detector' });
    expect(link).toHaveAttribute('href', '/projects/fraud-detector');
    expect(screen.getByText('Flags card fraud')).toBeInTheDocument();
  });

  it('shows an error with a retry button', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => jsonResponse({ error: { code: 'server_error', message: 'Database unavailable.' } }, 500)),
    );
    renderWithProviders(<ProjectsRoute />);
    expect(await screen.findByText('Database unavailable.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });
});
