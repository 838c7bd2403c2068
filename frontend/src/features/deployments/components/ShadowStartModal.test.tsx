import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders, requestJson, requestPath } from '@/test/render';
import { deploymentFixture, fieldErrorResponse, sentChange, stubApi, version } from './experiments.fixtures';
import { ShadowStartModal, shadowProblems } from './ShadowStartModal';

afterEach(() => vi.unstubAllGlobals());

describe('ShadowStartModal', () => {
  it('checks the version and the share as the API does', () => {
    expect(shadowProblems(2, 50)).toEqual({});
    expect(shadowProblems(null, 50).version).toBeDefined();
    expect(shadowProblems(2, 0).share).toBeDefined();
    expect(shadowProblems(2, 101).share).toBeDefined();
    expect(shadowProblems(2, '').share).toBeDefined();
  });

  it('says there is no other version to shadow when only live exists', async () => {
    const fetchMock = stubApi([version(1)]);
    renderWithProviders(<ShadowStartModal deployment={deploymentFixture()} onClose={() => {}} />);
    expect(await screen.findByText('No other version to shadow')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start shadow' })).toBeDisabled();
    expect(sentChange(fetchMock)).toBeUndefined();
  });

  it('posts the first other version and the share as a fraction on Enter', async () => {
    const fetchMock = stubApi([version(3), version(2), version(1)]);
    const onClose = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<ShadowStartModal deployment={deploymentFixture()} onClose={onClose} />);
    // live v1 is not offered; the newest other version is picked
    expect(await screen.findByDisplayValue('v3 · onnx · accuracy 0.93')).toBeInTheDocument();
    const share = screen.getByRole('textbox', { name: 'Share of requests mirrored (%)' });
    await user.clear(share);
    await user.type(share, '25');
    await user.type(screen.getByRole('textbox', { name: 'Reason' }), 'does v3 agree{Enter}');
    await waitFor(() => expect(sentChange(fetchMock)).toBeDefined());
    const post = sentChange(fetchMock)!;
    expect(requestPath(post)).toBe('/api/v1/projects/fraud-model/deployments/digits/shadow/');
    expect(await requestJson(post)).toEqual({ version: 3, share: 0.25, reason: 'does v3 agree' });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it("shows the API's error at the version and a bad share before sending", async () => {
    const fetchMock = stubApi([version(2), version(1)], async () => fieldErrorResponse({ version: ['Version 2 cannot be served: it has no recipe.'] }));
    const user = userEvent.setup();
    renderWithProviders(<ShadowStartModal deployment={deploymentFixture()} onClose={() => {}} />);
    const share = await screen.findByRole('textbox', { name: 'Share of requests mirrored (%)' });
    await user.clear(share);
    await user.click(screen.getByRole('button', { name: 'Start shadow' }));
    expect(await screen.findByText('Must be more than 0 % and at most 100 %.')).toBeInTheDocument();
    expect(sentChange(fetchMock)).toBeUndefined();
    await user.type(share, '50');
    await user.click(screen.getByRole('button', { name: 'Start shadow' }));
    expect(await screen.findByText('Version 2 cannot be served: it has no recipe.')).toBeInTheDocument();
    expect(screen.getByDisplayValue('v2 · onnx · accuracy 0.92')).toHaveAttribute('aria-invalid', 'true');
  });
});
