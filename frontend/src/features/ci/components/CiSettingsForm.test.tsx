import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestJson, requestMethod, requestPath } from '@/test/render';
import { CiSettingsForm, validateSettings } from './CiSettingsForm';

const SETTINGS = {
  default_branch: '',
  default_branches: ['main', 'master'],
  baseline_runs: 5,
  notify_url: '',
  rotated_at: null,
  previous_valid_until: null,
};

afterEach(() => vi.unstubAllGlobals());

describe('CiSettingsForm', () => {
  it('checks values before sending', () => {
    expect(validateSettings({ default_branch: 'main', baseline_runs: 5, notify_url: '' })).toEqual({});
    const errors = validateSettings({ default_branch: 'my branch', baseline_runs: 0, notify_url: 'ftp://x' });
    expect(Object.keys(errors).sort()).toEqual(['baseline_runs', 'default_branch', 'notify_url']);
  });

  it('shows client errors inline and sends nothing', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(SETTINGS));
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<CiSettingsForm slug="fraud-model" />);
    const url = await screen.findByLabelText('Outbound notification URL');
    await user.type(url, 'hooks.example.com');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('An http:// or https:// URL.')).toBeInTheDocument();
    expect(url).toHaveAttribute('aria-invalid', 'true');
    expect(fetchMock).toHaveBeenCalledTimes(1); // the initial GET only
  });

  it('shows the server error under the field it names', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const fetchMock = vi.fn(async (input: RequestInfo | URL) =>
      requestMethod(input) === 'PATCH'
        ? jsonResponse(
            {
              error: {
                code: 'invalid',
                message: 'Invalid input.',
                fields: { notify_url: ["the host '10.0.0.5' resolves to an internal address (10.0.0.5)"] },
              },
            },
            400,
          )
        : jsonResponse(SETTINGS),
    );
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<CiSettingsForm slug="fraud-model" />);
    await user.type(await screen.findByLabelText('Default branch'), 'trunk');
    await user.type(screen.getByLabelText('Outbound notification URL'), 'http://10.0.0.5/hook');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    const message = await screen.findByText(/resolves to an internal address/);
    const field = screen.getByLabelText('Outbound notification URL');
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field.getAttribute('aria-describedby')).toContain(message.id);
    const [request] = fetchMock.mock.calls[1]!;
    expect(requestPath(request)).toBe('/api/v1/projects/fraud-model/ci/settings/');
    expect(requestMethod(request)).toBe('PATCH');
    expect(await requestJson(request)).toEqual({
      default_branch: 'trunk',
      baseline_runs: 5,
      notify_url: 'http://10.0.0.5/hook',
    });
  });

  it('says which branches count and confirms a save', async () => {
    const saved = { ...SETTINGS, default_branch: 'trunk', default_branches: ['trunk'] };
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => jsonResponse(requestMethod(input) === 'PATCH' ? saved : SETTINGS)),
    );
    const user = userEvent.setup();
    renderWithProviders(<CiSettingsForm slug="fraud-model" />);
    expect(await screen.findByText(/Only runs of main or master are rubric evidence/)).toBeInTheDocument();
    await user.type(screen.getByLabelText('Default branch'), 'trunk');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Saved.'));
    expect(screen.getByText(/Only runs of trunk are rubric evidence/)).toBeInTheDocument();
  });
});
