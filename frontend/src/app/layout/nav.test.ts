import { describe, expect, it } from 'vitest';
import { activeArea } from './nav';

describe('activeArea', () => {
  it.each([
    ['/projects', '/projects'],
    ['/projects/fraud-model', '/projects'],
    ['/projects/fraud-model/ci', '/ci'],
    ['/projects/fraud-model/ci/runs/3', '/ci'],
    ['/projects/fraud-model/rubric', '/rubric'],
    ['/projects/fraud-model/models/churn/versions/2', '/models'],
    ['/projects/fraud-model/datasets/digits', '/models'],
    ['/deployments/fraud-model/tabular', '/deployments'],
    ['/monitoring/fraud-model/tabular', '/monitoring'],
    ['/jobs/12', '/jobs'],
    ['/no-such-area', null],
  ])('%s is under %s', (pathname, area) => {
    expect(activeArea(pathname)).toBe(area);
  });
});
