import { Alert, Button, Group, Modal, NumberInput, Stack, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { ApiError, errorMessage } from '@/api/errors';
import { useCreateDeployment } from '../api/deployments';

export function NewDeploymentModal({ project, opened, onClose }: { project: string; opened: boolean; onClose: () => void }) {
  const create = useCreateDeployment(project);
  const [name, setName] = useState('');
  const [model, setModel] = useState('');
  const [version, setVersion] = useState<number | string>(1);
  const [reason, setReason] = useState('');
  const fields: Record<string, string[]> = create.error instanceof ApiError ? create.error.fields : {};

  const submit = () =>
    create.mutate(
      { name, model, version: Number(version), reason },
      {
        onSuccess: () => {
          setName('');
          setReason('');
          onClose();
        },
      },
    );

  return (
    <Modal opened={opened} onClose={onClose} title="New deployment" centered>
      <Stack gap="sm">
        <TextInput label="Name" name="name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fields.name?.[0]} />
        <TextInput label="Model" name="model" value={model} onChange={(e) => setModel(e.currentTarget.value)} error={fields.model?.[0]} />
        <NumberInput label="Version" name="version" min={1} value={version} onChange={setVersion} error={fields.version?.[0]} />
        <Textarea label="Reason" name="reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
        {create.isError && Object.keys(fields).length === 0 ? (
          <Alert color="red" role="alert">
            {errorMessage(create.error)}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={submit} loading={create.isPending}>
            Confirm
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
