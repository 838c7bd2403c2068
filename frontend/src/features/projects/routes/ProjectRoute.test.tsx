import { screen } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders } from '@/test/render';
import { ProjectRoute } from './ProjectRoute';

afterEach(() => vi.unstubAllGlobals());

describe('ProjectRoute', () => {
  it("links every area card to this project's part of the area", async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        jsonResponse({
          id: 1,
          slug: 'fraud-model',
          name: 'Fraud model',
          team: 'acme',
          description: '',
          created_at: '2026-01-01T00:00:00Z',
          updated_at: '2026-01-01T00:00:00Z',
        }),
      ),
    );
    renderWithProviders(
      <Routes>
        <Route path="/projects/:slug" element={<ProjectRoute />} />
      </Routes>,
      { route: '/projects/fraud-model' },
    );
    const href = async (name: string) => (await screen.findByRole('link', { name })).getAttribute('href');
    expect(await href('Readiness score')).toBe('/projects/fraud-model/rubric');
    expect(await href('Training checks and exports')).toBe('/jobs?project=fraud-model');
    expect(await href('Serving endpoints')).toBe('/deployments?project=fraud-model');
    expect(await href('Drift and quality')).toBe('/monitoring?project=fraud-model');
    expect(screen.getByText('Acme')).toBeInTheDocument();
  });
});
