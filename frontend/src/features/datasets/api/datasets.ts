import { useQuery } from '@tanstack/react-query';
import { apiFetch, uploadWithProgress } from '@/api/client';

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

const base = (slug: string) => `/api/v1/projects/${encodeURIComponent(slug)}/datasets`;

export function useDatasets(slug: string) {
  return useQuery({ queryKey: ['datasets', slug], queryFn: () => apiFetch<Page<Dataset>>(`${base(slug)}/`) });
}

export function useDatasetVersions(slug: string, name: string) {
  return useQuery({
    queryKey: ['datasets', slug, name, 'versions'],
    queryFn: () => apiFetch<Page<DatasetVersion>>(`${base(slug)}/${encodeURIComponent(name)}/versions/?page_size=200`),
  });
}

export function useDatasetVersion(slug: string, name: string, n: number | null) {
  return useQuery({
    queryKey: ['datasets', slug, name, 'version', n],
    queryFn: () => apiFetch<DatasetVersionDetail>(`${base(slug)}/${encodeURIComponent(name)}/versions/${n}/`),
    enabled: n !== null,
  });
}

/** Multipart dataset upload with progress. */
export function uploadDataset(slug: string, name: string, form: FormData, onProgress: (f: number) => void): Promise<DatasetVersionDetail> {
  return uploadWithProgress<DatasetVersionDetail>(`${base(slug)}/${encodeURIComponent(name)}/versions/`, form, onProgress);
}
