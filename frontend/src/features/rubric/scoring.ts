/**
 * Live scoring in the browser, used only between an edit and its save (the numbers shown after a
 * save come from the API). Same rules as shipyard/rubric/scoring.py, checked against the shared
 * cases in scoring-cases.json, which Python's tests write and check too.
 */
import type { Band, SectionId, SectionScores, Status } from './api/rubric';

export const SECTION_IDS: SectionId[] = ['data', 'model', 'infra', 'monitor'];
export const POINTS: Record<Status, number> = { none: 0, manual: 0.5, automated: 1 };
export const TEST_IDS: string[] = SECTION_IDS.flatMap((s) => [1, 2, 3, 4, 5, 6, 7].map((n) => `${s}-${n}`));

export function sectionOf(testId: string): SectionId {
  return testId.slice(0, testId.lastIndexOf('-')) as SectionId;
}

/** Sum of points per section; a missing test counts as not done. */
export function sectionScores(statuses: Partial<Record<string, Status>>): SectionScores {
  const scores: SectionScores = { data: 0, model: 0, infra: 0, monitor: 0 };
  for (const id of TEST_IDS) scores[sectionOf(id)] += POINTS[statuses[id] ?? 'none'];
  return scores;
}

/** The minimum of the four sections. */
export function finalScore(sections: SectionScores): number {
  return Math.min(...SECTION_IDS.map((s) => sections[s]));
}

/** The band holding the score: lower < score <= upper. */
export function bandFor(score: number, bands: Band[]): Band {
  const band = bands.find((b) => (b.lower === null || score > b.lower) && (b.upper === null || score <= b.upper));
  if (!band) throw new Error(`no band for ${score}`);
  return band;
}

export function weakestSections(sections: SectionScores): SectionId[] {
  const low = finalScore(sections);
  return SECTION_IDS.filter((s) => sections[s] === low);
}

