import { useQuery } from '@tanstack/react-query';
import { api, unwrap, uploadWithProgress } from '@/api/client';
import type { Page } from '@/api/pagination';
import type { components } from '@/api/schema';
import type { Narrow, Sent } from '@/api/types';

type Schemas = components['schemas'];

export type AliasInfo = Schemas['Alias'];
export type AliasMove = Sent<Schemas['AliasMove']>;
export type AliasMoveRequest = Schemas['AliasMoveRequestRequest'];
/** `tags` is a JSON object of strings. */
export type RegisteredModel = Narrow<Sent<Schemas['RegisteredModel']>, { tags: Record<string, string> }>;

/** One tensor of a version's `signature` JSON field. */
export interface TensorSpec {
  name: string;
  dtype: string;
  shape: (number | null)[];
}

/** The JSON fields and loose dicts of a model version, narrowed once for every component. */
interface VersionFields {
  recipe_config: Record<string, unknown>;
  signature: { inputs?: TensorSpec[]; outputs?: TensorSpec[]; features?: string[] };
  metrics: Record<string, number>;
  slice_metrics: Record<string, Record<string, number>>;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  training_dataset: { dataset: string; number: number } | null;
  environment: { python?: string; packages?: Record<string, string> };
  parent: { model: string; number: number } | null;
}
export type ModelVersion = Narrow<Sent<Schemas['ModelVersion']>, VersionFields>;

/** A node of the `lineage` dict of a version detail. */
export interface LineageNode {
  id: string;
  kind: 'model_version' | 'dataset_version';
  model?: string;
  dataset?: string;
  number: number;
  format?: string;
  current?: boolean;
  produced_by_job_id?: number | null;
}

/** An edge of the `lineage` dict of a version detail. */
export interface LineageEdge {
  from: string;
  to: string;
  kind: 'trained_on' | 'derived';
  job?: number | null;
}

export type EvidenceItem = Omit<Schemas['Evidence'], 'key' | 'detail'>;

/** A period a version was live or the canary of a deployment (end null while it lasts). */
export interface ServingPeriod {
  role: 'live' | 'canary';
  start: string;
  end: string | null;
}

/** A deployment that serves the version now ('live', 'canary') or served it before ('past'). */
export interface VersionDeployment {
  id: number;
  kind: string;
  name: string;
  role: 'live' | 'canary' | 'past';
  periods: ServingPeriod[];
}

export type ModelVersionDetail = Narrow<
  Sent<Schemas['ModelVersionDetail']>,
  VersionFields & {
    lineage: { nodes: LineageNode[]; edges: LineageEdge[] };
    deployments: VersionDeployment[];
    evidence: EvidenceItem[];
  }
>;

const model = (project: string, name: string) => ({ path: { project, model: name } });

export const registryKeys = {
  models: (slug: string) => ['registry', slug, 'models'] as const,
  model: (slug: string, model: string) => ['registry', slug, 'model', model] as const,
  versions: (slug: string, model: string) => ['registry', slug, 'model', model, 'versions'] as const,
  version: (slug: string, model: string, n: number) => ['registry', slug, 'model', model, 'version', n] as const,
  aliases: (slug: string, model: string) => ['registry', slug, 'model', model, 'aliases'] as const,
};

export function useModels(slug: string) {
  return useQuery({
    queryKey: registryKeys.models(slug),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/models/', { params: { path: { project: slug } } }))) as Page<RegisteredModel>,
  });
}

export function useModel(slug: string, name: string) {
  return useQuery({
    queryKey: registryKeys.model(slug, name),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/models/{model}/', { params: model(slug, name) }))) as RegisteredModel,
  });
}

export function useModelVersions(slug: string, name: string, enabled = true) {
  return useQuery({
    enabled,
    queryKey: registryKeys.versions(slug, name),
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/models/{model}/versions/', {
          params: { ...model(slug, name), query: { page_size: 200 } },
        }),
      )) as Page<ModelVersion>,
  });
}

export function useModelVersion(slug: string, name: string, n: number) {
  return useQuery({
    queryKey: registryKeys.version(slug, name, n),
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/models/{model}/versions/{number}/', {
          params: { path: { project: slug, model: name, number: n } },
        }),
      )) as unknown as ModelVersionDetail,
  });
}

export function useAliases(slug: string, name: string, enabled = true) {
  return useQuery({
    enabled,
    queryKey: registryKeys.aliases(slug, name),
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/models/{model}/aliases/', { params: model(slug, name) }))) as {
        aliases: AliasInfo[];
        moves: AliasMove[];
      },
  });
}

/** Moves an alias; `expected_version` is the version the caller saw: the server answers 409 when it moved since. */
export function moveAlias(slug: string, name: string, body: AliasMoveRequest): Promise<AliasInfo> {
  return unwrap(api.POST('/api/v1/projects/{project}/models/{model}/aliases/', { params: model(slug, name), body }));
}

/** Multipart upload of a new version, with progress. */
export async function uploadVersion(
  slug: string,
  name: string,
  form: FormData,
  onProgress: (fraction: number) => void,
): Promise<ModelVersion> {
  return (await uploadWithProgress(
    '/api/v1/projects/{project}/models/{model}/versions/',
    { project: slug, model: name },
    form,
    onProgress,
  )) as ModelVersion;
}

export function artifactUrl(slug: string, model: string, n: number): string {
  return `/api/v1/projects/${encodeURIComponent(slug)}/models/${encodeURIComponent(model)}/versions/${n}/artifact`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
