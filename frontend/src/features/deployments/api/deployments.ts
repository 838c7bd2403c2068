import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from '@/api/client';

export interface VersionRef {
  id: number;
  number: number;
  format: string;
}

export interface Deployment {
  id: number;
  name: string;
  project: string;
  model: string;
  live_version: VersionRef;
  canary_version: VersionRef | null;
  canary_weight: number;
  traffic: { version: number; role: 'live' | 'canary'; share: number }[];
  endpoint: string;
  can_rollback: boolean;
  max_batch_size: number;
  max_delay_ms: number;
  request_timeout_ms: number;
  validation_policy: string;
  log_sample_rate: number;
  quality_metric: string;
  quality_threshold: number | null;
  canary_breaches: number;
  canary_passes: number;
  created_at: string;
}

export interface DeploymentEvent {
  id: number;
  kind: string;
  actor: string | null;
  from_version: number | null;
  to_version: number | null;
  weight_from: number | null;
  weight_to: number | null;
  reason: string;
  created_at: string;
}

export interface MetricPoint {
  t: string;
  version: number;
  requests: number;
  rps: number;
  error_rate: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

interface Page<T> {
  results: T[];
}

export const request = <T,>(method: string, path: string, body?: unknown): Promise<T> =>
  apiFetch<T>(path, { method, body });

const base = (project: string) => `/api/v1/projects/${encodeURIComponent(project)}/deployments/`;

export const deploymentKeys = {
  all: ['deployments'] as const,
  list: (project: string) => [...deploymentKeys.all, 'list', project] as const,
  detail: (project: string, name: string) => [...deploymentKeys.all, 'detail', project, name] as const,
};

export const POLL_MS = 3000;

export function useTeamProjects(team: string | null) {
  return useQuery({
    queryKey: ['deployments', 'projects', team],
    queryFn: () => request<Page<{ slug: string; name: string }>>('GET', `/api/v1/projects/?team=${encodeURIComponent(team ?? '')}`),
    enabled: team !== null,
  });
}

/** Every deployment of one team, across its projects (the list page's default view). */
export function useTeamDeployments(team: string | null, enabled = true) {
  return useQuery({
    queryKey: [...deploymentKeys.all, 'team', team ?? ''],
    queryFn: () => request<Page<Deployment>>('GET', `/api/v1/deployments/?team=${encodeURIComponent(team ?? '')}`),
    enabled: enabled && team !== null,
    refetchInterval: POLL_MS,
    placeholderData: keepPreviousData,
  });
}

export function useDeployments(project: string | null) {
  return useQuery({
    queryKey: deploymentKeys.list(project ?? ''),
    queryFn: () => request<Page<Deployment>>('GET', base(project ?? '')),
    enabled: !!project,
    refetchInterval: POLL_MS,
    placeholderData: keepPreviousData,
  });
}

export function useDeployment(project: string, name: string) {
  return useQuery({
    queryKey: deploymentKeys.detail(project, name),
    queryFn: () => request<Deployment>('GET', `${base(project)}${name}/`),
    refetchInterval: POLL_MS,
  });
}

export function useDeploymentEvents(project: string, name: string) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'events'],
    queryFn: () => request<Page<DeploymentEvent>>('GET', `${base(project)}${name}/events/`),
    refetchInterval: POLL_MS,
  });
}

export function useDeploymentMetrics(project: string, name: string, minutes = 60) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'metrics', minutes],
    queryFn: () => request<{ series: MetricPoint[] }>('GET', `${base(project)}${name}/metrics/?minutes=${minutes}`),
    refetchInterval: POLL_MS,
  });
}

export type ActionKind = 'deploy' | 'canary' | 'promote' | 'rollback';

export function useDeploymentAction(project: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ action, body }: { action: ActionKind; body: Record<string, unknown> }) =>
      request<Deployment>('POST', `${base(project)}${name}/${action}/`, body),
    onSuccess: (deployment) => {
      queryClient.setQueryData(deploymentKeys.detail(project, name), deployment);
      return queryClient.invalidateQueries({ queryKey: deploymentKeys.all });
    },
  });
}

export function useCreateDeployment(project: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Record<string, unknown>) => request<Deployment>('POST', base(project), body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: deploymentKeys.all }),
  });
}
