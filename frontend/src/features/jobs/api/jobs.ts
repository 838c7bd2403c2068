import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ensureCsrf } from '@/api/client';
import { ApiError } from '@/api/errors';
import { readCookie } from '@/lib/cookies';

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

/** JSON fetch for the jobs endpoints (same-origin cookies, CSRF on writes, ApiError on failure). */
export async function jobsFetch<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') {
    if (!readCookie('csrftoken')) await ensureCsrf();
    const token = readCookie('csrftoken');
    if (token) headers['X-CSRFToken'] = token;
  }
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await globalThis.fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let data: unknown = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // keep the text for the error message
  }
  if (!response.ok) throw ApiError.fromBody(response.status, data, response.statusText);
  return data as T;
}

export const POLL_MS = 1000;

export interface JobFilters {
  kind?: string;
  status?: string;
  project?: string;
  model_version?: number;
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
    refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) ? false : POLL_MS),
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
