import { Alert, Button, Checkbox, Fieldset, Group, NumberInput, Select, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { ApiError, errorMessage } from '@/api/errors';
import type { Deployment, DeploymentSettings } from '../api/deployments';
import { useUpdateDeployment } from '../api/deployments';
import type { Role } from '../api/role';
import { deniedReason } from '../api/role';
import { ApiKeysPanel } from './ApiKeysPanel';

type Key = keyof DeploymentSettings;

interface NumberSpec {
  key: Key;
  label: string;
  min?: number;
  max?: number;
  step?: number;
  description?: string;
}

const BATCHING: NumberSpec[] = [
  { key: 'max_batch_size', label: 'Max batch size (rows)', min: 1, max: 4096 },
  { key: 'max_delay_ms', label: 'Max batching delay (ms)', min: 0, max: 1000, step: 0.5 },
  { key: 'request_timeout_ms', label: 'Request timeout (ms)', min: 50, max: 120000 },
  { key: 'log_sample_rate', label: 'Prediction log sample rate (0–1)', min: 0, max: 1, step: 0.05 },
];

const GATE: NumberSpec[] = [
  { key: 'quality_threshold', label: 'Threshold', description: 'empty: no threshold', step: 0.01 },
  { key: 'quality_tolerance', label: 'Tolerance vs live', min: 0, step: 0.005 },
];

const CANARY: NumberSpec[] = [
  { key: 'canary_interval_s', label: 'Analysis interval (s)', min: 10, max: 86400 },
  { key: 'canary_breach_intervals', label: 'Breaching intervals before rollback', min: 1, max: 100 },
  { key: 'canary_window_intervals', label: 'Passing intervals before auto-promote', min: 1, max: 1000 },
  { key: 'canary_max_error_rate_delta', label: 'Max error-rate increase (0–1)', min: 0, max: 1, step: 0.01 },
  { key: 'canary_max_p99_ratio', label: 'Max p99 latency ratio', min: 1, max: 100, step: 0.1 },
  { key: 'canary_max_quality_drop', label: 'Max quality drop (0–1)', min: 0, max: 1, step: 0.01 },
  { key: 'canary_min_requests', label: 'Min canary requests', min: 0 },
];

const GATE_KEYS: Key[] = ['quality_metric', 'quality_threshold', 'quality_tolerance', 'quality_lower_is_better'];

/** The deployment's settings: batching, timeouts, validation policy, quality gate, canary analysis and
 * API keys. Controls a role may not use are disabled with the reason shown. */
export function SettingsPanel({ deployment, role }: { deployment: Deployment; role: Role | null }) {
  const update = useUpdateDeployment(deployment.project, deployment.name);
  const [values, setValues] = useState<DeploymentSettings>({});
  const [reason, setReason] = useState('');
  const [saved, setSaved] = useState(false);
  const current = deployment as unknown as Record<Key, unknown>;
  const merged = { ...current, ...values } as Record<Key, unknown>;
  const fields = update.error instanceof ApiError ? update.error.fields : {};
  const maintainerDenied = deniedReason(role, 'maintainer', 'change deployment settings');
  const adminDenied = deniedReason(role, 'admin', 'change the quality gate');
  const changed = (Object.keys(values) as Key[]).filter((k) => values[k] !== current[k]);
  const gateChanged = changed.some((k) => GATE_KEYS.includes(k));

  const set = (key: Key, value: unknown) => {
    setSaved(false);
    setValues((v) => ({ ...v, [key]: value }));
  };

  const numberInput = (spec: NumberSpec) => (
    <NumberInput
      key={spec.key}
      label={spec.label}
      description={spec.description}
      min={spec.min}
      max={spec.max}
      step={spec.step ?? 1}
      decimalScale={spec.step && spec.step < 1 ? 4 : 0}
      value={(merged[spec.key] as number | null) ?? ''}
      onChange={(v) => set(spec.key, v === '' ? null : Number(v))}
      error={fields[spec.key]?.[0]}
    />
  );

  const save = () => {
    const body = Object.fromEntries(changed.map((k) => [k, values[k]])) as DeploymentSettings;
    update.mutate(
      { ...body, reason },
      {
        onSuccess: () => {
          setValues({});
          setReason('');
          setSaved(true);
        },
      },
    );
  };

  return (
    <Stack gap="md">
      {maintainerDenied ? (
        <Alert color="gray" variant="light" data-testid="settings-denied">
          {maintainerDenied} The settings are shown read-only.
        </Alert>
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Fieldset legend="Batching, timeouts and inputs" disabled={!!maintainerDenied}>
          <Stack gap="xs">
            {BATCHING.map(numberInput)}
            <Select
              label="Validation policy"
              data={[
                { value: 'reject', label: 'Reject invalid inputs (400 naming the feature)' },
                { value: 'accept', label: 'Accept invalid inputs and count the violations' },
              ]}
              value={merged.validation_policy as string}
              onChange={(v) => v && set('validation_policy', v)}
              allowDeselect={false}
              error={fields.validation_policy?.[0]}
            />
          </Stack>
        </Fieldset>
        <Fieldset legend="Quality gate" disabled={!!(maintainerDenied ?? adminDenied)}>
          <Stack gap="xs">
            {adminDenied && !maintainerDenied ? (
              <Text size="sm" c="dimmed" data-testid="gate-denied">
                {adminDenied}
              </Text>
            ) : null}
            <TextInput
              label="Metric"
              value={merged.quality_metric as string}
              onChange={(e) => set('quality_metric', e.currentTarget.value)}
              error={fields.quality_metric?.[0]}
            />
            {GATE.map(numberInput)}
            <Checkbox
              label="Lower is better (an error metric)"
              checked={!!merged.quality_lower_is_better}
              onChange={(e) => set('quality_lower_is_better', e.currentTarget.checked)}
            />
          </Stack>
        </Fieldset>
        <Fieldset legend="Canary analysis" disabled={!!maintainerDenied}>
          <Stack gap="xs">
            {CANARY.map(numberInput)}
            <Checkbox
              label="Promote automatically after a passing window"
              checked={!!merged.canary_auto_promote}
              onChange={(e) => set('canary_auto_promote', e.currentTarget.checked)}
            />
          </Stack>
        </Fieldset>
        <Fieldset legend="API keys" disabled={!!maintainerDenied}>
          {maintainerDenied ? <Text size="sm" c="dimmed">{maintainerDenied.replace('change deployment settings', 'see or create API keys')}</Text> : <ApiKeysPanel deployment={deployment} />}
        </Fieldset>
      </SimpleGrid>
      {maintainerDenied ? null : (
        <Group align="flex-end">
          <Textarea
            label="Reason"
            description={gateChanged ? 'Required for a quality-gate change (at least 10 characters); kept in the history.' : 'Kept in the history.'}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={fields.reason?.[0]}
            style={{ flex: 1 }}
            autosize
          />
          <Button onClick={save} disabled={changed.length === 0 || (gateChanged && reason.trim().length < 10)} loading={update.isPending}>
            Save settings
          </Button>
        </Group>
      )}
      {update.isError && Object.keys(fields).length === 0 ? (
        <Alert color="red" variant="light" role="alert">
          {errorMessage(update.error)}
        </Alert>
      ) : null}
      {saved ? (
        <Text size="sm" c="teal" role="status">
          Settings saved.
        </Text>
      ) : null}
    </Stack>
  );
}
