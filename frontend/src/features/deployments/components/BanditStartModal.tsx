import { Alert, Code, NumberInput, Text } from '@mantine/core';
import { useState } from 'react';
import { EmptyState } from '@/components/EmptyState';
import { LoadingState } from '@/components/LoadingState';
import type { Deployment } from '../api/deployments';
import { useModelVersions } from '../api/deployments';
import type { BanditPolicy } from '../api/experiments';
import { useStartBandit } from '../api/experiments';
import { ChoiceField, fieldError, FormModal, ReasonInput } from './FormModal';
import { VersionChecklist } from './VersionChecklist';

const MAX_ARMS = 8;

/** Client-side checks, the same as the API's: 2 to 8 arms, epsilon in [0, 1], a least share every arm can get. */
export function banditProblems(arms: number[], epsilon: number | string, minShare: number | string): Record<string, string> {
  const out: Record<string, string> = {};
  if (arms.length < 2) out.versions = 'Pick two versions or more to choose between.';
  else if (arms.length > MAX_ARMS) out.versions = `A bandit routes among at most ${MAX_ARMS} versions.`;
  if (typeof epsilon !== 'number' || epsilon < 0 || epsilon > 1) out.epsilon = 'Must be between 0 and 1.';
  const most = arms.length > 0 ? Math.min(0.5, 1 / arms.length) : 0.5;
  if (typeof minShare !== 'number' || minShare < 0 || minShare > most) out.min_share = `Must be between 0 and ${Number(most.toFixed(4))}.`;
  return out;
}

/** Start a multi-armed bandit over chosen versions of the deployment's model; its reward is user feedback. */
export function BanditStartModal({ deployment, onClose }: { deployment: Deployment; onClose: () => void }) {
  const d = deployment;
  const versions = useModelVersions(d.project, d.model);
  const start = useStartBandit(d.project, d.name);
  const [arms, setArms] = useState<number[]>(d.bandit_arms.length > 0 ? d.bandit_arms : [d.live_version.number]);
  const [policy, setPolicy] = useState<BanditPolicy>(d.bandit_policy === 'epsilon_greedy' ? 'epsilon_greedy' : 'thompson');
  const [epsilon, setEpsilon] = useState<number | string>(0.1);
  const [minShare, setMinShare] = useState<number | string>(0.02);
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);

  const rows = versions.data?.results ?? [];
  const canaryRuns = d.canary_version !== null && d.canary_weight > 0;
  const problems = banditProblems(arms, epsilon, minShare);
  const shown = (field: string) => (touched ? problems[field] : undefined) ?? fieldError(start.error, field);
  const enoughVersions = rows.length >= 2;

  const submit = () => {
    setTouched(true);
    if (Object.keys(problems).length > 0) return;
    start.mutate(
      { versions: arms, policy, epsilon: Number(epsilon), min_share: Number(minShare), reason },
      { onSuccess: () => onClose() },
    );
  };

  let body;
  if (versions.isPending) body = <LoadingState rows={2} label="Loading versions" />;
  else if (!enoughVersions)
    body = (
      <EmptyState
        title="No other version to route to"
        description={`${d.model} has ${rows.length === 1 ? 'one version' : 'no versions'}: register another version to let a bandit choose between them.`}
      />
    );
  else
    body = (
      <>
        {canaryRuns ? (
          <Alert color="orange" variant="light" data-testid="bandit-canary-blocks">
            Canary v{d.canary_version?.number} takes {d.canary_weight} % of the traffic: promote it or roll it back before starting a bandit.
          </Alert>
        ) : null}
        <VersionChecklist
          label="Arms"
          description="The versions the bandit routes among (two to eight)."
          versions={rows}
          value={arms}
          onChange={setArms}
          notes={{ [d.live_version.number]: 'live' }}
          error={shown('versions')}
        />
        <ChoiceField<BanditPolicy>
          label="Policy"
          value={policy}
          onChange={setPolicy}
          data={[
            { value: 'thompson', label: 'Thompson sampling' },
            { value: 'epsilon_greedy', label: 'Epsilon-greedy' },
          ]}
          error={fieldError(start.error, 'policy')}
        />
        {policy === 'epsilon_greedy' ? (
          <NumberInput
            label="Epsilon"
            name="epsilon"
            description="The share of requests sent to a random arm; the rest go to the best arm so far."
            min={0}
            max={1}
            step={0.05}
            decimalScale={4}
            value={epsilon}
            onChange={setEpsilon}
            error={shown('epsilon')}
          />
        ) : null}
        <NumberInput
          label="Least share per arm"
          name="min_share"
          description="Every arm keeps at least this share of the requests (0 to 0.5, and at most 1 / the number of arms)."
          min={0}
          max={0.5}
          step={0.01}
          decimalScale={4}
          value={minShare}
          onChange={setMinShare}
          error={shown('min_share')}
        />
        <Text size="sm" data-testid="bandit-reward">
          Reward: user feedback on each answer (<Code>POST /serve/{d.project}/{d.name}/feedback</Code>): a correct answer is 1, a wrong one 0.
          {d.log_sample_rate < 1
            ? ` Feedback needs the request in the prediction log: the log keeps ${Math.round(d.log_sample_rate * 100)} % of requests, so raise log_sample_rate to 1.`
            : ''}
        </Text>
        <ReasonInput value={reason} onChange={setReason} error={fieldError(start.error, 'reason')} />
      </>
    );

  return (
    <FormModal
      title={d.bandit_arms.length > 0 ? 'Restart the bandit' : 'Start a bandit'}
      onClose={onClose}
      onSubmit={submit}
      pending={start.isPending}
      submitLabel="Start bandit"
      submitDisabled={!enoughVersions || canaryRuns || (touched && Object.keys(problems).length > 0)}
      error={start.error}
      fields={['versions', 'policy', 'epsilon', 'min_share', 'reason']}
    >
      {body}
    </FormModal>
  );
}
