import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
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
  /** the values of a personal-data column are not kept (PII scan, rubric data-5) */
  redacted?: boolean;
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

/** One violation of the project's feature policy (rubric data-4). */
export interface PolicyViolation {
  rule: string;
  feature: string;
  message: string;
}

/** `policy_check` of a dataset or model version: empty while the project has no policy. */
export interface PolicyCheck {
  mode?: 'block' | 'warn';
  checked_at?: string;
  features?: number;
  passed?: boolean;
  violations?: PolicyViolation[];
}

/** `pii_scan` of a dataset version (rubric data-5): counts and column names, never values. */
export interface PiiScan {
  status: 'pending' | 'done' | 'failed';
  message?: string;
  scanned_at?: string;
  rows?: number;
  sampled_rows?: number;
  columns_scanned?: number;
  findings?: { column: string; kinds: Record<string, number>; by: string; declared: boolean }[];
  undeclared?: string[];
  sensitive_columns?: string[];
  access?: { min_role: string; audited: boolean; restricted: boolean };
  detectors?: Record<string, string>;
  passed?: boolean;
}

export type FeatureMeta = Record<string, { owner?: string; source?: string; sensitive?: boolean }>;

export type DatasetVersionGoverned = Narrow<
  DatasetVersionDetail,
  { feature_meta: FeatureMeta; policy_check: PolicyCheck; pii_scan: PiiScan }
>;

export type FeaturePolicy = Sent<Schemas['FeaturePolicy']>;
export type FeaturePolicyRequest = Schemas['FeaturePolicyWriteRequest'];
export type DatasetDownload = Sent<Schemas['DatasetDownload']>;

export function useFeaturePolicy(slug: string) {
  return useQuery({
    queryKey: ['feature-policy', slug],
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/feature-policy/', { params: { path: { project: slug } } }))) as FeaturePolicy,
  });
}

export function useSaveFeaturePolicy(slug: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (body: FeaturePolicyRequest) =>
      (await unwrap(
        api.PUT('/api/v1/projects/{project}/feature-policy/', { params: { path: { project: slug } }, body }),
      )) as FeaturePolicy,
    onSuccess: (saved) => {
      client.setQueryData(['feature-policy', slug], saved);
      void client.invalidateQueries({ queryKey: ['datasets', slug] });
    },
  });
}

/** The access audit of a dataset (admins only: others get a 403). */
export function useDatasetDownloads(slug: string, name: string) {
  return useQuery({
    queryKey: ['datasets', slug, name, 'downloads'],
    queryFn: async () =>
      (await unwrap(
        api.GET('/api/v1/projects/{project}/datasets/{name}/downloads/', {
          params: { path: { project: slug, name }, query: { page_size: 50 } },
        }),
      )) as Page<DatasetDownload>,
    retry: false,
  });
}
