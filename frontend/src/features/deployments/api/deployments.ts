import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { Page } from '@/api/pagination';
import type { components } from '@/api/schema';
import type { Narrow } from '@/api/types';

type Schemas = components['schemas'];

/** The `{id, number, format}` dict the serializer sends for `live_version` and `canary_version`. */
export type VersionRef = { id: number; number: number; format: string };

/** Narrowed from the schema's loose dicts: a deployment always has a live version; `traffic` lists the shares. */
export type Deployment = Narrow<
  Schemas['Deployment'],
  {
    live_version: VersionRef;
    canary_version: VersionRef | null;
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
    refetchInterval: POLL_MS,
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
    refetchInterval: POLL_MS,
    placeholderData: keepPreviousData,
  });
}

export function useDeployment(project: string, name: string) {
  return useQuery({
    queryKey: deploymentKeys.detail(project, name),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/', { params: one(project, name) }))) as Deployment,
    refetchInterval: POLL_MS,
  });
}

export function useDeploymentEvents(project: string, name: string) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'events'],
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/events/', { params: one(project, name) })),
    refetchInterval: POLL_MS,
  });
}

export function useDeploymentMetrics(project: string, name: string, minutes = 60) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'metrics', minutes],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/deployments/{name}/metrics/', {
          params: { ...one(project, name), query: { minutes } },
        }),
      )) as { series: MetricPoint[] },
    refetchInterval: POLL_MS,
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
