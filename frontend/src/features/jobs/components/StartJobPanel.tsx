import { Alert, Button, Group, Modal, NumberInput, Select, Stack, Switch, Text, TextInput, Tooltip } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '@/api/errors';
import { type JobKind, KIND_LABELS, useCreateJob } from '../api/jobs';

type Field =
  | { key: string; label: string; type: 'number'; default: number; step?: number; min?: number; max?: number }
  | { key: string; label: string; type: 'select'; default: string; options: string[] }
  | { key: string; label: string; type: 'bool'; default: boolean }
  | { key: string; label: string; type: 'json'; default: string };

const FORMS: Record<JobKind, Field[]> = {
  training_tests: [
    { key: 'seed', label: 'Seed', type: 'number', default: 0 },
    { key: 'other_seed', label: 'Second seed (spread)', type: 'number', default: 1 },
    { key: 'weight_tolerance', label: 'Weight tolerance', type: 'number', default: 1e-6, step: 1e-6 },
    { key: 'overfit_steps', label: 'Overfit steps', type: 'number', default: 300 },
    { key: 'overfit_threshold', label: 'Overfit loss threshold', type: 'number', default: 0.05, step: 0.01 },
  ],
  evaluate: [{ key: 'min_slice_accuracy', label: 'Minimum accuracy on every slice', type: 'number', default: 0.9, step: 0.01, min: 0, max: 1 }],
  export_onnx: [
    { key: 'opset', label: 'Opset', type: 'number', default: 17, min: 9, max: 21 },
    { key: 'tolerance', label: 'Parity tolerance (max abs diff)', type: 'number', default: 1e-4, step: 1e-5 },
  ],
  export_torchscript: [{ key: 'tolerance', label: 'Parity tolerance', type: 'number', default: 1e-5, step: 1e-6 }],
  quantize: [
    { key: 'mode', label: 'Mode', type: 'select', default: 'dynamic', options: ['dynamic', 'static'] },
    { key: 'calibration_rows', label: 'Calibration rows (static)', type: 'number', default: 256 },
    { key: 'per_channel', label: 'Per-channel weights', type: 'bool', default: false },
    { key: 'max_metric_drop', label: 'Gate: max accuracy drop', type: 'number', default: 0.01, step: 0.005 },
  ],
  prune: [
    { key: 'target_sparsity', label: 'Target sparsity', type: 'number', default: 0.5, step: 0.05, min: 0.01, max: 0.99 },
    { key: 'fine_tune_epochs', label: 'Fine-tune epochs', type: 'number', default: 2 },
    { key: 'max_metric_drop', label: 'Gate: max accuracy drop', type: 'number', default: 0.01, step: 0.005 },
  ],
  distill: [
    { key: 'student_recipe', label: 'Student architecture', type: 'select', default: 'digits_mlp', options: ['digits_mlp', 'digits_cnn', 'tabular_mlp'] },
    { key: 'student_config', label: 'Student config (JSON)', type: 'json', default: '{"hidden": [32]}' },
    { key: 'temperature', label: 'Temperature T', type: 'number', default: 4, step: 0.5 },
    { key: 'alpha', label: 'Alpha (soft-label weight)', type: 'number', default: 0.7, step: 0.05, min: 0, max: 1 },
  ],
};

const BUTTONS: JobKind[] = ['training_tests', 'evaluate', 'export_onnx', 'export_torchscript', 'quantize', 'prune', 'distill'];

function defaults(kind: JobKind): Record<string, unknown> {
  return Object.fromEntries(FORMS[kind].map((f) => [f.key, f.default]));
}

/**
 * "Run training tests / Export to ONNX / Quantize / Prune / Distill" for one model version:
 * a button per job kind, a form for its params, and on submit the job's live report page.
 */
export function StartJobPanel({ project, versionId, format }: { project: string; versionId: number; format?: string }) {
  const [kind, setKind] = useState<JobKind | null>(null);
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [device, setDevice] = useState<'auto' | 'cpu' | 'cuda'>('auto');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const create = useCreateJob();
  const navigate = useNavigate();
  const open = (k: JobKind) => {
    setKind(k);
    setValues(defaults(k));
    setJsonError(null);
    create.reset();
  };
  const isOnnx = format === 'onnx';
  const disabled = (k: JobKind) =>
    isOnnx && (k === 'export_onnx' || k === 'export_torchscript' || k === 'prune' || k === 'training_tests');
  const submit = () => {
    if (!kind) return;
    const params: Record<string, unknown> = {};
    for (const f of FORMS[kind]) {
      const v = values[f.key];
      if (f.type === 'json') {
        try {
          params[f.key] = JSON.parse(String(v));
        } catch {
          setJsonError(`${f.label}: not valid JSON`);
          return;
        }
      } else if (v !== '' && v !== undefined) params[f.key] = v;
    }
    setJsonError(null);
    create.mutate(
      { project, kind, model_version: versionId, params, device },
      { onSuccess: (job) => void navigate(`/jobs/${job.id}`) },
    );
  };
  const error = create.error instanceof ApiError ? create.error : null;
  return (
    <>
      <Group gap="xs" data-testid="job-actions">
        {BUTTONS.map((k) => (
          <Tooltip key={k} label="Needs a PyTorch version: this one is already ONNX" disabled={!disabled(k)}>
            {/* a disabled button fires no mouse events, so the tooltip hangs on a wrapper */}
            <span>
              <Button size="xs" variant="light" disabled={disabled(k)} onClick={() => open(k)}>
                {k === 'training_tests' ? 'Run training tests' : KIND_LABELS[k]}
              </Button>
            </span>
          </Tooltip>
        ))}
      </Group>
      <Modal opened={kind !== null} onClose={() => setKind(null)} title={kind ? KIND_LABELS[kind] : ''}>
        {kind ? (
          <Stack gap="sm">
            {FORMS[kind].map((f) => {
              if (f.type === 'number')
                return (
                  <NumberInput
                    key={f.key}
                    label={f.label}
                    name={f.key}
                    value={values[f.key] as number}
                    step={f.step}
                    min={f.min}
                    max={f.max}
                    decimalScale={8}
                    onChange={(v) => setValues((s) => ({ ...s, [f.key]: typeof v === 'number' ? v : Number(v) }))}
                  />
                );
              if (f.type === 'select')
                return (
                  <Select
                    key={f.key}
                    label={f.label}
                    data={f.options}
                    value={values[f.key] as string}
                    onChange={(v) => setValues((s) => ({ ...s, [f.key]: v ?? f.default }))}
                    allowDeselect={false}
                  />
                );
              if (f.type === 'bool')
                return (
                  <Switch
                    key={f.key}
                    label={f.label}
                    checked={Boolean(values[f.key])}
                    onChange={(e) => {
                      const checked = e.currentTarget.checked;
                      setValues((s) => ({ ...s, [f.key]: checked }));
                    }}
                  />
                );
              return (
                <TextInput
                  key={f.key}
                  label={f.label}
                  value={String(values[f.key])}
                  onChange={(e) => {
                    const text = e.currentTarget.value;
                    setValues((s) => ({ ...s, [f.key]: text }));
                  }}
                />
              );
            })}
            <Select
              label="Device"
              data={['auto', 'cpu', 'cuda']}
              value={device}
              onChange={(v) => setDevice((v as 'auto' | 'cpu' | 'cuda') ?? 'auto')}
              allowDeselect={false}
            />
            {jsonError ? <Alert color="red">{jsonError}</Alert> : null}
            {error ? (
              <Alert color="red" title="Could not start the job">
                {error.message}
                {Object.entries(error.fields ?? {}).map(([k, v]) => (
                  <Text key={k} size="sm">
                    {k}: {Array.isArray(v) ? v.join(' ') : String(v)}
                  </Text>
                ))}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button onClick={submit} loading={create.isPending}>
                Start job
              </Button>
            </Group>
          </Stack>
        ) : null}
      </Modal>
    </>
  );
}
