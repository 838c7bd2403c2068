import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { Page } from '@/api/pagination';
import type { components } from '@/api/schema';
import type { Narrow } from '@/api/types';
import { pollEvery } from '@/lib/polling';

type Schemas = components['schemas'];

/** The `{id, number, format}` dict the serializer sends for `live_version` and `canary_version`;
 * an ensemble version also names its combination and members. */
export type VersionRef = {
  id: number;
  number: number;
  format: string;
  ensemble?: { combine: string; weights: number[] | null; members: number[] };
};

/** "ensemble (mean) of v1 + v2", or null for a plain version. */
export function ensembleLabel(v: VersionRef | null): string | null {
  if (!v?.ensemble) return null;
  const weights = v.ensemble.weights ? ` weights ${v.ensemble.weights.join(':')}` : '';
  return `ensemble (${v.ensemble.combine}${weights}) of ${v.ensemble.members.map((m) => `v${m}`).join(' + ')}`;
}

/** Narrowed from the schema's loose dicts: a deployment always has a live version; `traffic` lists the shares. */
export type Deployment = Narrow<
  Schemas['Deployment'],
  {
    live_version: VersionRef;
    canary_version: VersionRef | null;
    shadow_version: VersionRef | null;
    traffic: { version: number; role: 'live' | 'canary'; share: number }[];
  }
>;
export type DeploymentEvent = Schemas['DeploymentEvent'];

/** One bucket of the metrics endpoint, which publishes no response schema: described here once. */
export interface MetricPoint {
  t: string;
  version: number;
  requests: number;
  rps: number;
  error_rate: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

/** The server defaults `override_gate` to false. */
export type DeploymentCreate = Narrow<Schemas['DeploymentCreateRequest'], { override_gate?: boolean }>;

export type ActionKind = 'deploy' | 'canary' | 'promote' | 'rollback';
/** The fields of the four action bodies (DeployRequest, CanaryRequest, PromoteRequest, RollbackRequest). */
export type ActionBody = Schemas['RollbackRequest'] &
  Partial<Omit<Schemas['DeployRequest'] & Schemas['CanaryRequest'] & Schemas['PromoteRequest'], 'reason'>>;

export const deploymentKeys = {
  all: ['deployments'] as const,
  list: (project: string) => [...deploymentKeys.all, 'list', project] as const,
  detail: (project: string, name: string) => [...deploymentKeys.all, 'detail', project, name] as const,
};

export const POLL_MS = 3000;

const one = (project: string, name: string) => ({ path: { project, name } });

/** Every deployment of one team, across its projects (the list page's default view). */
export function useTeamDeployments(team: string | null, enabled = true) {
  return useQuery({
    queryKey: [...deploymentKeys.all, 'team', team ?? ''],
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/deployments/', { params: { query: { team: team ?? '' } } }))) as Page<Deployment>,
    enabled: enabled && team !== null,
    refetchInterval: pollEvery(POLL_MS),
    placeholderData: keepPreviousData,
  });
}

export function useDeployments(project: string | null) {
  return useQuery({
    queryKey: deploymentKeys.list(project ?? ''),
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/deployments/', { params: { path: { project: project ?? '' } } }),
      )) as Page<Deployment>,
    enabled: !!project,
    refetchInterval: pollEvery(POLL_MS),
    placeholderData: keepPreviousData,
  });
}

export function useDeployment(project: string, name: string) {
  return useQuery({
    queryKey: deploymentKeys.detail(project, name),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/', { params: one(project, name) }))) as Deployment,
    refetchInterval: pollEvery(POLL_MS),
  });
}

export function useDeploymentEvents(project: string, name: string, enabled = true) {
  return useQuery({
    enabled,
    queryKey: [...deploymentKeys.detail(project, name), 'events'],
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/events/', { params: one(project, name) })),
    refetchInterval: pollEvery(POLL_MS),
  });
}

export function useDeploymentMetrics(project: string, name: string, minutes = 60, enabled = true) {
  return useQuery({
    enabled,
    queryKey: [...deploymentKeys.detail(project, name), 'metrics', minutes],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/deployments/{name}/metrics/', {
          params: { ...one(project, name), query: { minutes } },
        }),
      )) as { series: MetricPoint[] },
    refetchInterval: pollEvery(POLL_MS),
  });
}

/** POST one of the four actions on a deployment; resolves with the updated deployment. */
export async function postAction(project: string, name: string, action: ActionKind, body: ActionBody): Promise<Deployment> {
  const params = one(project, name);
  const { reason, version = 0, weight = 0, override_gate = false } = body;
  let call;
  switch (action) {
    case 'deploy':
      call = api.POST('/api/v1/projects/{project}/deployments/{name}/deploy/', { params, body: { reason, version, override_gate } });
      break;
    case 'canary':
      call = api.POST('/api/v1/projects/{project}/deployments/{name}/canary/', {
        params,
        body: { reason, weight, override_gate, ...(body.version === undefined ? {} : { version }) },
      });
      break;
    case 'promote':
      call = api.POST('/api/v1/projects/{project}/deployments/{name}/promote/', { params, body: { reason, override_gate } });
      break;
    case 'rollback':
      call = api.POST('/api/v1/projects/{project}/deployments/{name}/rollback/', { params, body: { reason } });
      break;
  }
  return (await unwrap(call)) as Deployment;
}

export function useDeploymentAction(project: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ action, body }: { action: ActionKind; body: ActionBody }) => postAction(project, name, action, body),
    onSuccess: (deployment) => {
      queryClient.setQueryData(deploymentKeys.detail(project, name), deployment);
      return queryClient.invalidateQueries({ queryKey: deploymentKeys.all });
    },
  });
}

export function useCreateDeployment(project: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ override_gate = false, ...rest }: DeploymentCreate) =>
      (await unwrap(
        api.POST('/api/v1/projects/{project}/deployments/', { params: { path: { project } }, body: { ...rest, override_gate } }),
      )) as Deployment,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: deploymentKeys.all }),
  });
}

export type BanditReport = Schemas['BanditReport'];

/** Each bandit arm's share and posterior, now and minute by minute (polled while the page is open). */
export function useBandit(project: string, name: string, enabled: boolean) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'bandit'],
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/bandit/', { params: one(project, name) })),
    enabled,
    refetchInterval: POLL_MS,
  });
}

export type ShadowReport = Schemas['ShadowReport'];

/** The shadow's agreement with live and both latencies (polled while the page is open). */
export function useShadow(project: string, name: string, enabled: boolean) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'shadow'],
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/shadow/', { params: one(project, name) })),
    enabled,
    refetchInterval: POLL_MS,
  });
}

export type OutlierReport = Schemas['OutlierReport'];

/** The deployment's outlier detector and the last hour's outlier rate (polled while the page is open). */
export function useOutliers(project: string, name: string) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'outliers'],
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/outliers/', { params: one(project, name) })),
    refetchInterval: POLL_MS,
  });
}

/** Fit (or refit) the detector on the live version's training dataset; the fit runs on a worker. */
export function useFitDetector(project: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/projects/{project}/deployments/{name}/outliers/', { params: one(project, name), body: { quantile: 0.99 } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...deploymentKeys.detail(project, name), 'outliers'] }),
  });
}

/** A model version as the registry lists it, with the fields the version picker shows. */
export type ModelVersionItem = Narrow<Schemas['ModelVersion'], { metrics?: Record<string, unknown> | null }>;

/** The versions of the deployment's model (newest first), for the version pickers. */
export function useModelVersions(project: string, model: string | null) {
  return useQuery({
    queryKey: ['registry', 'versions', project, model ?? ''],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/models/{model}/versions/', {
          params: { path: { project, model: model ?? '' }, query: { page_size: 200 } },
        }),
      )) as Page<ModelVersionItem>,
    enabled: !!model,
  });
}

/** The registered models of a project (the new-deployment picker). */
export function useProjectModels(project: string, enabled = true) {
  return useQuery({
    queryKey: ['registry', 'models', project],
    queryFn: () =>
      unwrap(api.GET('/api/v1/projects/{project}/models/', { params: { path: { project }, query: { page_size: 200 } } })),
    enabled,
  });
}

/** The quality gate's verdict for a version (GET .../gate/?version=n; no published schema, described here). */
export interface GateResult {
  passed: boolean;
  configured: boolean;
  metric: string;
  value: number | null;
  live_value: number | null;
  threshold: number | null;
  source: string;
  message: string;
}

export function useGate(project: string, name: string, version: number | null) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'gate', version],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/deployments/{name}/gate/', {
          params: { ...one(project, name), query: { version: version ?? 0 } },
        }),
      )) as unknown as GateResult,
    enabled: version !== null && version > 0,
  });
}

export interface WindowStats {
  count: number;
  errors: number;
  error_rate: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  version: number;
}

/** The canary against live since the canary started (GET .../comparison/). */
export interface CanaryComparison {
  canary: (WindowStats & { weight: number }) | null;
  live: WindowStats | null;
  since: string | null;
  no_traffic: boolean;
  enough_traffic?: boolean;
  thresholds: { max_error_rate_delta: number; max_p99_ratio: number; min_requests: number };
  breaches: string[];
}

export function useComparison(project: string, name: string, enabled: boolean) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'comparison'],
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/comparison/', { params: one(project, name) }))) as unknown as CanaryComparison,
    enabled,
    refetchInterval: pollEvery(POLL_MS),
  });
}

export type DeploymentSettings = Omit<Schemas['PatchedDeploymentUpdateRequest'], 'reason'>;

export function useUpdateDeployment(project: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas['PatchedDeploymentUpdateRequest']) =>
      (await unwrap(api.PATCH('/api/v1/projects/{project}/deployments/{name}/', { params: one(project, name), body }))) as Deployment,
    onSuccess: (deployment) => {
      queryClient.setQueryData(deploymentKeys.detail(project, name), deployment);
      return queryClient.invalidateQueries({ queryKey: deploymentKeys.detail(project, name) });
    },
  });
}

export type ApiKey = Schemas['ApiKey'];

export function useApiKeys(project: string, name: string, enabled: boolean) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'keys'],
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/keys/', { params: one(project, name) })),
    enabled,
  });
}

export function useCreateApiKey(project: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (keyName: string) =>
      (await unwrap(
        api.POST('/api/v1/projects/{project}/deployments/{name}/keys/', { params: one(project, name), body: { name: keyName } }),
      )) as ApiKey & { key: string },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...deploymentKeys.detail(project, name), 'keys'] }),
  });
}

export function useRevokeApiKey(project: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(
        api.POST('/api/v1/projects/{project}/deployments/{name}/keys/{key_id}/revoke/', {
          params: { path: { project, name, key_id: id } },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...deploymentKeys.detail(project, name), 'keys'] }),
  });
}

/** One feature's lead time: the dataset version that added it and the first deployment that used it. */
export interface FeatureLead {
  feature: string;
  dataset: string;
  dataset_version: number;
  added_at: string;
  initial: boolean;
  deployed_at: string;
  deployment: string;
  model: string;
  version: number;
  features_from: string;
  lead_days: number;
}

/** GET /api/v1/projects/{p}/feature-lead-time/ (rubric data-6), which publishes no response schema: described here once. */
export interface FeatureLeadTime {
  target_days: number;
  median_days: number | null;
  passed: boolean | null;
  summary: string;
  features: FeatureLead[];
  pending: { feature: string; dataset: string; dataset_version: number; added_at: string; waiting_days: number }[];
  trend: { month: string; median_days: number; features: number }[];
  versions_without_features: string[];
  computed_at: string;
}

export function useFeatureLeadTime(project: string) {
  return useQuery({
    queryKey: ['feature-lead-time', project],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/feature-lead-time/', { params: { path: { project } } }),
      )) as unknown as FeatureLeadTime,
  });
}
