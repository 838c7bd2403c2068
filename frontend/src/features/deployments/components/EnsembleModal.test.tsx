import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestJson, requestPath } from '@/test/render';
import { EnsembleModal, ensembleBody, ensembleProblems } from './EnsembleModal';
import { deploymentFixture, fieldErrorResponse, sentChange, stubApi, version } from './experiments.fixtures';

afterEach(() => vi.unstubAllGlobals());

const created = { model: 'digits-mlp', number: 4, format: 'ensemble', description: '', metrics: {}, ensemble: { combine: 'weighted', weights: [2, 1], members: [1, 2] } };

describe('ensembleProblems and ensembleBody', () => {
  it('checks members and weights as the API does, and sends weights only when weighted', () => {
    expect(ensembleProblems([1], 'mean', {}, '', '').members).toBeDefined();
    expect(ensembleProblems([1, 2], 'weighted', { 1: 0, 2: 0 }, '', '').weights).toMatch(/all be zero/);
    expect(ensembleProblems([1, 2], 'weighted', { 1: -1 }, '', '').weights).toBeDefined();
    expect(ensembleProblems([1, 2], 'mean', {}, 'accuracy', '')).toEqual({});
    expect(ensembleProblems([1, 2], 'mean', {}, ' ', 0.9).metrics).toBeDefined();
    expect(ensembleBody([1, 2], 'mean', { 1: 3 }, '', '', '')).toEqual({ members: [1, 2], combine: 'mean', description: '' });
    expect(ensembleBody([1, 2], 'weighted', { 1: 2 }, 'accuracy', 0.97, 'd')).toEqual({
      members: [1, 2],
      combine: 'weighted',
      weights: [2, 1],
      metrics: { accuracy: 0.97 },
      description: 'd',
    });
  });
});

describe('EnsembleModal', () => {
  it('offers no ensemble as a member and says when two versions are missing', async () => {
    stubApi([version(2, 'ensemble'), version(1)]);
    renderWithProviders(<EnsembleModal deployment={deploymentFixture()} onClose={() => {}} />);
    expect(await screen.findByText('Not enough versions to combine')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Register ensemble' })).toBeDisabled();
  });

  it('posts the members, weights and metric, then names the new version', async () => {
    const fetchMock = stubApi([version(3, 'ensemble'), version(2), version(1)], async () => jsonResponse(created, 201));
    const user = userEvent.setup();
    renderWithProviders(<EnsembleModal deployment={deploymentFixture()} onClose={() => {}} />);
    expect(screen.queryByRole('checkbox', { name: /^v3/ })).toBeNull();
    await user.click(await screen.findByRole('checkbox', { name: /^v1 · onnx/ }));
    await user.click(screen.getByRole('checkbox', { name: /^v2 · onnx/ }));
    await user.click(screen.getByText('Weighted'));
    const w1 = screen.getByRole('textbox', { name: 'Weight of v1' });
    await user.clear(w1);
    await user.type(w1, '2');
    await user.type(screen.getByRole('textbox', { name: 'Measured value' }), '0.97{Enter}');
    await waitFor(() => expect(sentChange(fetchMock)).toBeDefined());
    const post = sentChange(fetchMock)!;
    expect(requestPath(post)).toBe('/api/v1/projects/fraud-model/models/digits-mlp/ensembles/');
    expect(await requestJson(post)).toEqual({ members: [1, 2], combine: 'weighted', weights: [2, 1], metrics: { accuracy: 0.97 }, description: '' });
    expect(await screen.findByTestId('ensemble-created')).toHaveTextContent('Registered digits-mlp v4: ensemble (weighted weights 2:1) of v1 + v2');
  });

  it("shows one member missing before sending, and the API's field error at the members", async () => {
    const fetchMock = stubApi([version(2), version(1)], async () => fieldErrorResponse({ 'members.1': ['Versions 1 and 2 have different signatures.'] }));
    const user = userEvent.setup();
    renderWithProviders(<EnsembleModal deployment={deploymentFixture()} onClose={() => {}} />);
    await user.click(await screen.findByRole('checkbox', { name: /^v1 · onnx/ }));
    await user.click(screen.getByRole('button', { name: 'Register ensemble' }));
    expect(await screen.findByText('Pick two versions or more.')).toBeInTheDocument();
    expect(sentChange(fetchMock)).toBeUndefined();
    await user.click(screen.getByRole('checkbox', { name: /^v2 · onnx/ }));
    await user.click(screen.getByRole('button', { name: 'Register ensemble' }));
    expect(await screen.findByText('Versions 1 and 2 have different signatures.')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
