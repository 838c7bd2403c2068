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
  'export_executorch',
  'export_coreml',
  'export_tflite',
  'quantize',
  'prune',
  'distill',
  'explain',
  'replay',
  'fairness',
  'feature_importance',
  'tune',
  'staleness_impact',
] as const satisfies readonly components['schemas']['JobKindEnum'][];
export type JobKind = components['schemas']['JobKindEnum'];
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly components['schemas']['JobStatusEnum'][];
export type JobStatus = components['schemas']['JobStatusEnum'];

export const KIND_LABELS: Record<JobKind, string> = {
  training_tests: 'Training tests',
  evaluate: 'Evaluate',
  export_onnx: 'Export to ONNX',
  export_torchscript: 'Export to TorchScript',
  export_executorch: 'Export to ExecuTorch',
  export_coreml: 'Export to Core ML',
  export_tflite: 'Export to LiteRT',
  quantize: 'Quantize',
  prune: 'Prune',
  distill: 'Distill',
  explain: 'Explain predictions',
  replay: 'Replay requests',
  fairness: 'Fairness report',
  feature_importance: 'Feature importance',
  tune: 'Tune hyperparameters',
  staleness_impact: 'Staleness impact',
};

/** The kinds that read a dataset version (the form asks for one). */
export const NEEDS_DATASET: readonly JobKind[] = ['feature_importance', 'staleness_impact'];

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

/** Narrowed from the schema's loose dicts and JSON fields: the model and dataset refs, produced ids, log lines.
 * Params and result keep their generated types (each kind's params model and report). */
export type Job = Narrow<
  Schemas['Job'],
  {
    model: { name: string; number: number; format: string };
    dataset: { name: string; number: number } | null;
    produced_versions: number[];
    log_tail: LogLine[];
  }
>;
export type JobDetail = Narrow<
  Schemas['JobDetail'],
  Pick<Job, 'model' | 'dataset' | 'produced_versions' | 'log_tail'> & {
    log: LogLine[];
    produced: ProducedVersion[];
  }
>;

/** The reports a job stores as its result, one per kind (generated from shipyard_ml.reports). */
export type TrainingTestsReport = Schemas['TrainingTestsJobReport'];
export type EvaluateReport = Schemas['EvaluateJobReport'];
export type ExportReport = Schemas['ExportJobReport'];
export type CompressionReport = Schemas['CompressionJobReport'];
export type DistillReport = Schemas['DistillJobReport'];
export type FeatureImportanceReport = Schemas['FeatureImportanceJobReport'];
export type TuneReport = Schemas['TuneJobReport'];
export type StalenessReport = Schemas['StalenessJobReport'];
/** A job's result once its computation produced a report (not a job that failed early, nor one still running). */
export type ExplainReport = Schemas['ExplainJobReport'];
export type ReplayReport = Schemas['ReplayJobReport'];
export type FairnessReport = Schemas['FairnessJobReport'];
export type AnyReport =
  | TrainingTestsReport
  | EvaluateReport
  | ExportReport
  | CompressionReport
  | DistillReport
  | ExplainReport
  | ReplayReport
  | FairnessReport
  | FeatureImportanceReport
  | TuneReport
  | StalenessReport;
export const hasReport = (result: JobDetail['result']): result is AnyReport =>
  'passed' in result || 'output_kind' in result || 'agreement' in result;

/** The JSON schema of one param, as GET /api/v1/jobs/kinds/ publishes it (pydantic's output). */
export interface ParamSchema {
  type?: 'integer' | 'number' | 'string' | 'boolean' | 'object';
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  description?: string;
  anyOf?: ParamSchema[];
}
/** One job kind and the JSON schema of its params (the server's params model: defaults, ranges). */
export type JobKindInfo = Narrow<Schemas['JobKind'], { params: { properties: Record<string, ParamSchema> } }>;
/** The server picks the device when none is given, and fills every param not given with its default. */
export type JobCreate = Narrow<
  Schemas['JobCreateRequest'],
  { device?: Schemas['DeviceEnum']; params?: Partial<NonNullable<Schemas['JobCreateRequest']['params']>> }
>;
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
      // the generated params types mark defaulted params present (as responses send them); a request may omit them
      asDetail(await unwrap(api.POST('/api/v1/jobs/', { body: { ...rest, device } as Schemas['JobCreateRequest'] }))),
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

/** Every job kind with its params' schema; it never changes while the app runs. */
export function useJobKinds() {
  return useQuery({
    queryKey: ['jobs', 'kinds'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/jobs/kinds/'))) as JobKindInfo[],
    staleTime: Infinity,
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

/** One dataset version a job may read: `<dataset> v<number>`, by id. */
export interface DatasetVersionChoice {
  value: string;
  label: string;
}

/** The project's dataset versions (newest first per dataset), for the jobs that read one. */
export function useDatasetVersionChoices(project: string, enabled: boolean) {
  return useQuery({
    queryKey: ['jobs', 'dataset-versions', project],
    enabled,
    queryFn: async (): Promise<DatasetVersionChoice[]> => {
      const datasets = await unwrap(api.GET('/api/v1/projects/{project}/datasets/', { params: { path: { project } } }));
      const choices: DatasetVersionChoice[] = [];
      for (const d of datasets.results) {
        const versions = await unwrap(
          api.GET('/api/v1/projects/{project}/datasets/{name}/versions/', { params: { path: { project, name: d.name } } }),
        );
        for (const v of versions.results) choices.push({ value: String(v.id), label: `${d.name} v${v.number}` });
      }
      return choices;
    },
  });
}

export type EdgeProfile = Schemas['EdgeProfile'];

/** The project's edge profiles (device budgets) an edge export may be checked against. */
export function useEdgeProfiles(project: string, enabled = true) {
  return useQuery({
    queryKey: ['jobs', 'edge-profiles', project],
    enabled,
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/edge-profiles/', { params: { path: { project } } }))) as EdgeProfile[],
  });
}
