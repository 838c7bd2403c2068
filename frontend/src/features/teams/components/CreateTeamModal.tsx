import { Alert, Button, Group, Modal, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { ApiError, errorMessage } from '@/api/errors';
import { isValidSlug, slugify } from '@/lib/slug';
import { useCreateTeam, type Team } from '../api/teams';

interface CreateTeamModalProps {
  opened: boolean;
  onClose: () => void;
  onCreated: (team: Team) => void;
}

export function CreateTeamModal({ opened, onClose, onCreated }: CreateTeamModalProps) {
  const createTeam = useCreateTeam();
  const [slugEdited, setSlugEdited] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: '', slug: '' },
    validate: {
      name: (value: string) => (value.trim() ? null : 'Name is required.'),
      slug: (value: string) => (isValidSlug(value) ? null : 'Use lowercase letters, digits and dashes.'),
    },
  });

  const handleSubmit = form.onSubmit(async (values) => {
    setFormError(null);
    try {
      const team = await createTeam.mutateAsync({ name: values.name.trim(), slug: values.slug });
      form.reset();
      setSlugEdited(false);
      onCreated(team);
      onClose();
    } catch (error) {
      if (error instanceof ApiError && (error.fields.name || error.fields.slug)) {
        form.setErrors({ name: error.fieldError('name'), slug: error.fieldError('slug') });
      } else {
        setFormError(errorMessage(error));
      }
    }
  });

  return (
    <Modal opened={opened} onClose={onClose} title="New team">
      <form onSubmit={handleSubmit} noValidate>
        <Stack gap="md">
          {formError ? (
            <Alert color="red" variant="light" role="alert">
              {formError}
            </Alert>
          ) : null}
          <TextInput
            {...form.getInputProps('name')}
            onChange={(event) => {
              const name = event.currentTarget.value;
              form.setFieldValue('name', name);
              if (!slugEdited) form.setFieldValue('slug', slugify(name));
            }}
            name="name"
            label="Team name"
            data-autofocus
          />
          <TextInput
            {...form.getInputProps('slug')}
            onChange={(event) => {
              setSlugEdited(true);
              form.setFieldValue('slug', event.currentTarget.value);
            }}
            name="slug"
            label="Team slug"
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={createTeam.isPending}>
              Create team
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
