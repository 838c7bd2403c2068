import { Alert, Group, NumberInput, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { EmptyState } from '@/components/EmptyState';
import { LoadingState } from '@/components/LoadingState';
import type { Deployment } from '../api/deployments';
import { ensembleLabel, useModelVersions } from '../api/deployments';
import type { Combine, EnsembleCreate, EnsembleVersion } from '../api/experiments';
import { useCreateEnsemble } from '../api/experiments';
import { ChoiceField, fieldError, FormModal } from './FormModal';
import { VersionChecklist } from './VersionChecklist';

const MAX_MEMBERS = 8;

const COMBINE_HELP: Record<Combine, string> = {
  mean: 'averages the members’ probabilities (regressors: their outputs)',
  weighted: 'averages them with a weight per member',
  vote: 'takes the class most members predict',
};

/** Client-side checks, the same as the API's: 2 to 8 members, non-negative weights that are not all zero;
 * a measured value needs a metric name (the metric is sent only with a value). */
export function ensembleProblems(members: number[], combine: Combine, weights: Record<number, number | string>, metric: string, value: number | string): Record<string, string> {
  const out: Record<string, string> = {};
  if (members.length < 2) out.members = 'Pick two versions or more.';
  else if (members.length > MAX_MEMBERS) out.members = `An ensemble has at most ${MAX_MEMBERS} members.`;
  if (combine === 'weighted') {
    const ws = members.map((m) => weights[m] ?? 1);
    if (ws.some((w) => typeof w !== 'number' || w < 0)) out.weights = 'Each weight is a number of 0 or more.';
    else if (ws.every((w) => w === 0)) out.weights = 'The weights cannot all be zero.';
  }
  if (metric.trim() === '' && typeof value === 'number') out.metrics = 'Name the metric this value measures.';
  return out;
}

/** The request body: weights only for the weighted combination, one per member in the members' order. */
export function ensembleBody(members: number[], combine: Combine, weights: Record<number, number | string>, metric: string, value: number | string, description: string): EnsembleCreate {
  const body: EnsembleCreate = { members, combine, description };
  if (combine === 'weighted') body.weights = members.map((m) => Number(weights[m] ?? 1));
  if (metric.trim() !== '' && typeof value === 'number') body.metrics = { [metric.trim()]: value };
  return body;
}

/** Register an ensemble of the model's versions as its next version, to deploy, canary or bandit like any other. */
export function EnsembleModal({ deployment, onClose }: { deployment: Deployment; onClose: () => void }) {
  const d = deployment;
  const versions = useModelVersions(d.project, d.model);
  const create = useCreateEnsemble(d.project, d.model);
  const candidates = (versions.data?.results ?? []).filter((v) => v.format !== 'ensemble');
  const [members, setMembers] = useState<number[]>([]);
  const [combine, setCombine] = useState<Combine>('mean');
  const [weights, setWeights] = useState<Record<number, number | string>>({});
  const [metric, setMetric] = useState(d.quality_metric);
  const [value, setValue] = useState<number | string>('');
  const [description, setDescription] = useState('');
  const [touched, setTouched] = useState(false);
  const [created, setCreated] = useState<EnsembleVersion | null>(null);
  const problems = ensembleProblems(members, combine, weights, metric, value);
  const shown = (field: string) => (touched ? problems[field] : undefined) ?? fieldError(create.error, field);

  const submit = () => {
    setTouched(true);
    if (Object.keys(problems).length > 0) return;
    create.mutate(ensembleBody(members, combine, weights, metric, value, description), { onSuccess: setCreated });
  };

  if (created)
    return (
      <FormModal title="Ensemble registered" onClose={onClose} onSubmit={onClose} pending={false} submitLabel="Done" error={null} fields={[]}>
        <Alert color="teal" variant="light" data-testid="ensemble-created">
          Registered {d.model} v{created.number}: {ensembleLabel({ id: 0, number: created.number, format: 'ensemble', ensemble: created.ensemble })}. Deploy it, canary it or
          make it a bandit arm from this page.
        </Alert>
      </FormModal>
    );

  let body;
  if (versions.isPending) body = <LoadingState rows={2} label="Loading versions" />;
  else if (candidates.length < 2)
    body = <EmptyState title="Not enough versions to combine" description={`An ensemble needs two versions of ${d.model} that are not ensembles themselves.`} />;
  else
    body = (
      <>
        <VersionChecklist
          label="Members"
          description="Versions with the same inputs and outputs (two to eight)."
          versions={candidates}
          value={members}
          onChange={setMembers}
          notes={{ [d.live_version.number]: 'live' }}
          error={shown('members')}
        />
        <ChoiceField<Combine>
          label="Combination"
          value={combine}
          onChange={setCombine}
          data={[
            { value: 'mean', label: 'Mean' },
            { value: 'weighted', label: 'Weighted' },
            { value: 'vote', label: 'Vote' },
          ]}
          help={COMBINE_HELP[combine]}
          error={fieldError(create.error, 'combine')}
        />
        {combine === 'weighted' && members.length > 0 ? (
          <Stack gap={4}>
            <Group gap="sm">
              {members.map((m) => (
                <NumberInput key={m} label={`Weight of v${m}`} min={0} step={0.5} w={120} value={weights[m] ?? 1} onChange={(w) => setWeights({ ...weights, [m]: w })} />
              ))}
            </Group>
            {shown('weights') ? (
              <Text size="xs" c="red">
                {shown('weights')}
              </Text>
            ) : null}
          </Stack>
        ) : null}
        <Group grow align="flex-start">
          <TextInput label="Metric" name="metric" description="Optional: the quality gate reads it." value={metric} onChange={(e) => setMetric(e.currentTarget.value)} maxLength={100} />
          <NumberInput label="Measured value" name="metric_value" description="The ensemble's, on your test set." value={value} onChange={setValue} decimalScale={6} error={shown('metrics')} />
        </Group>
        <TextInput label="Description" name="description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(create.error, 'description')} maxLength={5000} />
      </>
    );

  return (
    <FormModal
      title="Register an ensemble"
      onClose={onClose}
      onSubmit={submit}
      pending={create.isPending}
      submitLabel="Register ensemble"
      submitDisabled={candidates.length < 2 || (touched && Object.keys(problems).length > 0)}
      error={create.error}
      fields={['members', 'combine', 'weights', 'metrics', 'description']}
    >
      {body}
    </FormModal>
  );
}

