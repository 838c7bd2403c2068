import { screen, within } from '@testing-library/react';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '@/test/render';
import { AppProviders } from './providers';
import { routes } from './routes';
import { createQueryClient } from '@/lib/query-client';

afterEach(() => vi.unstubAllGlobals());

const ME = { id: 1, username: 'ada', email: 'ada@example.com', teams: [{ slug: 'acme', name: 'Acme', role: 'admin' }] };

function fakeBackend() {
  let loggedIn = false;
  return vi.fn(async (request: Request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/api/v1/auth/me/') {
      return loggedIn ? jsonResponse(ME) : jsonResponse({ error: { code: 'not_authenticated', message: 'Log in.' } }, 403);
    }
    if (pathname === '/api/v1/auth/login/') {
      const body = (await request.json()) as { password: string };
      if (body.password !== 'secret') {
        return jsonResponse({ error: { code: 'invalid_credentials', message: 'Wrong username or password.' } }, 401);
      }
      loggedIn = true;
      return jsonResponse({ user: ME });
    }
    if (pathname === '/api/v1/projects/') return jsonResponse({ count: 0, next: null, previous: null, results: [] });
    return jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404);
  });
}

describe('App', () => {
  it('sends anonymous users to /login and back to the page they wanted', async () => {
    document.cookie = 'csrftoken=tok; path=/';
    vi.stubGlobal('fetch', fakeBackend());
    const router = createMemoryRouter(routes, { initialEntries: ['/rubric'] });
    const user = userEvent.setup();
    render(
      <AppProviders queryClient={createQueryClient()}>
        <RouterProvider router={router} />
      </AppProviders>,
    );

    // routes load on first visit (one chunk each): allow for the import
    await user.type(await screen.findByLabelText('Username', {}, { timeout: 5000 }), 'ada');
    await user.type(screen.getByLabelText('Password'), 'wrong{Enter}');
    expect(await screen.findByText('Wrong username or password.')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/login');

    await user.clear(screen.getByLabelText('Password'));
    await user.type(screen.getByLabelText('Password'), 'secret');
    await user.click(screen.getByRole('button', { name: 'Log in' }));

    expect(await screen.findByRole('heading', { name: 'ML Test Score' }, { timeout: 5000 })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/rubric');
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    for (const area of ['Projects', 'Rubric', 'CI', 'Models', 'Jobs', 'Deployments', 'Monitoring']) {
      expect(within(nav).getByRole('link', { name: area })).toBeInTheDocument();
    }
    // a labelled button from the small breakpoint up, an icon button on phones
    expect(screen.getAllByRole('button', { name: 'Log out' })).toHaveLength(2);
    expect(screen.getByText('ada')).toBeInTheDocument();

    await user.click(within(nav).getByRole('link', { name: 'Projects' }));
    expect(await screen.findByText('No projects yet', {}, { timeout: 5000 })).toBeInTheDocument();
  });
});
