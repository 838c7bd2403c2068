import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiFetch } from '@/api/client';

export const JOB_KINDS = [
  'training_tests',
  'evaluate',
  'export_onnx',
  'export_torchscript',
  'quantize',
  'prune',
  'distill',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const KIND_LABELS: Record<JobKind, string> = {
  training_tests: 'Training tests',
  evaluate: 'Evaluate',
  export_onnx: 'Export to ONNX',
  export_torchscript: 'Export to TorchScript',
  quantize: 'Quantize',
  prune: 'Prune',
  distill: 'Distill',
};

export interface LogLine {
  t: string;
  msg: string;
}

export interface Job {
  id: number;
  project: string;
  kind: JobKind;
  model_version: number;
  model: { name: string; number: number; format: string };
  dataset_version: number | null;
  dataset: { name: string; number: number } | null;
  params: Record<string, unknown>;
  queue: 'cpu' | 'gpu';
  device: 'auto' | 'cpu' | 'cuda';
  device_used: string;
  status: JobStatus;
  progress: number;
  message: string;
  passed: boolean | null;
  produced_versions: number[];
  attempts: number;
  worker: string;
  time_limit_s: number;
  cancel_requested: boolean;
  retry_of: number | null;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  log_tail: LogLine[];
}

export interface ProducedVersion {
  id: number;
  model: string;
  number: number;
  format: string;
  size_bytes: number;
}

export interface JobDetail extends Job {
  log: LogLine[];
  result: Record<string, unknown>;
  error: string;
  produced: ProducedVersion[];
}

interface Page<T> {
  count: number;
  results: T[];
}

export const isActive = (status: JobStatus) => status === 'queued' || status === 'running';

export const jobsFetch = apiFetch;

export const POLL_MS = 1000;

export interface JobFilters {
  kind?: string;
  status?: string;
  project?: string;
  model_version?: number;
  team?: string;
}

export function useJobs(filters: JobFilters, enabled = true) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== '') query.set(k, String(v));
  return useQuery({
    queryKey: ['jobs', 'list', filters],
    enabled,
    queryFn: () => jobsFetch<Page<Job>>(`/api/v1/jobs/?${query.toString()}`),
    // poll while any listed job is queued or running; stop once all are finished
    refetchInterval: (q) => (q.state.data?.results.some((j) => isActive(j.status)) ? POLL_MS : false),
  });
}

export function useJob(id: number) {
  return useQuery({
    queryKey: ['jobs', 'detail', id],
    queryFn: () => jobsFetch<JobDetail>(`/api/v1/jobs/${id}/`),
    // poll until the job finishes; never keep polling a job that failed to load (a 404 stays a 404)
    refetchInterval: (q) => (q.state.status === 'error' || (q.state.data && !isActive(q.state.data.status)) ? false : POLL_MS),
  });
}

export interface JobCreate {
  project: string;
  kind: JobKind;
  model_version: number;
  dataset_version?: number;
  params: Record<string, unknown>;
  device?: 'auto' | 'cpu' | 'cuda';
}

export function useCreateJob() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: JobCreate) => jobsFetch<JobDetail>('/api/v1/jobs/', { method: 'POST', body }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['jobs'] }),
  });
}

export function useJobAction(action: 'cancel' | 'retry') {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => jobsFetch<JobDetail>(`/api/v1/jobs/${id}/${action}/`, { method: 'POST' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['jobs'] }),
  });
}
