import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestJson, requestPath } from '@/test/render';
import { AliasMover } from './AliasMover';

afterEach(() => vi.unstubAllGlobals());

const ALIASES = [{ name: 'champion', version: 1, updated_by: 'ada', updated_at: '2026-01-01T00:00:00Z' }];

function renderMover(canMove = true) {
  return renderWithProviders(<AliasMover slug="fraud-model" model="scorer" versions={[3, 2, 1]} aliases={ALIASES} canMove={canMove} />);
}

describe('AliasMover', () => {
  it('is disabled for members and viewers', () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    renderMover(false);
    expect(screen.getByRole('button', { name: 'Move alias' })).toBeDisabled();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('confirms the move from the current version and sends it conditionally with the reason', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const fetchMock = vi.fn(async () => jsonResponse({ name: 'champion', version: 3, updated_by: 'owner', updated_at: '' }));
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderMover();

    await user.click(screen.getByRole('button', { name: 'Move alias' }));
    const dialog = await screen.findByRole('dialog');
    // the newest version is preselected; the summary shows where the alias points now
    expect(within(dialog).getByTestId('alias-move-summary')).toHaveTextContent('champion: v1 → v3');
    await user.selectOptions(within(dialog).getByLabelText('Version'), '1');
    expect(within(dialog).getByTestId('alias-move-summary')).toHaveTextContent('(already there)');
    expect(within(dialog).getByRole('button', { name: 'Move champion to v1' })).toBeDisabled();

    await user.selectOptions(within(dialog).getByLabelText('Version'), '2');
    await user.type(within(dialog).getByLabelText('Reason (optional)'), 'better recall on DE');
    await user.click(within(dialog).getByRole('button', { name: 'Move champion to v2' }));

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [request] = fetchMock.mock.calls[0] as unknown as [Request];
    expect(requestPath(request)).toBe('/api/v1/projects/fraud-model/models/scorer/aliases/');
    expect(request.method).toBe('POST');
    expect(request.headers.get('X-CSRFToken')).toBe('tok123');
    expect(await requestJson(request)).toEqual({
      alias: 'champion',
      version: 2,
      expected_version: 1,
      reason: 'better recall on DE',
    });
  });

  it('shows a 409 as a conflict with a reload action, and other errors as a rejection', async () => {
    document.cookie = 'csrftoken=tok123; path=/';
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(
        jsonResponse(
          {
            error: {
              code: 'conflict',
              message: "alias 'champion' points at version 2, not 1; reload and retry",
              fields: { expected_version: ['stale'] },
            },
          },
          409,
        ),
      )
      .mockResolvedValueOnce(
        jsonResponse({ error: { code: 'invalid', message: 'an alias is 1-64 lowercase letters', fields: { alias: ['an alias is 1-64 lowercase letters'] } } }, 400),
      );
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderMover();

    await user.click(screen.getByRole('button', { name: 'Move alias' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Move champion to v3' }));
    const conflict = await within(dialog).findByRole('alert');
    expect(conflict).toHaveTextContent('Conflict — someone else moved this alias');
    expect(conflict).toHaveTextContent("points at version 2, not 1");
    expect(within(conflict).getByRole('button', { name: 'Reload aliases' })).toBeInTheDocument();
    // the dialog stays open: nothing was moved
    expect(screen.getByRole('dialog')).toBeInTheDocument();

    await user.clear(within(dialog).getByLabelText(/^Alias/));
    await user.type(within(dialog).getByLabelText(/^Alias/), 'Bad Name');
    await user.click(within(dialog).getByRole('button', { name: 'Move Bad Name to v3' }));
    const rejected = await within(dialog).findByRole('alert');
    expect(rejected).toHaveTextContent('Move rejected');
    expect(rejected).not.toHaveTextContent('Conflict');
  });
});
