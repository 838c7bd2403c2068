import { useQuery } from '@tanstack/react-query';
import { api, ensureCsrf, unwrap } from '@/api/client';
import { ApiError } from '@/api/errors';
import { readCookie } from '@/lib/cookies';

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

/** JSON GET/POST for the registry endpoints (same-origin cookies, CSRF on writes, ApiError on failure). */
export async function registryFetch<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
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
  if (response.status === 204) return undefined as T;
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

/**
 * Multipart upload through XMLHttpRequest so the browser reports upload progress (0..1).
 * Resolves with the parsed JSON body; rejects with ApiError.
 */
export async function uploadWithProgress<T>(url: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  if (!readCookie('csrftoken')) await ensureCsrf();
  const token = readCookie('csrftoken') ?? '';
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('X-CSRFToken', token);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let data: unknown = xhr.responseText;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // keep the text
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(data as T);
      } else {
        reject(ApiError.fromBody(xhr.status, data, xhr.statusText));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload failed: the server could not be reached.'));
    xhr.send(form);
  });
}

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
