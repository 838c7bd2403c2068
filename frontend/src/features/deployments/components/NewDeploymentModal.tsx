import { Alert, Button, Group, Modal, Select, Stack, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { ApiError, errorMessage } from '@/api/errors';
import { useCreateDeployment, useProjectModels } from '../api/deployments';
import { VersionSelect } from './VersionSelect';

export function NewDeploymentModal({ project, opened, onClose }: { project: string; opened: boolean; onClose: () => void }) {
  const create = useCreateDeployment(project);
  const models = useProjectModels(project, opened);
  const [name, setName] = useState('');
  const [model, setModel] = useState<string | null>(null);
  const [version, setVersion] = useState<number | null>(null);
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const fields: Record<string, string[]> = create.error instanceof ApiError ? create.error.fields : {};
  const missingReason = reason.trim() === '';

  const submit = () => {
    setTouched(true);
    if (missingReason || model === null || version === null) return;
    create.mutate(
      { name, model, version, reason },
      {
        onSuccess: () => {
          setName('');
          setReason('');
          setTouched(false);
          onClose();
        },
      },
    );
  };

  return (
    <Modal opened={opened} onClose={onClose} title="New deployment" centered size="lg">
      <Stack gap="sm">
        <TextInput label="Name" name="name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fields.name?.[0]} />
        <Select
          label="Model"
          name="model"
          placeholder={models.isPending ? 'Loading models…' : 'Pick a model'}
          data={(models.data?.results ?? []).map((m) => m.name)}
          value={model}
          onChange={(m) => {
            setModel(m);
            setVersion(null);
          }}
          nothingFoundMessage="No models registered in this project"
          error={fields.model?.[0] ?? (touched && model === null ? 'Pick a model.' : undefined)}
          allowDeselect={false}
          searchable
        />
        <VersionSelect
          project={project}
          model={model}
          value={version}
          onChange={setVersion}
          error={fields.version?.[0] ?? (touched && model !== null && version === null ? 'Pick a version.' : undefined)}
        />
        <Textarea
          label="Reason"
          name="reason"
          required
          placeholder="Why this deployment? (required; kept in the history)"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          error={fields.reason?.[0] ?? (touched && missingReason ? 'A reason is required: it is kept in the history.' : undefined)}
        />
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
