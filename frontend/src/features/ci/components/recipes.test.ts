import { describe, expect, it } from 'vitest';
import { curlRecipe, recipes, reportCommand } from './recipes';

describe('CI recipes', () => {
  const all = recipes({ slug: 'fraud-model', origin: 'https://shipyard.example.com' });

  it('covers the five CI systems', () => {
    expect(all.map((r) => r.label)).toEqual(['GitHub Actions', 'GitLab CI', 'CircleCI', 'Jenkins', 'Buildkite']);
  });

  it.each(all.map((r) => [r.label, r]))('%s fills in the URL and the report command', (_label, recipe) => {
    expect(recipe.code).toContain('https://shipyard.example.com');
    expect(recipe.code).toContain(reportCommand('fraud-model'));
    expect(recipe.secretHint).toMatch(/shipyard.ci.secret/i);
  });

  it('keeps the GitHub expression syntax intact', () => {
    expect(all[0]?.code).toContain('${{ secrets.SHIPYARD_CI_SECRET }}');
  });

  it('signs the time, the delivery id and the body with the v2 scheme', () => {
    const script = curlRecipe({ slug: 'fraud-model', origin: 'https://shipyard.example.com' });
    expect(script).toContain(`printf '%s.%s.' "$t" "$id"`);
    expect(script).toContain('X-Shipyard-Signature: t=$t,v2=$sig');
    expect(script).toContain('https://shipyard.example.com/api/v1/projects/fraud-model/ci/webhook/');
  });
});
