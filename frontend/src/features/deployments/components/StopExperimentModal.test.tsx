import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders, requestJson, requestPath } from '@/test/render';
import { deploymentFixture, fieldErrorResponse, sentChange, stubApi } from './experiments.fixtures';
import { StopExperimentModal } from './StopExperimentModal';

afterEach(() => vi.unstubAllGlobals());

describe('StopExperimentModal', () => {
  it('sends DELETE with the reason and closes', async () => {
    const fetchMock = stubApi([]);
    const onClose = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<StopExperimentModal deployment={deploymentFixture({ bandit_arms: [1, 2], bandit_policy: 'thompson' })} what="bandit" onClose={onClose} />);
    expect(screen.getByText(/The bandit over v1, v2 stops/)).toBeInTheDocument();
    await user.type(screen.getByRole('textbox', { name: 'Reason' }), 'v2 won{Enter}');
    await waitFor(() => expect(sentChange(fetchMock)).toBeDefined());
    const req = sentChange(fetchMock)!;
    expect(req.method).toBe('DELETE');
    expect(requestPath(req)).toBe('/api/v1/projects/fraud-model/deployments/digits/bandit/');
    expect(await requestJson(req)).toEqual({ reason: 'v2 won' });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it('shows a conflict as an alert and keeps the modal open', async () => {
    stubApi([], async () => fieldErrorResponse({ shadow: ['This deployment has no shadow.'] }, 409));
    const onClose = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<StopExperimentModal deployment={deploymentFixture({ shadow_version: { id: 12, number: 2, format: 'onnx' }, shadow_share: 0.5 })} what="shadow" onClose={onClose} />);
    await user.click(screen.getByRole('button', { name: 'Stop shadow' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This deployment has no shadow.');
    expect(onClose).not.toHaveBeenCalled();
  });
});
