import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { components } from '@/api/schema';
import { pollEvery } from '@/lib/polling';

// The monitoring endpoints publish no response schemas (the schema says `{[key: string]: unknown}`),
// so the bodies they send are described here, once; the request bodies come from the schema.

type Schemas = components['schemas'];

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

/** The editable settings (from the schema's update request) and the last run. */
export type MonitorConfig = Required<Schemas['PatchedConfigUpdateRequest']> & {
  last_run_at: string | null;
  last_error: string;
};

/** How far the ingest of the prediction log has come, and the rows it could not decode. */
export interface IngestInfo {
  rows: number;
  invalid: number;
  invalid_examples: string[];
  lag_rows: number;
  lag_seconds: number;
  lag_alert_seconds: number;
  checked_at: string | null;
}

export interface DeploymentMonitoring {
  project: string;
  deployment: string;
  live_version: number;
  status: Status;
  config: MonitorConfig;
  ingest: IngestInfo;
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
  /** the id of an earlier mistake with the same inputs and corrected label */
  duplicate_of: number | null;
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
  duplicates_total: number;
  /** where "Add to dataset" writes: the training dataset and the version it will create */
  target: { dataset: string; base_version: number; next_version: number } | null;
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

const one = (project: string, deployment: string) => ({ path: { project, deployment } });

export function useOverview(team?: string) {
  return useQuery({
    queryKey: ['monitoring', 'overview', team ?? ''],
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/monitoring/overview/', { params: { query: { team: team || undefined } } }))) as unknown as {
        results: OverviewRow[];
      },
    refetchInterval: pollEvery(30_000),
  });
}

export function useAlerts(params: { status?: string; project?: string; deployment?: string; team?: string } = {}) {
  // an empty filter means "any": leave it out of the query
  const query = Object.fromEntries(Object.entries(params).filter(([, v]) => v)) as typeof params;
  return useQuery({
    queryKey: ['monitoring', 'alerts', params],
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/alerts/', { params: { query } }))) as unknown as { results: AlertItem[] },
    refetchInterval: pollEvery(30_000),
  });
}

export function useResolveAlert() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      (await unwrap(api.POST('/api/v1/alerts/{alert_id}/resolve/', { params: { path: { alert_id: id } } }))) as unknown as AlertItem,
    onSuccess: () => client.invalidateQueries({ queryKey: ['monitoring'] }),
  });
}

export function useDrift(project: string, deployment: string) {
  return useQuery({
    queryKey: ['monitoring', 'drift', project, deployment],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/deployments/{deployment}/drift/', { params: one(project, deployment) }),
      )) as unknown as DriftTable,
    refetchInterval: pollEvery(60_000),
  });
}

/** A drift rule; the server enables a rule unless told otherwise. */
export type RuleInput = Omit<Schemas['RuleRequest'], 'enabled'> & { enabled?: boolean };

export function useUpdateRule(project: string, deployment: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ feature, rule }: { feature: string; rule: RuleInput }) =>
      unwrap(
        api.PUT('/api/v1/projects/{project}/deployments/{deployment}/drift/rules/{feature}/', {
          params: { path: { project, deployment, feature } },
          body: { ...rule, enabled: rule.enabled ?? true },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['monitoring', 'drift', project, deployment] }),
  });
}

export function useDeploymentMonitoring(project: string, deployment: string) {
  return useQuery({
    queryKey: ['monitoring', 'deployment', project, deployment],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/deployments/{deployment}/monitoring/', { params: one(project, deployment) }),
      )) as unknown as DeploymentMonitoring,
    refetchInterval: pollEvery(60_000),
  });
}

export function useUpdateConfig(project: string, deployment: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (values: Schemas['PatchedConfigUpdateRequest']) =>
      unwrap(
        api.PATCH('/api/v1/projects/{project}/deployments/{deployment}/monitoring/', {
          params: one(project, deployment),
          body: values,
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ['monitoring'] }),
  });
}

export function useRunMonitors(project: string, deployment: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/projects/{project}/deployments/{deployment}/monitoring/run/', { params: one(project, deployment) })),
    onSuccess: () => setTimeout(() => void client.invalidateQueries({ queryKey: ['monitoring'] }), 3000),
  });
}

export function useFlywheel(project: string, deployment: string, slice: string) {
  return useQuery({
    queryKey: ['monitoring', 'flywheel', project, deployment, slice],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/deployments/{deployment}/flywheel/', {
          params: { ...one(project, deployment), query: { slice: slice || undefined } },
        }),
      )) as unknown as Flywheel,
    placeholderData: keepPreviousData,
  });
}

export function useExportToDataset(project: string, deployment: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ slice, feedback_ids }: { slice: string; feedback_ids?: number[] }) =>
      (await unwrap(
        api.POST('/api/v1/projects/{project}/deployments/{deployment}/flywheel/export/', {
          params: one(project, deployment),
          body: { slice, ...(feedback_ids ? { feedback_ids } : {}) },
        }),
      )) as unknown as { dataset: string; version: number; examples: number; parent_version: number; rows: number },
    onSuccess: () => client.invalidateQueries({ queryKey: ['monitoring', 'flywheel', project, deployment] }),
  });
}
