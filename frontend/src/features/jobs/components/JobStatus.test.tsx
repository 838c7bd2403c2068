import { MantineProvider } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { isActive } from '../api/jobs';
import { JobProgress, JobStatusBadge } from './JobStatus';

describe('job status', () => {
  it('shows the status, the percentage and the message', () => {
    render(
      <MantineProvider>
        <JobStatusBadge status="running" />
        <JobProgress status="running" progress={42.4} message="latency onnx batch 64" />
      </MantineProvider>,
    );
    expect(screen.getByTestId('job-status')).toHaveTextContent('running');
    expect(screen.getByText('42%')).toBeInTheDocument();
    expect(screen.getByText('latency onnx batch 64')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'job progress' })).toHaveAttribute('aria-valuenow', '42.4');
  });

  it('polls only while a job is queued or running', () => {
    expect(isActive('queued')).toBe(true);
    expect(isActive('running')).toBe(true);
    expect(isActive('succeeded')).toBe(false);
    expect(isActive('failed')).toBe(false);
    expect(isActive('cancelled')).toBe(false);
  });
});
