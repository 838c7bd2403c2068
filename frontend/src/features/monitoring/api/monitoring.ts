import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from '@/api/client';

export type Status = 'ok' | 'warn' | 'fail' | 'no_data' | 'error';

export interface DriftFeature {
  feature: string;
  role: 'feature' | 'prediction';
  kind: 'numeric' | 'categorical';
  status: Status;
  metric: string;
  operator: string;
  threshold: number;
  enabled: boolean;
  value: number | null;
  evaluated_metric: string;
  metrics: Record<string, number | null>;
  n_current: number;
  histogram: { labels?: string[]; reference?: number[]; current?: number[] };
  series: { t: string; value: number | null; status: Status }[];
}

export interface DriftTable {
  status: Status;
  summary: string;
  computed_at: string | null;
  window: { kind: string; n: number };
  rows: number;
  features: DriftFeature[];
}

export interface MonitorInfo {
  kind: string;
  label: string;
  rubric_test: string;
  status: Status;
  summary: string;
  value: number | null;
  computed_at: string | null;
  detail: Record<string, unknown>;
  series: { t: string; value: number | null; status: Status }[];
}

export interface MonitorConfig {
  window_kind: 'hour' | 'day' | 'last_n';
  window_n: number;
  staleness_limit_days: number;
  confidence_threshold: number;
  skew_sample_size: number;
  skew_max_mismatch: number;
  invariant_max_rate: number;
  latency_max_ratio: number;
  quality_max_drop: number;
  webhook_url: string;
  email_to: string;
  last_run_at: string | null;
  last_error: string;
}

export interface DeploymentMonitoring {
  project: string;
  deployment: string;
  live_version: number;
  status: Status;
  config: MonitorConfig;
  monitors: MonitorInfo[];
}

export interface FlywheelDay {
  date: string;
  predictions: number;
  confident: number;
  feedback: number;
  corrected: number;
  mistakes: number;
}

export interface Mistake {
  id: number;
  request_id: string;
  predicted_at: string;
  inputs: unknown;
  prediction: unknown;
  label: unknown;
  confidence: number | null;
  version_id: number;
}

export interface FlywheelExport {
  id: number;
  created_at: string;
  examples: number;
  dataset: string;
  version: number;
  base_version: number;
  next_model: { model: string; version: number; metrics: Record<string, number>; on_examples: unknown } | null;
}

export interface Flywheel {
  confidence_threshold: number;
  days: number;
  slice: string;
  slices: string[];
  predictions: number;
  confident: number;
  corrected: number;
  pct_confident: number | null;
  pct_corrected_of_confident: number | null;
  daily: FlywheelDay[];
  mistakes_total: number;
  mistakes: Mistake[];
  exports: FlywheelExport[];
  can_export: boolean;
}

export interface AlertItem {
  id: number;
  project: string;
  deployment: string | null;
  key: string;
  source: string;
  severity: string;
  status: 'open' | 'resolved';
  title: string;
  message: string;
  link: string;
  evidence: { id: number; test_id: string; passed: boolean } | null;
  opened_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  occurrences: number;
}

export interface OverviewRow {
  project: string;
  team: string;
  deployment: string;
  model: string;
  version: number;
  status: Status;
  open_alerts: number;
  monitors: Record<string, { status: Status; summary: string; value: number | null } | null>;
}

export const request = <T,>(method: string, path: string, body?: unknown): Promise<T> =>
  apiFetch<T>(path, { method, body });

const base = (project: string, deployment: string) =>
  `/api/v1/projects/${encodeURIComponent(project)}/deployments/${encodeURIComponent(deployment)}`;

export function useOverview(team?: string) {
  return useQuery({
    queryKey: ['monitoring', 'overview', team ?? ''],
    queryFn: () =>
      request<{ results: OverviewRow[] }>('GET', `/api/v1/monitoring/overview/${team ? `?team=${encodeURIComponent(team)}` : ''}`),
    refetchInterval: 30_000,
  });
}

export function useAlerts(params: { status?: string; project?: string; deployment?: string; team?: string } = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v) as [string, string][]).toString();
  return useQuery({
    queryKey: ['monitoring', 'alerts', params],
    queryFn: () => request<{ results: AlertItem[] }>('GET', `/api/v1/alerts/${query ? `?${query}` : ''}`),
    refetchInterval: 30_000,
  });
}

export function useResolveAlert() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => request<AlertItem>('POST', `/api/v1/alerts/${id}/resolve/`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['monitoring'] }),
  });
}

export function useDrift(project: string, deployment: string) {
  return useQuery({
    queryKey: ['monitoring', 'drift', project, deployment],
    queryFn: () => request<DriftTable>('GET', `${base(project, deployment)}/drift/`),
    refetchInterval: 60_000,
  });
}

export interface RuleInput {
  metric: string;
  operator: string;
  threshold: number;
  enabled?: boolean;
}

export function useUpdateRule(project: string, deployment: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ feature, rule }: { feature: string; rule: RuleInput }) =>
      request('PUT', `${base(project, deployment)}/drift/rules/${encodeURIComponent(feature)}/`, rule),
    onSuccess: () => client.invalidateQueries({ queryKey: ['monitoring', 'drift', project, deployment] }),
  });
}

export function useDeploymentMonitoring(project: string, deployment: string) {
  return useQuery({
    queryKey: ['monitoring', 'deployment', project, deployment],
    queryFn: () => request<DeploymentMonitoring>('GET', `${base(project, deployment)}/monitoring/`),
    refetchInterval: 60_000,
  });
}

export function useUpdateConfig(project: string, deployment: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (values: Partial<MonitorConfig>) =>
      request<MonitorConfig>('PATCH', `${base(project, deployment)}/monitoring/`, values),
    onSuccess: () => client.invalidateQueries({ queryKey: ['monitoring'] }),
  });
}

export function useRunMonitors(project: string, deployment: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => request('POST', `${base(project, deployment)}/monitoring/run/`),
    onSuccess: () => setTimeout(() => void client.invalidateQueries({ queryKey: ['monitoring'] }), 3000),
  });
}

export function useFlywheel(project: string, deployment: string, slice: string) {
  return useQuery({
    queryKey: ['monitoring', 'flywheel', project, deployment, slice],
    queryFn: () =>
      request<Flywheel>(
        'GET',
        `${base(project, deployment)}/flywheel/${slice ? `?slice=${encodeURIComponent(slice)}` : ''}`,
      ),
    placeholderData: keepPreviousData,
  });
}

export function useExportToDataset(project: string, deployment: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (slice: string) =>
      request<{ dataset: string; version: number; examples: number }>(
        'POST',
        `${base(project, deployment)}/flywheel/export/`,
        slice ? { slice } : {},
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['monitoring', 'flywheel', project, deployment] }),
  });
}
