import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { components } from '@/api/schema';
import type { Narrow } from '@/api/types';

type Schemas = components['schemas'];

export type Status = Schemas['AnswerStatusEnum'];
export type SectionScores = Schemas['SectionScores'];
/** The schema sends section ids as plain strings; they are the keys of SectionScores. */
export type SectionId = keyof SectionScores;
export type Holds = Schemas['HoldsEnum'];
export type Band = Schemas['Band'];
export type RubricTest = Schemas['RubricTest'];
export type RubricSection = Narrow<Schemas['RubricSection'], { id: SectionId }>;
export type RubricDocument = Narrow<
  Schemas['RubricDocument'],
  { statuses: Narrow<Schemas['StatusOption'], { id: Status }>[]; sections: RubricSection[] }
>;
export type Answer = Schemas['StoredAnswer'];
export type Answers = Record<string, Answer>;
export type Assessment = Schemas['Assessment'];
export type AssessmentRef = Schemas['AssessmentRef'];
export type Evidence = Schemas['Evidence'];
export type TestVerdict = Narrow<Schemas['TestVerdict'], { section: SectionId }>;
export type ProjectScore = Narrow<
  Schemas['Score'],
  {
    weakest: SectionId[];
    verified: Narrow<Schemas['VerifiedScore'], { weakest: SectionId[] }>;
    tests: Record<string, TestVerdict>;
  }
>;
export type TeamProject = Schemas['TeamProject'];
export type TeamOverview = Narrow<Schemas['TeamOverview'], { sections: SectionId[] }>;
export type AssessmentCreate = Schemas['AssessmentCreateDocRequest'];

const project = (slug: string) => ({ path: { project: slug } });

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
    queryFn: async () => (await unwrap(api.GET('/api/v1/rubric/'))) as RubricDocument,
    staleTime: Infinity,
  });
}

export function useScore(slug: string) {
  return useQuery({
    queryKey: rubricKeys.score(slug),
    queryFn: async () => (await unwrap(api.GET('/api/v1/projects/{project}/score/', { params: project(slug) }))) as ProjectScore,
    placeholderData: keepPreviousData,
  });
}

/** The latest snapshot with its answers (null when the project was never assessed). */
export function useLatestAssessment(slug: string) {
  return useQuery({
    queryKey: rubricKeys.latest(slug),
    queryFn: async () => {
      const page = await unwrap(
        api.GET('/api/v1/projects/{project}/assessments/', {
          params: { ...project(slug), query: { answers: true, page_size: 1 } },
        }),
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
      (await unwrap(api.GET('/api/v1/projects/{project}/assessments/', { params: { ...project(slug), query: { page_size: 500 } } })))
        .results,
  });
}

/** The newest snapshots with their answers, for the history list's change summaries. */
export function useHistoryWithAnswers(slug: string, size = 30) {
  return useQuery({
    queryKey: [...rubricKeys.history(slug), 'answers', size] as const,
    queryFn: async () =>
      (
        await unwrap(
          api.GET('/api/v1/projects/{project}/assessments/', { params: { ...project(slug), query: { answers: true, page_size: size } } }),
        )
      ).results,
  });
}

export function useSnapshot(slug: string, id: number | null) {
  return useQuery({
    queryKey: rubricKeys.snapshot(slug, id ?? 0),
    queryFn: () =>
      unwrap(api.GET('/api/v1/projects/{project}/assessments/{assessment}/', { params: { path: { project: slug, assessment: String(id) } } })),
    enabled: id !== null,
    staleTime: Infinity,
  });
}

export function useSaveAssessment(slug: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: AssessmentCreate) => unwrap(api.POST('/api/v1/projects/{project}/assessments/', { params: project(slug), body })),
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
    queryFn: async () => (await unwrap(api.GET('/api/v1/rubric/teams/{team}/', { params: { path: { team: team ?? '' } } }))) as TeamOverview,
    enabled: team !== null,
  });
}

export function reportUrl(slug: string, id: number): string {
  return `/api/v1/projects/${encodeURIComponent(slug)}/assessments/${id}/report.md`;
}

export function badgeUrl(slug: string): string {
  return `/badge/${encodeURIComponent(slug)}.svg`;
}
