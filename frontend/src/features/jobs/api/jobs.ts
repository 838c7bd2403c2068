import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { Page } from '@/api/pagination';
import type { components, paths } from '@/api/schema';
import type { Narrow } from '@/api/types';

export const JOB_KINDS = [
  'training_tests',
  'evaluate',
  'export_onnx',
  'export_torchscript',
  'quantize',
  'prune',
  'distill',
] as const satisfies readonly components['schemas']['JobKindEnum'][];
export type JobKind = components['schemas']['JobKindEnum'];
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly components['schemas']['JobStatusEnum'][];
export type JobStatus = components['schemas']['JobStatusEnum'];

export const KIND_LABELS: Record<JobKind, string> = {
  training_tests: 'Training tests',
  evaluate: 'Evaluate',
  export_onnx: 'Export to ONNX',
  export_torchscript: 'Export to TorchScript',
  quantize: 'Quantize',
  prune: 'Prune',
  distill: 'Distill',
};

type Schemas = components['schemas'];

export interface LogLine {
  t: string;
  msg: string;
}

/** One version a job produced (an entry of `produced`). */
export interface ProducedVersion {
  id: number;
  model: string;
  number: number;
  format: string;
  size_bytes: number;
}

/** Narrowed from the schema's loose dicts and JSON fields: the model and dataset refs, params, produced ids, log lines. */
export type Job = Narrow<
  Schemas['Job'],
  {
    model: { name: string; number: number; format: string };
    dataset: { name: string; number: number } | null;
    params: Record<string, unknown>;
    produced_versions: number[];
    log_tail: LogLine[];
  }
>;
export type JobDetail = Narrow<
  Schemas['JobDetail'],
  Pick<Job, 'model' | 'dataset' | 'params' | 'produced_versions' | 'log_tail'> & {
    log: LogLine[];
    result: Record<string, unknown>;
    produced: ProducedVersion[];
  }
>;
/** The server picks the device when none is given. */
export type JobCreate = Narrow<Schemas['JobCreateRequest'], { device?: Schemas['DeviceEnum'] }>;
/** Reads generated bodies as the aliases above (the schema's `log_tail` dict does not overlap LogLine). */
const asDetail = (job: Schemas['JobDetail']) => job as unknown as JobDetail;
const asPage = (page: Schemas['PaginatedJobList']) => page as unknown as Page<Job>;

export type JobFilters = NonNullable<paths['/api/v1/jobs/']['get']['parameters']['query']>;

export const isActive = (status: JobStatus) => status === 'queued' || status === 'running';

export const POLL_MS = 1000;

export function useJobs(filters: JobFilters, enabled = true) {
  // an empty filter means "any": leave it out of the query
  const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== '')) as JobFilters;
  return useQuery({
    queryKey: ['jobs', 'list', filters],
    enabled,
    queryFn: async () => asPage(await unwrap(api.GET('/api/v1/jobs/', { params: { query } }))),
    // poll while any listed job is queued or running; stop once all are finished
    refetchInterval: (q) => (q.state.data?.results.some((j) => isActive(j.status)) ? POLL_MS : false),
  });
}

export function useJob(id: number) {
  return useQuery({
    queryKey: ['jobs', 'detail', id],
    queryFn: async () => asDetail(await unwrap(api.GET('/api/v1/jobs/{id}/', { params: { path: { id } } }))),
    // poll until the job finishes; never keep polling a job that failed to load (a 404 stays a 404)
    refetchInterval: (q) => (q.state.status === 'error' || (q.state.data && !isActive(q.state.data.status)) ? false : POLL_MS),
  });
}

export function useCreateJob() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ device = 'auto', ...rest }: JobCreate) =>
      asDetail(await unwrap(api.POST('/api/v1/jobs/', { body: { ...rest, device } }))),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['jobs'] }),
  });
}

export function useJobAction(action: 'cancel' | 'retry') {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      asDetail(
        await unwrap(
          action === 'cancel'
            ? api.POST('/api/v1/jobs/{id}/cancel/', { params: { path: { id } } })
            : api.POST('/api/v1/jobs/{id}/retry/', { params: { path: { id } } }),
        ),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['jobs'] }),
  });
}

/** The id and format of a model version: what the start-job panel needs. */
export function useVersionRef(project: string, model: string, number: string) {
  return useQuery({
    queryKey: ['jobs', 'version', project, model, number],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{project}/models/{model}/versions/{number}/', {
          params: { path: { project, model, number: Number(number) } },
        }),
      ),
  });
}
