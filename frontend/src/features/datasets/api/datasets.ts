import { useQuery } from '@tanstack/react-query';
import { ensureCsrf } from '@/api/client';
import { ApiError } from '@/api/errors';
import { readCookie } from '@/lib/cookies';

export interface Page<T> {
  count: number;
  results: T[];
}

export interface FeatureSchema {
  name: string;
  role: 'feature' | 'label';
  dtype: 'numeric' | 'integer' | 'categorical' | 'boolean' | 'string';
  min?: number | null;
  max?: number | null;
  categories?: string[];
  null_rate: number;
}

export interface FeatureStats {
  count: number;
  null_rate: number;
  mean?: number | null;
  std?: number | null;
  histogram?: { edges: number[]; counts: number[] };
  top?: [string, number][];
}

export interface DatasetVersion {
  id: number;
  dataset: string;
  number: number;
  format: string;
  sha256: string;
  size_bytes: number;
  original_filename: string;
  row_count: number;
  label_column: string;
  slices: { name: string; filter: string; rows?: number }[];
  description: string;
  parent: number | null;
  created_by: string | null;
  created_at: string;
}

export interface DatasetVersionDetail extends DatasetVersion {
  schema: { features: FeatureSchema[]; label: string | null; n_features: number };
  stats: Record<string, FeatureStats>;
}

export interface Dataset {
  id: number;
  name: string;
  description: string;
  latest_version: DatasetVersion | null;
  created_at: string;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await globalThis.fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const text = await response.text();
  let data: unknown = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // keep text
  }
  if (!response.ok) throw ApiError.fromBody(response.status, data, response.statusText);
  return data as T;
}

const base = (slug: string) => `/api/v1/projects/${encodeURIComponent(slug)}/datasets`;

export function useDatasets(slug: string) {
  return useQuery({ queryKey: ['datasets', slug], queryFn: () => getJson<Page<Dataset>>(`${base(slug)}/`) });
}

export function useDatasetVersions(slug: string, name: string) {
  return useQuery({
    queryKey: ['datasets', slug, name, 'versions'],
    queryFn: () => getJson<Page<DatasetVersion>>(`${base(slug)}/${encodeURIComponent(name)}/versions/?page_size=200`),
  });
}

export function useDatasetVersion(slug: string, name: string, n: number | null) {
  return useQuery({
    queryKey: ['datasets', slug, name, 'version', n],
    queryFn: () => getJson<DatasetVersionDetail>(`${base(slug)}/${encodeURIComponent(name)}/versions/${n}/`),
    enabled: n !== null,
  });
}

/** Multipart dataset upload with progress (XMLHttpRequest). */
export async function uploadDataset(slug: string, name: string, form: FormData, onProgress: (f: number) => void): Promise<DatasetVersionDetail> {
  if (!readCookie('csrftoken')) await ensureCsrf();
  const token = readCookie('csrftoken') ?? '';
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${base(slug)}/${encodeURIComponent(name)}/versions/`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('X-CSRFToken', token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data: unknown = xhr.responseText;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        // keep the text for the error message
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as DatasetVersionDetail);
      else reject(ApiError.fromBody(xhr.status, data, xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload failed.'));
    xhr.send(form);
  });
}
