import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { components } from '@/api/schema';
import type { Narrow } from '@/api/types';
import type { Deployment, VersionRef } from './deployments';
import { deploymentKeys } from './deployments';

type Schemas = components['schemas'];

/** POST .../bandit/: the versions to route among, the policy, epsilon (epsilon-greedy), the least share per arm. */
export type BanditStart = Schemas['BanditRequest'];
/** POST .../shadow/: the version that gets a mirrored share of the requests. */
export type ShadowStart = Schemas['ShadowRequest'];
/** POST .../models/{m}/ensembles/: the members, the combination and its weights. */
export type EnsembleCreate = Schemas['EnsembleCreateRequest'];
/** The schema's loose `ensemble` dict, narrowed to the combination, weights and member numbers. */
export type EnsembleVersion = Narrow<Schemas['EnsembleVersion'], { ensemble: NonNullable<VersionRef['ensemble']> }>;
export type BanditPolicy = Schemas['BanditPolicyEnum'];
export type Combine = Schemas['CombineEnum'];

/** What a deployment can run beside its live version, each started and stopped on its own endpoint. */
export type Experiment = 'bandit' | 'shadow';

const one = (project: string, name: string) => ({ path: { project, name } });

/** After a start or a stop: the answer is the deployment; the panels and the history refetch. */
function useDeploymentChange<T>(project: string, name: string, call: (body: T) => Promise<Deployment>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: (deployment) => {
      queryClient.setQueryData(deploymentKeys.detail(project, name), deployment);
      return queryClient.invalidateQueries({ queryKey: deploymentKeys.all });
    },
  });
}

export function useStartBandit(project: string, name: string) {
  return useDeploymentChange(project, name, async (body: BanditStart) =>
    (await unwrap(api.POST('/api/v1/projects/{project}/deployments/{name}/bandit/', { params: one(project, name), body }))) as Deployment,
  );
}

export function useStartShadow(project: string, name: string) {
  return useDeploymentChange(project, name, async (body: ShadowStart) =>
    (await unwrap(api.POST('/api/v1/projects/{project}/deployments/{name}/shadow/', { params: one(project, name), body }))) as Deployment,
  );
}

/** DELETE .../bandit/ or .../shadow/ with an optional {reason} (OpenAPI documents no body for DELETE). */
export async function stopExperiment(project: string, name: string, what: Experiment, reason: string): Promise<Deployment> {
  const init = { params: one(project, name), body: { reason } as never };
  const call =
    what === 'bandit'
      ? api.DELETE('/api/v1/projects/{project}/deployments/{name}/bandit/', init)
      : api.DELETE('/api/v1/projects/{project}/deployments/{name}/shadow/', init);
  return (await unwrap(call)) as Deployment;
}

export function useStopExperiment(project: string, name: string, what: Experiment) {
  return useDeploymentChange(project, name, (reason: string) => stopExperiment(project, name, what, reason));
}

/** Register an ensemble of versions as the model's next version (it is then deployed like any version). */
export function useCreateEnsemble(project: string, model: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: EnsembleCreate) =>
      (await unwrap(
        api.POST('/api/v1/projects/{project}/models/{model}/ensembles/', { params: { path: { project, model } }, body }),
      )) as EnsembleVersion,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['registry', 'versions', project, model] }),
  });
}
