import { Alert, Button, Checkbox, Group, Modal, NumberInput, Slider, Stack, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import { ApiError, errorMessage } from '@/api/errors';
import type { ActionBody, ActionKind, Deployment } from '../api/deployments';
import { useDeploymentAction } from '../api/deployments';
import { ComparisonPanel, GateResultPanel } from './GatePanel';
import { VersionSelect } from './VersionSelect';

const TITLES: Record<ActionKind, string> = {
  deploy: 'Deploy a version',
  canary: 'Canary a version',
  promote: 'Promote the canary',
  rollback: 'Roll back',
};

function describe(action: ActionKind, d: Deployment, version: number | null, weight: number): string {
  const v = version === null ? 'The chosen version' : `Version ${version}`;
  switch (action) {
    case 'deploy':
      return `${v} will take 100 % of the traffic of ${d.name} at once (v${d.live_version.number} is kept for rollback).`;
    case 'canary':
      return `${v} will receive ${weight} % of the requests of ${d.name}; v${d.live_version.number} keeps the rest.`;
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

/** Confirmation with a required reason for every change; deploy and canary pick a version from a list
 * with its metrics; deploy, canary and promote show the quality gate, promote and deploy the canary
 * against live. */
export function ActionModal({ action, deployment, onClose }: ActionModalProps) {
  const mutation = useDeploymentAction(deployment.project, deployment.name);
  const [version, setVersion] = useState<number | null>(deployment.canary_version?.number ?? null);
  const [weight, setWeight] = useState<number>(deployment.canary_weight || 10);
  const [reason, setReason] = useState('');
  const [override, setOverride] = useState(false);
  const [touched, setTouched] = useState(false);
  if (action === null) return null;

  const fields = mutation.error instanceof ApiError ? mutation.error.fields : {};
  const picksVersion = action === 'deploy' || action === 'canary';
  const missingReason = reason.trim() === '';
  const reasonError = (touched && missingReason ? 'A reason is required: it is kept in the history.' : undefined) ?? fields.reason?.[0];
  const gateVersion = action === 'promote' ? (deployment.canary_version?.number ?? null) : version;
  const ready = !missingReason && (!picksVersion || version !== null);

  const submit = () => {
    setTouched(true);
    if (!ready) return;
    const body: ActionBody = { reason };
    if (picksVersion && version !== null) body.version = version;
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
    <Modal opened onClose={onClose} title={TITLES[action]} centered size="lg">
      <Stack gap="sm">
        {picksVersion ? (
          <VersionSelect
            project={deployment.project}
            model={deployment.model}
            value={version}
            onChange={setVersion}
            notes={{ [deployment.live_version.number]: 'live', ...(deployment.canary_version ? { [deployment.canary_version.number]: 'canary' } : {}) }}
            error={fields.version?.[0]}
          />
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
        {action !== 'rollback' && gateVersion !== null ? (
          <GateResultPanel project={deployment.project} name={deployment.name} version={gateVersion} />
        ) : null}
        {action === 'canary' && gateVersion !== null ? (
          <Text size="xs" c="dimmed" data-testid="gate-enforced">
            {weight > deployment.canary_gate_weight
              ? `At ${weight} % the canary takes most of the traffic: the quality gate is enforced (above ${deployment.canary_gate_weight} %).`
              : `At ${weight} % the quality gate is shown, not enforced (it is enforced above ${deployment.canary_gate_weight} %).`}
          </Text>
        ) : null}
        {(action === 'promote' || action === 'deploy') && deployment.canary_version ? (
          <ComparisonPanel project={deployment.project} name={deployment.name} />
        ) : null}
        <Textarea
          label="Reason"
          name="reason"
          required
          placeholder="Why this change? (required; kept in the history)"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          onBlur={() => setTouched(true)}
          error={reasonError}
          autosize
          minRows={2}
        />
        {action !== 'rollback' ? (
          <Checkbox label="Override the quality gate (admins; needs a written reason)" checked={override} onChange={(e) => setOverride(e.currentTarget.checked)} />
        ) : null}
        {mutation.isError && !fields.reason && !fields.version ? (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(mutation.error)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color={action === 'rollback' ? 'red' : undefined} onClick={submit} loading={mutation.isPending} disabled={touched && !ready}>
            Confirm
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
