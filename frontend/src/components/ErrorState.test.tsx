import { MantineProvider } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/errors';
import { ErrorState } from './ErrorState';

const renderIt = (error: unknown) =>
  render(
    <MantineProvider>
      <MemoryRouter>
        <ErrorState error={error} onRetry={() => {}} />
      </MemoryRouter>
    </MantineProvider>,
  );

describe('ErrorState', () => {
  it('offers Retry for a failure that may pass', () => {
    renderIt(new ApiError(503, 'unavailable', 'Try again later.'));
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });

  it('says Not found without a pointless Retry for a 404', () => {
    renderIt(new ApiError(404, 'not_found', "No project 'nope'."));
    expect(screen.getByText('Not found')).toBeInTheDocument();
    expect(screen.getByText(/No project 'nope'\./)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Back to the project list' })).toHaveAttribute('href', '/projects');
  });
});
