import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from '@/api/client';

export type Status = 'none' | 'manual' | 'automated';
export type SectionId = 'data' | 'model' | 'infra' | 'monitor';
export type SectionScores = Record<SectionId, number>;
export type Holds = 'evidence' | 'claim' | 'unverified' | 'failing';

export interface Band {
  id: string;
  label: string;
  text: string;
  lower: number | null;
  upper: number | null;
}

export interface RubricTest {
  id: string;
  title: string;
  guidance: string;
}

export interface RubricSection {
  id: SectionId;
  title: string;
  tests: RubricTest[];
}

export interface RubricDocument {
  version: number;
  title: string;
  citation: string;
  statuses: { id: Status; label: string; points: number }[];
  bands: Band[];
  sections: RubricSection[];
}

export interface Answer {
  status: Status;
  note: string;
  links: string[];
}

export type Answers = Record<string, Answer>;

export interface Assessment {
  id: number;
  project: string;
  rubric_version: number;
  base: number | null;
  created_at: string;
  created_by: string | null;
  sections: SectionScores;
  final: number;
  band: Band;
  answers?: Answers;
}

export interface Evidence {
  id: number;
  test_id: string;
  source: string;
  key: string;
  passed: boolean;
  title: string;
  link: string;
  detail: Record<string, unknown>;
  observed_at: string;
}

export interface TestVerdict {
  section: SectionId;
  claimed: Status;
  verified: Status;
  points: { claimed: number; verified: number };
  holds: Holds;
  why: string;
  evidence_state: 'verified' | 'failing' | 'stale' | 'none';
  evidence: Evidence[];
}

export interface AssessmentRef {
  id: number;
  created_at: string;
  created_by: string | null;
  base: number | null;
}

export interface ProjectScore {
  project: string;
  window_days: number;
  computed_at: string;
  assessment: AssessmentRef | null;
  sections: SectionScores;
  final: number;
  band: Band;
  weakest: SectionId[];
  verified: { sections: SectionScores; final: number; band: Band; weakest: SectionId[] };
  tests: Record<string, TestVerdict>;
  unverified_claims: number;
}

export interface TeamProject {
  slug: string;
  name: string;
  assessment: AssessmentRef | null;
  sections: SectionScores;
  final: number;
  band: Band;
  verified: { sections: SectionScores; final: number; band: Band };
  unverified_claims: number;
  history: { day: string; final: number }[];
}

export interface TeamOverview {
  team: string;
  project_count: number;
  sections: SectionId[];
  projects: TeamProject[];
  heatmap: Record<string, { none: number; manual: number; automated: number; verified: number }>;
}

interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}


export const rubricFetch = apiFetch;

const enc = encodeURIComponent;

export const rubricKeys = {
  all: ['rubric'] as const,
  document: () => [...rubricKeys.all, 'document'] as const,
  project: (slug: string) => [...rubricKeys.all, 'project', slug] as const,
  score: (slug: string) => [...rubricKeys.project(slug), 'score'] as const,
  history: (slug: string) => [...rubricKeys.project(slug), 'history'] as const,
  latest: (slug: string) => [...rubricKeys.project(slug), 'latest'] as const,
  snapshot: (slug: string, id: number) => [...rubricKeys.project(slug), 'snapshot', id] as const,
  team: (team: string) => [...rubricKeys.all, 'team', team] as const,
};

export function useRubric() {
  return useQuery({
    queryKey: rubricKeys.document(),
    queryFn: () => rubricFetch<RubricDocument>('/api/v1/rubric/'),
    staleTime: Infinity,
  });
}

export function useScore(slug: string) {
  return useQuery({
    queryKey: rubricKeys.score(slug),
    queryFn: () => rubricFetch<ProjectScore>(`/api/v1/projects/${enc(slug)}/score/`),
    placeholderData: keepPreviousData,
  });
}

/** The latest snapshot with its answers (null when the project was never assessed). */
export function useLatestAssessment(slug: string) {
  return useQuery({
    queryKey: rubricKeys.latest(slug),
    queryFn: async () => {
      const page = await rubricFetch<Page<Assessment>>(
        `/api/v1/projects/${enc(slug)}/assessments/?answers=true&page_size=1`,
      );
      return page.results[0] ?? null;
    },
    staleTime: Infinity,
  });
}

/** Every snapshot, newest first, without answers (for the history chart and the diff picker). */
export function useAssessmentHistory(slug: string) {
  return useQuery({
    queryKey: rubricKeys.history(slug),
    queryFn: async () =>
      (await rubricFetch<Page<Assessment>>(`/api/v1/projects/${enc(slug)}/assessments/?page_size=500`)).results,
  });
}

export function useSnapshot(slug: string, id: number | null) {
  return useQuery({
    queryKey: rubricKeys.snapshot(slug, id ?? 0),
    queryFn: () => rubricFetch<Assessment>(`/api/v1/projects/${enc(slug)}/assessments/${id}/`),
    enabled: id !== null,
    staleTime: Infinity,
  });
}

export function useSaveAssessment(slug: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { answers: Answers; base: number | null }) =>
      rubricFetch<Assessment>(`/api/v1/projects/${enc(slug)}/assessments/`, { method: 'POST', body }),
    onSuccess: (saved) => {
      queryClient.setQueryData(rubricKeys.snapshot(slug, saved.id), saved);
      void queryClient.invalidateQueries({ queryKey: rubricKeys.score(slug) });
      void queryClient.invalidateQueries({ queryKey: rubricKeys.history(slug) });
      void queryClient.invalidateQueries({ queryKey: [...rubricKeys.all, 'team'] });
    },
  });
}

export function useTeamRubric(team: string | null) {
  return useQuery({
    queryKey: rubricKeys.team(team ?? ''),
    queryFn: () => rubricFetch<TeamOverview>(`/api/v1/rubric/teams/${enc(team ?? '')}/`),
    enabled: team !== null,
  });
}

export function reportUrl(slug: string, id: number): string {
  return `/api/v1/projects/${enc(slug)}/assessments/${id}/report.md`;
}

export function badgeUrl(slug: string): string {
  return `/badge/${enc(slug)}.svg`;
}
