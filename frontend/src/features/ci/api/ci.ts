import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { Page } from '@/api/pagination';
import type { components } from '@/api/schema';
import type { Narrow, Sent } from '@/api/types';
import { pollEvery } from '@/lib/polling';

type Schemas = components['schemas'];

export type MetricVerdict = Schemas['VerdictEnum'];
export type MetricValue = Sent<Schemas['MetricValue']>;
export type CiRun = Sent<Schemas['CIRun']>;
/** `added`, `removed` and `changed` are JSON fields: package to version (old and new for `changed`). */
export type DependencyChange = Narrow<
  Sent<Schemas['DependencyChange']>,
  { added: Record<string, string>; removed: Record<string, string>; changed: Record<string, [string, string]> }
>;
export type CiRunDetail = Narrow<Sent<Schemas['CIRunDetail']>, { metrics: MetricValue[]; dependency_change: DependencyChange | null }>;
/** `rubric_ids` is a JSON list of rubric test ids. */
export type TestCase = Narrow<Sent<Schemas['TestCase']>, { rubric_ids: string[] }>;
export type TagRule = Schemas['TagRule'];
export type TagRuleRequest = Schemas['TagRuleRequest'];
export type SecretStatus = Schemas['SecretStatus'];
export type CiSettings = Sent<Schemas['CIConfig']>;
export type CiSettingsPatch = Schemas['PatchedCIConfigRequest'];
export type MetricPolicy = Sent<Schemas['MetricPolicy']>;
export type CiNotification = Sent<Schemas['Notification']>;

/** One point of a metric series: the metrics endpoint publishes no response schema, so it is described here once. */
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

/** The metrics endpoint's body (no response schema published). */
export interface MetricsResponse {
  default_branch: string;
  default_branches: string[];
  series: Record<string, MetricPoint[]>;
}

const project = (slug: string) => ({ path: { project: slug } });

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
  settings: (slug: string) => ['ci', slug, 'settings'] as const,
  policies: (slug: string) => ['ci', slug, 'policies'] as const,
};

export function useCiRuns(slug: string, page: number) {
  return useQuery({
    queryKey: ciKeys.runs(slug, page),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/ci/runs/', { params: { ...project(slug), query: { page } } }))) as Page<CiRun>,
    placeholderData: keepPreviousData,
    refetchInterval: pollEvery(15_000),
  });
}

export function useCiRun(slug: string, id: string) {
  return useQuery({
    queryKey: ciKeys.run(slug, id),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/ci/runs/{run}/', { params: { path: { project: slug, run: id } } }))) as CiRunDetail,
  });
}

export function useRunCases(slug: string, id: string, status: string, enabled = true) {
  return useQuery({
    enabled,
    queryKey: ciKeys.cases(slug, id, status),
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/ci/runs/{run}/cases/', {
          params: { path: { project: slug, run: id }, query: { page_size: 500, status: (status || undefined) as TestCase['status'] | undefined } },
        }),
      )) as Page<TestCase>,
    placeholderData: keepPreviousData,
  });
}

export function useTagRules(slug: string) {
  return useQuery({
    queryKey: ciKeys.rules(slug),
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/ci/tag-rules/', { params: project(slug) })),
  });
}

export function useCreateTagRule(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: TagRuleRequest) => unwrap(api.POST('/api/v1/projects/{project}/ci/tag-rules/', { params: project(slug), body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ciKeys.rules(slug) }),
  });
}

export function useDeleteTagRule(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE('/api/v1/projects/{project}/ci/tag-rules/{rule}/', { params: { path: { project: slug, rule: String(id) } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ciKeys.rules(slug) }),
  });
}

export function useMetrics(slug: string, branch: string) {
  return useQuery({
    queryKey: ciKeys.metrics(slug, branch),
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/ci/metrics/', { params: { ...project(slug), query: { branch: branch || undefined } } }),
      )) as unknown as MetricsResponse,
  });
}

export function useDependencyChanges(slug: string) {
  return useQuery({
    queryKey: ciKeys.deps(slug),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/ci/dependency-changes/', { params: project(slug) }))) as Page<DependencyChange>,
  });
}

export function useSecretStatus(slug: string) {
  return useQuery({
    queryKey: ciKeys.secret(slug),
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/ci/secret/', { params: project(slug) })),
  });
}

export function useRotateSecret(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/projects/{project}/ci/secret/', { params: project(slug), body: {} })),
    onSuccess: () => client.invalidateQueries({ queryKey: ciKeys.secret(slug) }),
  });
}

export function webhookUrl(slug: string): string {
  return `${window.location.origin}/api/v1/projects/${encodeURIComponent(slug)}/ci/webhook/`;
}

export function useCiSettings(slug: string) {
  return useQuery({
    queryKey: ciKeys.settings(slug),
    queryFn: async () => (await unwrap(api.GET('/api/v1/projects/{project}/ci/settings/', { params: project(slug) }))) as CiSettings,
  });
}

export function useUpdateCiSettings(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: CiSettingsPatch) =>
      (await unwrap(api.PATCH('/api/v1/projects/{project}/ci/settings/', { params: project(slug), body }))) as CiSettings,
    onSuccess: (data) => {
      client.setQueryData(ciKeys.settings(slug), data);
      void client.invalidateQueries({ queryKey: ['ci', slug, 'metrics'] });
    },
  });
}

export function useMetricPolicies(slug: string) {
  return useQuery({
    queryKey: ciKeys.policies(slug),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/ci/metric-policies/', { params: project(slug) }))) as MetricPolicy[],
  });
}

export function useSetMetricPolicy(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: MetricPolicy) => unwrap(api.POST('/api/v1/projects/{project}/ci/metric-policies/', { params: project(slug), body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ciKeys.policies(slug) }),
  });
}

export function useDeleteMetricPolicy(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (metric: string) =>
      unwrap(api.DELETE('/api/v1/projects/{project}/ci/metric-policies/{metric}/', { params: { path: { project: slug, metric } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ciKeys.policies(slug) }),
  });
}

export function useNotifications(slug: string, page: number) {
  return useQuery({
    queryKey: [...ciKeys.notifications(slug), page] as const,
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/ci/notifications/', { params: { ...project(slug), query: { page } } }),
      )) as Page<CiNotification>,
    placeholderData: keepPreviousData,
    refetchInterval: pollEvery(30_000),
  });
}
