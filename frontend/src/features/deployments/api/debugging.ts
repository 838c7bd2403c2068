import { useMutation, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { ReplayReport } from '@/api/explain';
import type { components } from '@/api/schema';

export type LoggedPrediction = components['schemas']['LoggedPrediction'];

export function usePredictions(project: string, name: string, limit = 50) {
  return useQuery({
    queryKey: ['deployments', 'predictions', project, name, limit],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/projects/{project}/deployments/{name}/predictions/', {
          params: { path: { project, name }, query: { limit } },
        }),
      ),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Replay logged requests on a version; waits for the worker's job (polling it after the first 202). */
export function useReplay(project: string, name: string) {
  return useMutation({
    mutationFn: async (body: { request_ids: string[]; version: number }): Promise<ReplayReport> => {
      const first = await unwrap(
        api.POST('/api/v1/projects/{project}/deployments/{name}/replay/', { params: { path: { project, name } }, body }),
      );
      if (first.replay) return first.replay as ReplayReport;
      for (;;) {
        await sleep(1000);
        const job = await unwrap(api.GET('/api/v1/jobs/{id}/', { params: { path: { id: first.job } } }));
        if (job.status === 'succeeded' && job.result && 'rows' in job.result) return job.result as ReplayReport;
        if (job.status === 'failed' || job.status === 'cancelled') throw new Error(job.message || `replay ${job.status}`);
      }
    },
  });
}

/** The version numbers of the deployed model (what a replay may run on), newest first. */
export function useVersionNumbers(project: string, model: string) {
  return useQuery({
    queryKey: ['deployments', 'model-versions', project, model],
    enabled: model !== '',
    queryFn: async () => {
      const page = await unwrap(
        api.GET('/api/v1/projects/{project}/models/{model}/versions/', {
          params: { path: { project, model }, query: { page_size: 200 } },
        }),
      );
      return page.results.map((v) => ({ number: v.number, format: v.format }));
    },
  });
}
