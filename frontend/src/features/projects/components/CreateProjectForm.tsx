import { Alert, Button, Group, Stack, TextInput, Textarea } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import { ApiError, errorMessage } from '@/api/errors';
import { SLUG_MAX_LENGTH, isValidSlug, slugify } from '@/lib/slug';
import type { Project } from '@/api/projects';
import { useCreateProject } from '../api/projects';

interface CreateProjectFormProps {
  team: string;
  onCreated?: (project: Project) => void;
  onCancel?: () => void;
}

interface FormValues {
  name: string;
  slug: string;
  description: string;
}

const FORM_FIELDS: ReadonlyArray<keyof FormValues> = ['name', 'slug', 'description'];

export function CreateProjectForm({ team, onCreated, onCancel }: CreateProjectFormProps) {
  const createProject = useCreateProject();
  const [slugEdited, setSlugEdited] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  const form = useForm<FormValues>({
    mode: 'controlled',
    initialValues: { name: '', slug: '', description: '' },
    validate: {
      name: (value) => (value.trim() ? null : 'Name is required.'),
      slug: (value) => {
        if (!value) return 'Slug is required.';
        if (!isValidSlug(value))
          return `Use lowercase letters, digits and dashes (at most ${SLUG_MAX_LENGTH}), starting and ending with a letter or digit.`;
        return null;
      },
    },
  });

  const handleSubmit = form.onSubmit(async (values) => {
    setFormError(null);
    try {
      const project = await createProject.mutateAsync({
        name: values.name.trim(),
        slug: values.slug,
        description: values.description.trim(),
        team,
      });
      form.reset();
      setSlugEdited(false);
      onCreated?.(project);
    } catch (error) {
      if (error instanceof ApiError) {
        const inline: Partial<Record<keyof FormValues, string>> = {};
        const other: string[] = [];
        for (const [field, messages] of Object.entries(error.fields)) {
          if ((FORM_FIELDS as readonly string[]).includes(field)) {
            inline[field as keyof FormValues] = messages.join(' ');
          } else {
            other.push(...messages);
          }
        }
        form.setErrors(inline);
        if (other.length > 0 || Object.keys(inline).length === 0) {
          setFormError(other.length > 0 ? other.join(' ') : error.message);
        }
      } else {
        setFormError(errorMessage(error));
      }
    }
  });

  const nameProps = form.getInputProps('name');
  const slugProps = form.getInputProps('slug');

  return (
    <form onSubmit={handleSubmit} noValidate aria-label="Create project">
      <Stack gap="md">
        {formError ? (
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} role="alert">
            {formError}
          </Alert>
        ) : null}
        <TextInput
          {...nameProps}
          onChange={(event) => {
            const name = event.currentTarget.value;
            form.setFieldValue('name', name);
            if (!slugEdited) {
              form.setFieldValue('slug', slugify(name));
              form.clearFieldError('slug');
            }
          }}
          name="name"
          label="Name"
          placeholder="Fraud detector"
          data-autofocus
          autoComplete="off"
        />
        <TextInput
          {...slugProps}
          onChange={(event) => {
            setSlugEdited(true);
            form.setFieldValue('slug', event.currentTarget.value);
          }}
          name="slug"
          label="Slug"
          description="Used in URLs and the API. Filled in from the name; you can change it."
          placeholder="fraud-detector"
          maxLength={SLUG_MAX_LENGTH}
          autoComplete="off"
          spellCheck={false}
        />
        <Textarea
          {...form.getInputProps('description')}
          name="description"
          label="Description"
          placeholder="What does this model do, and for whom?"
          autosize
          minRows={3}
          maxRows={8}
        />
        <Group justify="flex-end" gap="sm">
          {onCancel ? (
            <Button variant="default" onClick={onCancel} disabled={createProject.isPending}>
              Cancel
            </Button>
          ) : null}
          <Button type="submit" loading={createProject.isPending}>
            Create project
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
