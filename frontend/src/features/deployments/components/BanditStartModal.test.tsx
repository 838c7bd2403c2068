import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders, requestJson, requestPath } from '@/test/render';
import { BanditStartModal, banditProblems } from './BanditStartModal';
import { deploymentFixture, fieldErrorResponse, sentChange, stubApi, version } from './experiments.fixtures';

afterEach(() => vi.unstubAllGlobals());

describe('banditProblems', () => {
  it('checks the arms, epsilon and the least share as the API does', () => {
    expect(banditProblems([1, 2], 0.1, 0.02)).toEqual({});
    expect(banditProblems([1], 0.1, 0.02).versions).toMatch(/two versions/);
    expect(banditProblems([1, 2, 3, 4, 5, 6, 7, 8, 9], 0.1, 0.02).versions).toMatch(/at most 8/);
    expect(banditProblems([1, 2], 1.5, 0.02).epsilon).toBeDefined();
    expect(banditProblems([1, 2, 3], 0.1, 0.4).min_share).toBe('Must be between 0 and 0.3333.');
    expect(banditProblems([1, 2], '', 0.02).epsilon).toBeDefined();
  });
});

describe('BanditStartModal', () => {
  it('shows the missing second arm at its field and sends nothing', async () => {
    const fetchMock = stubApi([version(2), version(1)]);
    const user = userEvent.setup();
    renderWithProviders(<BanditStartModal deployment={deploymentFixture()} onClose={() => {}} />);
    await user.click(await screen.findByRole('button', { name: 'Start bandit' }));
    expect(await screen.findByText('Pick two versions or more to choose between.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start bandit' })).toBeDisabled();
    expect(sentChange(fetchMock)).toBeUndefined();
  });

  it('posts the arms, the policy, epsilon, the least share and the reason on Enter', async () => {
    const fetchMock = stubApi([version(2), version(1)]);
    const onClose = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<BanditStartModal deployment={deploymentFixture()} onClose={onClose} />);
    await user.click(await screen.findByRole('checkbox', { name: /^v2 · onnx/ }));
    await user.click(screen.getByText('Epsilon-greedy'));
    const epsilon = screen.getByRole('textbox', { name: 'Epsilon' });
    await user.clear(epsilon);
    await user.type(epsilon, '0.2');
    await user.type(screen.getByRole('textbox', { name: 'Reason' }), 'which digits model is better{Enter}');
    await waitFor(() => expect(sentChange(fetchMock)).toBeDefined());
    const post = sentChange(fetchMock)!;
    expect(post.method).toBe('POST');
    expect(requestPath(post)).toBe('/api/v1/projects/fraud-model/deployments/digits/bandit/');
    expect(await requestJson(post)).toEqual({ versions: [1, 2], policy: 'epsilon_greedy', epsilon: 0.2, min_share: 0.02, reason: 'which digits model is better' });
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it("shows the API's field error next to the field and disables submit while pending", async () => {
    let settle: (r: Response) => void = () => {};
    const fetchMock = stubApi([version(2), version(1)], () => new Promise<Response>((resolve) => (settle = resolve)));
    const user = userEvent.setup();
    renderWithProviders(<BanditStartModal deployment={deploymentFixture()} onClose={() => {}} />);
    await user.click(await screen.findByRole('checkbox', { name: /^v2 · onnx/ }));
    await user.click(screen.getByRole('button', { name: 'Start bandit' }));
    await waitFor(() => expect(sentChange(fetchMock)).toBeDefined());
    expect(screen.getByRole('button', { name: 'Start bandit' })).toBeDisabled();
    settle(fieldErrorResponse({ min_share: ['Must be between 0 and 0.5 (1 / the number of arms).'] }));
    const message = await screen.findByText('Must be between 0 and 0.5 (1 / the number of arms).');
    expect(screen.getByRole('textbox', { name: 'Least share per arm' })).toHaveAttribute('aria-invalid', 'true');
    expect(message).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('button', { name: 'Start bandit' })).toBeEnabled();
  });

  it('shows a conflict that names no field as an alert', async () => {
    stubApi([version(2), version(1)], async () => fieldErrorResponse({ canary: ['Promote or roll back the canary before starting a bandit.'] }, 409));
    const user = userEvent.setup();
    renderWithProviders(<BanditStartModal deployment={deploymentFixture()} onClose={() => {}} />);
    await user.click(await screen.findByRole('checkbox', { name: /^v2 · onnx/ }));
    await user.click(screen.getByRole('button', { name: 'Start bandit' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Promote or roll back the canary');
  });

  it('says so when the model has one version, and while a canary takes traffic', async () => {
    stubApi([version(1)]);
    const { unmount } = renderWithProviders(<BanditStartModal deployment={deploymentFixture()} onClose={() => {}} />);
    expect(await screen.findByText('No other version to route to')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start bandit' })).toBeDisabled();
    unmount();
    stubApi([version(2), version(1)]);
    renderWithProviders(<BanditStartModal deployment={deploymentFixture({ canary_version: { id: 12, number: 2, format: 'onnx' }, canary_weight: 10 })} onClose={() => {}} />);
    expect(await screen.findByTestId('bandit-canary-blocks')).toHaveTextContent('Canary v2 takes 10 %');
    expect(screen.getByRole('button', { name: 'Start bandit' })).toBeDisabled();
  });

  it('names the reward and closes on Escape', async () => {
    stubApi([version(2), version(1)]);
    const onClose = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<BanditStartModal deployment={deploymentFixture({ log_sample_rate: 0.5 })} onClose={onClose} />);
    expect(await screen.findByTestId('bandit-reward')).toHaveTextContent('a correct answer is 1, a wrong one 0');
    expect(screen.getByTestId('bandit-reward')).toHaveTextContent('keeps 50 % of requests');
    await user.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalled();
  });
});
