import { Text } from '@mantine/core';
import { useState } from 'react';
import type { Deployment } from '../api/deployments';
import type { Experiment } from '../api/experiments';
import { useStopExperiment } from '../api/experiments';
import { fieldError, FormModal, ReasonInput } from './FormModal';

/** Stop the bandit (back to the fixed live/canary split) or the shadow (no more mirrored requests). */
export function StopExperimentModal({ deployment, what, onClose }: { deployment: Deployment; what: Experiment; onClose: () => void }) {
  const d = deployment;
  const stop = useStopExperiment(d.project, d.name, what);
  const [reason, setReason] = useState('');
  const effect =
    what === 'bandit'
      ? `The bandit over ${d.bandit_arms.map((v) => `v${v}`).join(', ')} stops: every request goes to live v${d.live_version.number}${d.canary_version ? ` and canary v${d.canary_version.number}` : ''} again (the start and the stop stay in the history).`
      : `v${d.shadow_version?.number ?? '?'} stops receiving mirrored requests; the comparisons already logged are kept.`;
  return (
    <FormModal
      title={what === 'bandit' ? 'Stop the bandit' : 'Stop the shadow'}
      onClose={onClose}
      onSubmit={() => stop.mutate(reason, { onSuccess: () => onClose() })}
      pending={stop.isPending}
      submitLabel={what === 'bandit' ? 'Stop bandit' : 'Stop shadow'}
      submitColor="red"
      error={stop.error}
      fields={['reason']}
    >
      <Text size="sm">{effect}</Text>
      <ReasonInput value={reason} onChange={setReason} error={fieldError(stop.error, 'reason')} />
    </FormModal>
  );
}
