import { useQuery } from '@tanstack/react-query';
import { api, unwrap, uploadWithProgress } from '@/api/client';
import type { Page } from '@/api/pagination';
import type { components } from '@/api/schema';
import type { Narrow, Sent } from '@/api/types';

type Schemas = components['schemas'];

/** One column of the `schema` JSON field of a dataset version (the schema publishes it as unknown). */
export interface FeatureSchema {
  name: string;
  role: 'feature' | 'label';
  dtype: 'numeric' | 'integer' | 'categorical' | 'boolean' | 'string';
  min?: number | null;
  max?: number | null;
  categories?: string[];
  null_rate: number;
}

/** One column of the `stats` JSON field of a dataset version (the schema publishes it as unknown). */
export interface FeatureStats {
  count: number;
  null_rate: number;
  mean?: number | null;
  std?: number | null;
  histogram?: { edges: number[]; counts: number[] };
  top?: [string, number][];
}

/** `slices` is a JSON list of named row filters. */
export type DatasetVersion = Narrow<Sent<Schemas['DatasetVersion']>, { slices: { name: string; filter: string; rows?: number }[] }>;
export type DatasetVersionDetail = Narrow<
  Sent<Schemas['DatasetVersionDetail']>,
  {
    slices: DatasetVersion['slices'];
    schema: { features: FeatureSchema[]; label: string | null; n_features: number };
    stats: Record<string, FeatureStats>;
  }
>;
export type Dataset = Narrow<Sent<Schemas['Dataset']>, { latest_version: DatasetVersion | null }>;

export function useDatasets(slug: string) {
  return useQuery({
    queryKey: ['datasets', slug],
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/datasets/', { params: { path: { project: slug } } }))) as Page<Dataset>,
  });
}

export function useDatasetVersions(slug: string, name: string) {
  return useQuery({
    queryKey: ['datasets', slug, name, 'versions'],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/datasets/{name}/versions/', {
          params: { path: { project: slug, name }, query: { page_size: 200 } },
        }),
      )) as Page<DatasetVersion>,
  });
}

export function useDatasetVersion(slug: string, name: string, n: number | null) {
  return useQuery({
    queryKey: ['datasets', slug, name, 'version', n],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/datasets/{name}/versions/{number}/', {
          params: { path: { project: slug, name, number: n ?? 0 } },
        }),
      )) as DatasetVersionDetail,
    enabled: n !== null,
  });
}

/** Multipart dataset upload with progress. */
export async function uploadDataset(
  slug: string,
  name: string,
  form: FormData,
  onProgress: (f: number) => void,
): Promise<DatasetVersionDetail> {
  return (await uploadWithProgress(
    '/api/v1/projects/{project}/datasets/{name}/versions/',
    { project: slug, name },
    form,
    onProgress,
  )) as DatasetVersionDetail;
}
