import { Alert, Button, Checkbox, Group, Modal, NumberInput, Slider, Stack, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import { errorMessage } from '@/api/errors';
import type { ActionBody, ActionKind, Deployment } from '../api/deployments';
import { useDeploymentAction } from '../api/deployments';

const TITLES: Record<ActionKind, string> = {
  deploy: 'Deploy a version',
  canary: 'Canary a version',
  promote: 'Promote the canary',
  rollback: 'Roll back',
};

function describe(action: ActionKind, d: Deployment, version: number | string, weight: number): string {
  switch (action) {
    case 'deploy':
      return `Version ${version} will take 100 % of the traffic of ${d.name} at once (v${d.live_version.number} is kept for rollback).`;
    case 'canary':
      return `Version ${version} will receive ${weight} % of the requests of ${d.name}; v${d.live_version.number} keeps the rest.`;
    case 'promote':
      return `Canary v${d.canary_version?.number ?? '?'} becomes the live version of ${d.name} (100 % of the traffic).`;
    case 'rollback':
      return d.canary_version && d.canary_weight > 0
        ? `All traffic goes back to v${d.live_version.number}; the canary v${d.canary_version.number} gets 0 %.`
        : `The previous live version becomes live again, effective for new requests within a second.`;
  }
}

interface ActionModalProps {
  action: ActionKind | null;
  deployment: Deployment;
  onClose: () => void;
}

/** Confirmation with a reason for every change; deploy and canary also pick a version (and a weight). */
export function ActionModal({ action, deployment, onClose }: ActionModalProps) {
  const mutation = useDeploymentAction(deployment.project, deployment.name);
  const [version, setVersion] = useState<number | string>(deployment.canary_version?.number ?? deployment.live_version.number + 1);
  const [weight, setWeight] = useState<number>(deployment.canary_weight || 10);
  const [reason, setReason] = useState('');
  const [override, setOverride] = useState(false);
  if (action === null) return null;

  const submit = () => {
    const body: ActionBody = { reason };
    if (action === 'deploy' || action === 'canary') body.version = Number(version);
    if (action === 'canary') body.weight = weight;
    if (action !== 'rollback' && override) body.override_gate = true;
    mutation.mutate(
      { action, body },
      {
        onSuccess: () => {
          setReason('');
          onClose();
        },
      },
    );
  };

  return (
    <Modal opened onClose={onClose} title={TITLES[action]} centered>
      <Stack gap="sm">
        {action === 'deploy' || action === 'canary' ? (
          <NumberInput label="Version" name="version" min={1} value={version} onChange={setVersion} />
        ) : null}
        {action === 'canary' ? (
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              Canary weight: {weight} %
            </Text>
            <Slider
              aria-label="Canary weight"
              min={0}
              max={100}
              step={1}
              value={weight}
              onChange={setWeight}
              marks={[{ value: 0 }, { value: 25 }, { value: 50 }, { value: 75 }, { value: 100 }]}
            />
            <NumberInput aria-label="Weight percent" name="weight" min={0} max={100} value={weight} onChange={(v) => setWeight(Number(v) || 0)} />
          </Stack>
        ) : null}
        <Text size="sm">{describe(action, deployment, version, weight)}</Text>
        <Textarea label="Reason" name="reason" placeholder="Why this change? (kept in the history)" value={reason} onChange={(e) => setReason(e.currentTarget.value)} autosize minRows={2} />
        {action !== 'rollback' ? (
          <Checkbox label="Override the quality gate (admins; needs a written reason)" checked={override} onChange={(e) => setOverride(e.currentTarget.checked)} />
        ) : null}
        {mutation.isError ? (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(mutation.error)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color={action === 'rollback' ? 'red' : undefined} onClick={submit} loading={mutation.isPending}>
            Confirm
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
