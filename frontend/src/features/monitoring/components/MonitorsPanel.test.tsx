import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '@/test/render';
import type { DeploymentMonitoring } from '../api/monitoring';
import { MonitorsPanel } from './MonitorsPanel';

describe('MonitorsPanel', () => {
  it('says a monitor has no history instead of drawing an empty chart', () => {
    const data = {
      project: 'fraud-model',
      deployment: 'scorer',
      monitors: [
        { kind: 'skew', label: 'Training/serving skew', rubric_test: 'monitor-3', status: 'no_data', summary: 'not run yet', value: null, computed_at: null, detail: {}, series: [] },
      ],
      config: { window_kind: 'day', window_n: 1000, staleness_limit_days: 30, confidence_threshold: 0.8, webhook_url: '', email_to: '', last_run_at: null, last_error: '' },
    } as unknown as DeploymentMonitoring;
    renderWithProviders(<MonitorsPanel data={data} />);
    expect(screen.getByTestId('monitor-skew-empty')).toHaveTextContent('No history yet');
  });
});
