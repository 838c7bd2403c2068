import { Alert, Button, Group, Modal, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { useId, type FormEvent, type ReactNode } from 'react';
import { ApiError, errorMessage } from '@/api/errors';

/** The first message the API gave for `field` or one of its items (`versions.0`, `metrics.accuracy`). */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const name = Object.keys(error.fields).find((k) => k === field || k.startsWith(`${field}.`));
  return name === undefined ? undefined : error.fields[name]?.[0];
}

interface FormModalProps {
  title: string;
  onClose: () => void;
  onSubmit: () => void;
  /** the request is on its way: the submit button spins and cannot be pressed again */
  pending: boolean;
  submitLabel: string;
  /** client-side checks failed or a precondition is missing */
  submitDisabled?: boolean;
  submitColor?: string;
  /** the last request's error: shown at its field by the caller, here when it names none of `fields` */
  error: unknown;
  fields: string[];
  children: ReactNode;
}

/** A modal form: Enter submits, Esc and Cancel close, the API's message appears when it names no field shown. */
export function FormModal({ title, onClose, onSubmit, pending, submitLabel, submitDisabled = false, submitColor, error, fields, children }: FormModalProps) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!pending && !submitDisabled) onSubmit();
  };
  const shownAtField = fields.some((f) => fieldError(error, f) !== undefined);
  return (
    <Modal opened onClose={onClose} title={title} centered size="lg">
      <form onSubmit={submit} noValidate aria-label={title}>
        <Stack gap="sm">
          {children}
          {error && !shownAtField ? (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(error)}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" color={submitColor} loading={pending} disabled={submitDisabled}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** The optional reason, kept in the deployment's history (a one-line input, so Enter submits). */
export function ReasonInput({ value, onChange, error }: { value: string; onChange: (v: string) => void; error?: string }) {
  return (
    <TextInput
      label="Reason"
      name="reason"
      description="Optional: kept in the deployment's history."
      placeholder="Why this change?"
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      error={error}
      maxLength={2000}
    />
  );
}

interface ChoiceFieldProps<T extends string> {
  label: string;
  value: T;
  onChange: (value: T) => void;
  data: { value: T; label: string }[];
  /** a line under the choice (what the chosen option does) */
  help?: string;
  error?: string;
}

/** One of a few options as a labelled segmented control (arrow keys move between them). */
export function ChoiceField<T extends string>({ label, value, onChange, data, help, error }: ChoiceFieldProps<T>) {
  const id = useId();
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500} id={id}>
        {label}
      </Text>
      <SegmentedControl aria-labelledby={id} value={value} onChange={(v) => onChange(v as T)} data={data} />
      {help ? (
        <Text size="xs" c="dimmed">
          {help}
        </Text>
      ) : null}
      {error ? (
        <Text size="xs" c="red">
          {error}
        </Text>
      ) : null}
    </Stack>
  );
}
