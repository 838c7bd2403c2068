import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, apiFetch, unwrap } from '@/api/client';

export interface CiRun {
  id: number;
  provider: string;
  external_id: string;
  name: string;
  branch: string;
  commit: string;
  url: string;
  status: 'running' | 'passed' | 'failed' | 'canceled' | 'unknown';
  started_at: string | null;
  finished_at: string | null;
  duration_s: number | null;
  tests_total: number;
  tests_failed: number;
  tests_errored: number;
  tests_skipped: number;
  created_at: string;
}

export type MetricVerdict = 'baseline' | 'ok' | 'regression' | 'unjudged';

export interface MetricValue {
  name: string;
  value: number;
  baseline: number | null;
  regression: boolean;
  verdict: MetricVerdict;
  kind: 'quality' | 'performance';
  direction: 'higher' | 'lower';
}

export interface DependencyChange {
  id: number;
  run: number;
  previous_run: number | null;
  branch: string;
  commit: string;
  previous_commit: string;
  added: Record<string, string>;
  removed: Record<string, string>;
  changed: Record<string, [string, string]>;
  created_at: string;
}

export interface CiRunDetail extends CiRun {
  metrics: MetricValue[];
  dependency_change: DependencyChange | null;
  lockfile_packages: number;
}

export interface TestCase {
  id: number;
  name: string;
  classname: string;
  status: 'passed' | 'failed' | 'error' | 'skipped';
  duration_s: number;
  message: string;
  rubric_ids: string[];
}

export interface TagRule {
  id: number;
  pattern: string;
  rubric_id: string;
  created_at: string;
}

export interface MetricPoint {
  run: number;
  branch: string;
  commit: string;
  at: string;
  value: number;
  baseline: number | null;
  regression: boolean;
  verdict: MetricVerdict;
  kind: string;
  direction: string;
}

export interface MetricsResponse {
  default_branch: string;
  default_branches: string[];
  series: Record<string, MetricPoint[]>;
}

export interface SecretStatus {
  configured: boolean;
  rotated_at: string | null;
  previous_valid_until: string | null;
  secret?: string;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}


export const ciFetch = apiFetch;

const base = (slug: string) => `/api/v1/projects/${encodeURIComponent(slug)}/ci`;

export const ciKeys = {
  all: (slug: string) => ['ci', slug] as const,
  runs: (slug: string, page: number) => ['ci', slug, 'runs', page] as const,
  run: (slug: string, id: string) => ['ci', slug, 'run', id] as const,
  cases: (slug: string, id: string, status: string) => ['ci', slug, 'run', id, 'cases', status] as const,
  rules: (slug: string) => ['ci', slug, 'rules'] as const,
  metrics: (slug: string, branch: string) => ['ci', slug, 'metrics', branch] as const,
  deps: (slug: string) => ['ci', slug, 'deps'] as const,
  secret: (slug: string) => ['ci', slug, 'secret'] as const,
  notifications: (slug: string) => ['ci', slug, 'notifications'] as const,
};

export function useTeamProjects(team: string | null) {
  return useQuery({
    queryKey: ['ci', 'projects', team ?? ''],
    queryFn: () => unwrap(api.GET('/api/v1/projects/', { params: { query: { team: team ?? undefined } } })),
    enabled: team !== null,
  });
}

export function useCiRuns(slug: string, page: number) {
  return useQuery({
    queryKey: ciKeys.runs(slug, page),
    queryFn: () => ciFetch<Page<CiRun>>(`${base(slug)}/runs/?page=${page}`),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
}

export function useCiRun(slug: string, id: string) {
  return useQuery({ queryKey: ciKeys.run(slug, id), queryFn: () => ciFetch<CiRunDetail>(`${base(slug)}/runs/${id}/`) });
}

export function useRunCases(slug: string, id: string, status: string) {
  return useQuery({
    queryKey: ciKeys.cases(slug, id, status),
    queryFn: () =>
      ciFetch<Page<TestCase>>(`${base(slug)}/runs/${id}/cases/?page_size=500${status ? `&status=${status}` : ''}`),
    placeholderData: keepPreviousData,
  });
}

export function useTagRules(slug: string) {
  return useQuery({ queryKey: ciKeys.rules(slug), queryFn: () => ciFetch<TagRule[]>(`${base(slug)}/tag-rules/`) });
}

export function useCreateTagRule(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { pattern: string; rubric_id: string }) =>
      ciFetch<TagRule>(`${base(slug)}/tag-rules/`, { method: 'POST', body }),
    onSuccess: () => client.invalidateQueries({ queryKey: ciKeys.rules(slug) }),
  });
}

export function useDeleteTagRule(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => ciFetch<void>(`${base(slug)}/tag-rules/${id}/`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: ciKeys.rules(slug) }),
  });
}

export function useMetrics(slug: string, branch: string) {
  return useQuery({
    queryKey: ciKeys.metrics(slug, branch),
    queryFn: () => ciFetch<MetricsResponse>(`${base(slug)}/metrics/${branch ? `?branch=${encodeURIComponent(branch)}` : ''}`),
  });
}

export function useDependencyChanges(slug: string) {
  return useQuery({
    queryKey: ciKeys.deps(slug),
    queryFn: () => ciFetch<Page<DependencyChange>>(`${base(slug)}/dependency-changes/`),
  });
}

export function useSecretStatus(slug: string) {
  return useQuery({ queryKey: ciKeys.secret(slug), queryFn: () => ciFetch<SecretStatus>(`${base(slug)}/secret/`) });
}

export function useRotateSecret(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => ciFetch<SecretStatus>(`${base(slug)}/secret/`, { method: 'POST', body: {} }),
    onSuccess: () => client.invalidateQueries({ queryKey: ciKeys.secret(slug) }),
  });
}

export function webhookUrl(slug: string): string {
  return `${window.location.origin}${base(slug)}/webhook/`;
}

export interface CiSettings {
  default_branch: string;
  default_branches: string[];
  baseline_runs: number;
  notify_url: string;
  rotated_at: string | null;
  previous_valid_until: string | null;
}

export type CiSettingsPatch = Partial<Pick<CiSettings, 'default_branch' | 'baseline_runs' | 'notify_url'>>;

export interface MetricPolicy {
  metric: string;
  direction: 'higher' | 'lower';
  tolerance: number;
  relative: boolean;
  kind: 'quality' | 'performance';
}

export interface CiNotification {
  id: number;
  kind: string;
  text: string;
  run: number | null;
  outbound_status: string;
  created_at: string;
}

const settingsKey = (slug: string) => ['ci', slug, 'settings'] as const;
const policiesKey = (slug: string) => ['ci', slug, 'policies'] as const;

export function useCiSettings(slug: string) {
  return useQuery({ queryKey: settingsKey(slug), queryFn: () => ciFetch<CiSettings>(`${base(slug)}/settings/`) });
}

export function useUpdateCiSettings(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CiSettingsPatch) => ciFetch<CiSettings>(`${base(slug)}/settings/`, { method: 'PATCH', body }),
    onSuccess: (data) => {
      client.setQueryData(settingsKey(slug), data);
      void client.invalidateQueries({ queryKey: ['ci', slug, 'metrics'] });
    },
  });
}

export function useMetricPolicies(slug: string) {
  return useQuery({ queryKey: policiesKey(slug), queryFn: () => ciFetch<MetricPolicy[]>(`${base(slug)}/metric-policies/`) });
}

export function useSetMetricPolicy(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: MetricPolicy) => ciFetch<MetricPolicy>(`${base(slug)}/metric-policies/`, { method: 'POST', body }),
    onSuccess: () => client.invalidateQueries({ queryKey: policiesKey(slug) }),
  });
}

export function useDeleteMetricPolicy(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (metric: string) =>
      ciFetch<void>(`${base(slug)}/metric-policies/${encodeURIComponent(metric)}/`, { method: 'DELETE' }),
    onSuccess: () => client.invalidateQueries({ queryKey: policiesKey(slug) }),
  });
}

export function useNotifications(slug: string, page: number) {
  return useQuery({
    queryKey: [...ciKeys.notifications(slug), page] as const,
    queryFn: () => ciFetch<Page<CiNotification>>(`${base(slug)}/notifications/?page=${page}`),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });
}
