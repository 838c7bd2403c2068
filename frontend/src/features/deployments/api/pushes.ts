import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { components } from '@/api/schema';
import type { Narrow } from '@/api/types';
import { deploymentKeys, POLL_MS } from './deployments';
import { pollEvery } from '@/lib/polling';

type Schemas = components['schemas'];

/** The quality gate's verdict once the evaluation finished (empty before). */
export interface PushGate {
  passed?: boolean;
  metric?: string;
  value?: number | null;
  live_value?: number | null;
  threshold?: number | null;
  message?: string;
}

export type Push = Narrow<Schemas['Push'], { gate: PushGate }>;
export type PushPolicy = Schemas['PushPolicy'];

const one = (project: string, name: string) => ({ path: { project, name } });

/** The deployment's pushes from CI, newest first (polled: a rollout moves on its own). */
/** The deployment's pushes, asked for once the deployment exists (a missing one is one 404). */
export function usePushes(project: string, name: string, enabled = true) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'pushes'],
    queryFn: async () =>
      (await unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/pushes/', { params: one(project, name) })))
        .results as Push[],
    enabled,
    refetchInterval: pollEvery(POLL_MS),
  });
}

export function usePushPolicy(project: string, name: string, enabled = true) {
  return useQuery({
    queryKey: [...deploymentKeys.detail(project, name), 'push-policy'],
    queryFn: () => unwrap(api.GET('/api/v1/projects/{project}/deployments/{name}/push-policy/', { params: one(project, name) })),
    enabled,
  });
}

/** "from main, with a passing CI run, canary at 10 %" — what the policy accepts, in words. */
export function describePolicy(p: PushPolicy): string {
  if (!p.enabled) return 'Pushes are switched off for this deployment.';
  const parts = [p.default_branch_only ? `from ${p.effective_default_branch} only` : 'from any branch'];
  if (p.require_ci_pass) parts.push('with a passing CI run for the commit');
  if (p.allowed_models.length) parts.push(`models: ${p.allowed_models.join(', ')}`);
  parts.push(`canary at ${p.canary_weight} %`);
  return `Accepts pushes ${parts.join(', ')}.`;
}
