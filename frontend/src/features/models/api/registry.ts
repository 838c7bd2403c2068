import { useQuery } from '@tanstack/react-query';
import { api, apiFetch, unwrap } from '@/api/client';

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface AliasInfo {
  name: string;
  version: number;
  updated_by: string | null;
  updated_at: string;
}

export interface RegisteredModel {
  id: number;
  project: string;
  name: string;
  description: string;
  tags: Record<string, string>;
  latest_version: number | null;
  version_count: number;
  aliases: AliasInfo[];
  created_by: string | null;
  created_at: string;
}

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: (number | null)[];
}

export interface ModelVersion {
  id: number;
  model: string;
  number: number;
  format: 'onnx' | 'state_dict' | 'safetensors' | 'torchscript' | 'torch_export';
  framework: string;
  artifact_sha256: string;
  artifact_size: number;
  artifact_filename: string;
  code: boolean;
  recipe: string;
  recipe_config: Record<string, unknown>;
  signature: { inputs?: TensorSpec[]; outputs?: TensorSpec[]; features?: string[] };
  metrics: Record<string, number>;
  slice_metrics: Record<string, Record<string, number>>;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  git_commit: string;
  training_dataset: { dataset: string; number: number } | null;
  environment: { python?: string; packages?: Record<string, string> };
  author: string | null;
  description: string;
  parent: { model: string; number: number } | null;
  produced_by_job_id: number | null;
  aliases: string[];
  created_at: string;
}

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

export interface LineageEdge {
  from: string;
  to: string;
  kind: 'trained_on' | 'derived';
  job?: number | null;
}

export interface EvidenceItem {
  id: number;
  test_id: string;
  source: string;
  passed: boolean;
  title: string;
  link: string;
  observed_at: string;
}

export interface ModelVersionDetail extends ModelVersion {
  lineage: { nodes: LineageNode[]; edges: LineageEdge[] };
  deployments: { id: number; kind: string; name: string }[];
  evidence: EvidenceItem[];
}

export interface AliasMove {
  id: number;
  alias_name: string;
  from_version: number | null;
  to_version: number | null;
  moved_by: string | null;
  moved_at: string;
  reason: string;
}

export const projectBase = (slug: string) => `/api/v1/projects/${encodeURIComponent(slug)}`;
const modelBase = (slug: string, model: string) => `${projectBase(slug)}/models/${encodeURIComponent(model)}`;

export const registryFetch = apiFetch;


export const registryKeys = {
  models: (slug: string) => ['registry', slug, 'models'] as const,
  model: (slug: string, model: string) => ['registry', slug, 'model', model] as const,
  versions: (slug: string, model: string) => ['registry', slug, 'model', model, 'versions'] as const,
  version: (slug: string, model: string, n: number) => ['registry', slug, 'model', model, 'version', n] as const,
  aliases: (slug: string, model: string) => ['registry', slug, 'model', model, 'aliases'] as const,
};

export function useTeamProjects(team: string | null) {
  return useQuery({
    queryKey: ['registry', 'projects', team ?? ''],
    queryFn: () => unwrap(api.GET('/api/v1/projects/', { params: { query: { team: team ?? undefined } } })),
    enabled: team !== null,
  });
}

export function useModels(slug: string) {
  return useQuery({
    queryKey: registryKeys.models(slug),
    queryFn: () => registryFetch<Page<RegisteredModel>>(`${projectBase(slug)}/models/`),
  });
}

export function useModel(slug: string, model: string) {
  return useQuery({
    queryKey: registryKeys.model(slug, model),
    queryFn: () => registryFetch<RegisteredModel>(`${modelBase(slug, model)}/`),
  });
}

export function useModelVersions(slug: string, model: string) {
  return useQuery({
    queryKey: registryKeys.versions(slug, model),
    queryFn: () => registryFetch<Page<ModelVersion>>(`${modelBase(slug, model)}/versions/?page_size=200`),
  });
}

export function useModelVersion(slug: string, model: string, n: number) {
  return useQuery({
    queryKey: registryKeys.version(slug, model, n),
    queryFn: () => registryFetch<ModelVersionDetail>(`${modelBase(slug, model)}/versions/${n}/`),
  });
}

export function useAliases(slug: string, model: string) {
  return useQuery({
    queryKey: registryKeys.aliases(slug, model),
    queryFn: () => registryFetch<{ aliases: AliasInfo[]; moves: AliasMove[] }>(`${modelBase(slug, model)}/aliases/`),
  });
}

/** The project's team slug, to find the caller's role in it (moving aliases needs maintainer). */
export function useProjectTeam(slug: string) {
  return useQuery({
    queryKey: ['registry', slug, 'project'] as const,
    queryFn: () => registryFetch<{ slug: string; team: string }>(`${projectBase(slug)}/`),
  });
}

export interface AliasMoveRequest {
  alias: string;
  version: number;
  /** the version the caller saw the alias at: the server answers 409 when it moved since */
  expected_version?: number | null;
  reason?: string;
}

export function moveAlias(slug: string, model: string, body: AliasMoveRequest): Promise<AliasInfo> {
  return registryFetch<AliasInfo>(`${modelBase(slug, model)}/aliases/`, { method: 'POST', body });
}

export function versionsUploadUrl(slug: string, model: string): string {
  return `${modelBase(slug, model)}/versions/`;
}

export function artifactUrl(slug: string, model: string, n: number): string {
  return `${modelBase(slug, model)}/versions/${n}/artifact`;
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
