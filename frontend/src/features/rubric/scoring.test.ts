import { describe, expect, it } from 'vitest';
import type { Band, SectionId, SectionScores, Status } from './api/rubric';
import shared from './scoring-cases.json';
import { formatScore } from '@/lib/format';
import { bandFor, finalScore, sectionScores, TEST_IDS, weakestSections } from './scoring';

interface Case {
  statuses: Record<string, Status>;
  sections: SectionScores;
  final: number;
  band: string;
  weakest: SectionId[];
}

const bands = shared.bands as Band[];
const cases = shared.cases as Case[];

describe('scoring agrees with the API (shared cases written by Python)', () => {
  it('has cases for every band', () => {
    expect(new Set(cases.map((c) => c.band)).size).toBe(6);
    expect(TEST_IDS).toHaveLength(28);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const sections = sectionScores(c.statuses);
    expect(sections).toEqual(c.sections);
    expect(finalScore(sections)).toBe(c.final);
    expect(bandFor(finalScore(sections), bands).id).toBe(c.band);
    expect(weakestSections(sections)).toEqual(c.weakest);
  });

  it('puts band edges in the lower band', () => {
    expect([0, 1, 2, 3, 5].map((e) => bandFor(e, bands).id)).toEqual([
      'research',
      'untested',
      'first-pass',
      'reasonable',
      'strong',
    ]);
    expect([0.5, 1.5, 2.5, 3.5, 5.5].map((e) => bandFor(e, bands).id)).toEqual([
      'untested',
      'first-pass',
      'reasonable',
      'strong',
      'exceptional',
    ]);
  });

  it('formats half points', () => {
    expect([0, 0.5, 2, 3.5].map(formatScore)).toEqual(['0', '0.5', '2', '3.5']);
  });
});
