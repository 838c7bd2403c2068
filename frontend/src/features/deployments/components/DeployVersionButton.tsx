import { Alert, Button, Modal, NumberInput, SegmentedControl, Select, Slider, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconRocket } from '@tabler/icons-react';
import { useState } from 'react';
import { errorMessage } from '@/api/errors';
import { postAction, useCreateDeployment, useDeployments } from '../api/deployments';
import { useQueryClient } from '@tanstack/react-query';

interface DeployVersionButtonProps {
  project: string;
  model: string;
  version: number;
}

/** "Deploy" on a model version page: a new deployment, or a canary of an existing one with a weight slider. */
export function DeployVersionButton({ project, model, version }: DeployVersionButtonProps) {
  const [opened, { open, close }] = useDisclosure(false);
  const [mode, setMode] = useState<'new' | 'canary'>('new');
  const [name, setName] = useState(model.toLowerCase().replace(/[^a-z0-9-]+/g, '-'));
  const [target, setTarget] = useState<string | null>(null);
  const [weight, setWeight] = useState(10);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const deployments = useDeployments(opened ? project : null);
  const create = useCreateDeployment(project);
  const queryClient = useQueryClient();
  const existing = (deployments.data?.results ?? []).filter((d) => d.model === model);
  // the canary target defaults to the first deployment of this model, so Confirm never posts without one
  const canaryTarget = target ?? existing[0]?.name ?? null;
  const ready = (mode === 'new' ? name.trim() !== '' : canaryTarget !== null) && reason.trim() !== '';

  const confirm = async () => {
    setError(null);
    setBusy(true);
    try {
      if (mode === 'new') {
        await create.mutateAsync({ name, model, version, reason });
      } else {
        if (canaryTarget === null) return;
        await postAction(project, canaryTarget, 'canary', { version, weight, reason });
        await queryClient.invalidateQueries({ queryKey: ['deployments'] });
      }
      close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button leftSection={<IconRocket size={16} />} onClick={open}>
        Deploy
      </Button>
      <Modal opened={opened} onClose={close} title={`Deploy ${model} v${version}`} centered>
        <Stack gap="sm">
          <SegmentedControl
            value={mode}
            onChange={(v) => setMode(v as 'new' | 'canary')}
            data={[
              { value: 'new', label: 'New deployment' },
              { value: 'canary', label: 'Canary of an existing one', disabled: existing.length === 0 },
            ]}
          />
          {mode === 'new' ? (
            <TextInput label="Deployment name" name="name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
          ) : (
            <>
              <Select
                label="Deployment"
                data={existing.map((d) => ({ value: d.name, label: `${d.name} (live v${d.live_version.number})` }))}
                value={canaryTarget}
                onChange={setTarget}
                allowDeselect={false}
              />
              <Text size="sm">Canary weight: {weight} %</Text>
              <Slider aria-label="Canary weight" min={0} max={100} value={weight} onChange={setWeight} />
              <NumberInput aria-label="Weight percent" min={0} max={100} value={weight} onChange={(v) => setWeight(Number(v) || 0)} />
            </>
          )}
          <Textarea
            label="Reason"
            name="reason"
            required
            description="Required: kept in the deployment's history."
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
          />
          {error ? (
            <Alert color="red" role="alert">
              {errorMessage(error)}
            </Alert>
          ) : null}
          <Button onClick={confirm} loading={busy} disabled={!ready}>
            {mode === 'new' ? 'Create deployment' : `Start canary at ${weight} %`}
          </Button>
        </Stack>
      </Modal>
    </>
  );
}
