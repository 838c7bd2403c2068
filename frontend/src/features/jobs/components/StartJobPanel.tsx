import { Alert, Button, Group, Modal, NumberInput, Select, Stack, Switch, TextInput, Tooltip } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import {
  type JobCreate,
  type JobKind,
  KIND_LABELS,
  NEEDS_DATASET,
  type ParamSchema,
  useCreateJob,
  useDatasetVersionChoices,
  useJobKinds,
} from '../api/jobs';
import { StartError } from './StartError';

/**
 * The params each kind's form offers, with their labels. Types, ranges, choices and defaults come
 * from the server's params models (GET /api/v1/jobs/kinds/); a param left untouched is not sent, so
 * the server fills its default.
 */
type Field =
  | { key: string; label: string; type: 'number'; step?: number }
  | { key: string; label: string; type: 'select' }
  | { key: string; label: string; type: 'bool' }
  | { key: string; label: string; type: 'json' };

const FORMS: Record<JobKind, Field[]> = {
  training_tests: [
    { key: 'seed', label: 'Seed', type: 'number' },
    { key: 'other_seed', label: 'Second seed (spread)', type: 'number' },
    { key: 'weight_tolerance', label: 'Weight tolerance', type: 'number', step: 1e-6 },
    { key: 'overfit_steps', label: 'Overfit steps', type: 'number' },
    { key: 'overfit_threshold', label: 'Overfit loss threshold', type: 'number', step: 0.01 },
  ],
  evaluate: [{ key: 'min_slice_accuracy', label: 'Minimum accuracy on every slice', type: 'number', step: 0.01 }],
  export_onnx: [
    { key: 'opset', label: 'Opset', type: 'number' },
    { key: 'tolerance', label: 'Parity tolerance (max abs diff)', type: 'number', step: 1e-5 },
  ],
  export_torchscript: [{ key: 'tolerance', label: 'Parity tolerance', type: 'number', step: 1e-6 }],
  export_executorch: [
    { key: 'quantization', label: 'Quantization', type: 'select' },
    { key: 'tolerance', label: 'Parity tolerance (max abs diff, fp32)', type: 'number', step: 1e-5 },
    { key: 'max_metric_drop', label: 'Gate: max accuracy drop (int8)', type: 'number', step: 0.005 },
  ],
  export_tflite: [
    { key: 'precision', label: 'Precision', type: 'select' },
    { key: 'tolerance', label: 'Parity tolerance (max abs diff, fp32/fp16)', type: 'number', step: 1e-5 },
    { key: 'max_metric_drop', label: 'Gate: max accuracy drop (int8)', type: 'number', step: 0.005 },
  ],
  export_coreml: [
    { key: 'precision', label: 'Compute precision', type: 'select' },
    { key: 'minimum_deployment_target', label: 'Minimum deployment target', type: 'select' },
  ],
  quantize: [
    { key: 'mode', label: 'Mode', type: 'select' },
    { key: 'calibration_rows', label: 'Calibration rows (static)', type: 'number' },
    { key: 'per_channel', label: 'Per-channel weights', type: 'bool' },
    { key: 'max_metric_drop', label: 'Gate: max accuracy drop', type: 'number', step: 0.005 },
  ],
  prune: [
    { key: 'target_sparsity', label: 'Target sparsity', type: 'number', step: 0.05 },
    { key: 'fine_tune_epochs', label: 'Fine-tune epochs', type: 'number' },
    { key: 'max_metric_drop', label: 'Gate: max accuracy drop', type: 'number', step: 0.005 },
  ],
  distill: [
    { key: 'student_recipe', label: 'Student architecture', type: 'select' },
    { key: 'student_config', label: 'Student config (JSON)', type: 'json' },
    { key: 'temperature', label: 'Temperature T', type: 'number', step: 0.5 },
    { key: 'alpha', label: 'Alpha (soft-label weight)', type: 'number', step: 0.05 },
  ],
  // started from a deployment's predictions page (they need logged rows), not from this form
  explain: [],
  replay: [],
  fairness: [
    { key: 'sensitive_features', label: 'Sensitive features (JSON list; default: the dataset marks them)', type: 'json' },
    { key: 'max_accuracy_difference', label: 'Max accuracy difference', type: 'number', step: 0.01 },
    { key: 'max_demographic_parity_difference', label: 'Max demographic parity difference', type: 'number', step: 0.01 },
    { key: 'max_equalized_odds_difference', label: 'Max equalized odds difference', type: 'number', step: 0.01 },
  ],
  feature_importance: [
    { key: 'n_repeats', label: 'Shuffles per feature', type: 'number' },
    { key: 'min_importance', label: 'Flag features whose interval lies at or below', type: 'number', step: 0.001 },
    { key: 'exempt', label: 'Exempt features (JSON list)', type: 'json' },
    { key: 'cost_key', label: 'Cost to weigh importance against', type: 'select' },
    { key: 'min_importance_per_cost', label: 'Minimum importance per unit of cost', type: 'number', step: 1e-6 },
    { key: 'ablation', label: 'Also retrain without each feature (small models)', type: 'bool' },
  ],
  tune: [
    { key: 'n_trials', label: 'Trials', type: 'number' },
    { key: 'top_k', label: 'Pass when the starting configuration ranks within the top', type: 'number' },
    { key: 'pruning', label: 'Prune trials below the median', type: 'bool' },
    { key: 'config', label: 'Config for every trial (JSON)', type: 'json' },
  ],
  staleness_impact: [
    { key: 'fresh_days', label: 'Labelled data fresh for (days)', type: 'number' },
    { key: 'tolerance', label: 'Accuracy loss tolerated per retraining interval', type: 'number', step: 0.005 },
    { key: 'retrain_interval_days', label: 'Retraining interval (days; empty: measured)', type: 'number' },
  ],
};

const BUTTONS: JobKind[] = [
  'training_tests',
  'evaluate',
  'export_onnx',
  'export_torchscript',
  'export_executorch',
  'export_coreml',
  'export_tflite',
  'quantize',
  'prune',
  'distill',
  'fairness',
  'feature_importance',
  'tune',
  'staleness_impact',
];

/** What a field shows before the user edits it: the server's default (JSON text for a json field). */
function initial(field: Field, schema: ParamSchema | undefined): unknown {
  const value = schema?.default;
  if (field.type === 'json') return value === undefined ? '' : JSON.stringify(value);
  return value ?? (field.type === 'bool' ? false : '');
}

/**
 * "Run training tests / Export to ONNX / Quantize / Prune / Distill" for one model version:
 * a button per job kind, a form for its params, and on submit the job's live report page.
 */
export function StartJobPanel({ project, versionId, format }: { project: string; versionId: number; format?: string }) {
  const [kind, setKind] = useState<JobKind | null>(null);
  // only the params the user edited; the others show (and the server applies) their defaults
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [device, setDevice] = useState<'auto' | 'cpu' | 'cuda'>('auto');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [datasetVersion, setDatasetVersion] = useState<string | null>(null);
  const needsDataset = kind !== null && NEEDS_DATASET.includes(kind);
  const datasetChoices = useDatasetVersionChoices(project, needsDataset);
  const create = useCreateJob();
  const kinds = useJobKinds();
  const navigate = useNavigate();
  const schemaOf = (k: JobKind, key: string): ParamSchema | undefined =>
    kinds.data?.find((info) => info.kind === k)?.params.properties[key];
  /** A field's schema; a nullable number (anyOf number | null) reads as its number branch. */
  const paramOf = (key: string): ParamSchema => {
    const schema = kind ? schemaOf(kind, key) : undefined;
    const branch = schema?.anyOf?.find((s) => s.type !== undefined && s.type !== ('null' as string));
    return { ...branch, ...schema };
  };
  const shown = (f: Field): unknown => (f.key in values ? values[f.key] : initial(f, kind ? schemaOf(kind, f.key) : undefined));
  const open = (k: JobKind) => {
    setKind(k);
    setValues({});
    setJsonError(null);
    setDatasetVersion(null);
    create.reset();
  };
  const isOnnx = format === 'onnx';
  const disabled = (k: JobKind) =>
    isOnnx &&
    (k === 'export_onnx' ||
      k === 'export_torchscript' ||
      k === 'export_executorch' ||
      k === 'export_coreml' ||
      k === 'export_tflite' ||
      k === 'prune' ||
      k === 'training_tests' ||
      k === 'tune');
  const submit = () => {
    if (!kind) return;
    const params: Record<string, unknown> = {};
    for (const f of FORMS[kind]) {
      if (!(f.key in values)) continue;
      const v = values[f.key];
      if (f.type === 'json') {
        try {
          params[f.key] = JSON.parse(String(v));
        } catch {
          setJsonError(`${f.label}: not valid JSON`);
          return;
        }
      } else if (v !== '' && v !== undefined && v !== null) params[f.key] = v;
    }
    setJsonError(null);
    create.mutate(
      {
        project,
        kind,
        model_version: versionId,
        ...(datasetVersion ? { dataset_version: Number(datasetVersion) } : {}),
        params: params as JobCreate['params'],
        device,
      },
      { onSuccess: (job) => void navigate(`/jobs/${job.id}`) },
    );
  };
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
                    description={paramOf(f.key).description}
                    value={shown(f) as number | string}
                    step={f.step}
                    min={paramOf(f.key).minimum}
                    max={paramOf(f.key).maximum}
                    decimalScale={8}
                    onChange={(v) => setValues((s) => ({ ...s, [f.key]: typeof v === 'number' || v === '' ? v : Number(v) }))}
                  />
                );
              if (f.type === 'select')
                return (
                  <Select
                    key={f.key}
                    label={f.label}
                    description={paramOf(f.key).description}
                    data={paramOf(f.key).enum ?? []}
                    value={(shown(f) as string) || null}
                    onChange={(v) => setValues((s) => ({ ...s, [f.key]: v ?? shown(f) }))}
                    allowDeselect={false}
                  />
                );
              if (f.type === 'bool')
                return (
                  <Switch
                    key={f.key}
                    label={f.label}
                    description={paramOf(f.key).description}
                    checked={Boolean(shown(f))}
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
                  description={paramOf(f.key).description}
                  value={String(shown(f))}
                  onChange={(e) => {
                    const text = e.currentTarget.value;
                    setValues((s) => ({ ...s, [f.key]: text }));
                  }}
                />
              );
            })}
            {needsDataset ? (
              <Select
                label="Dataset version"
                description={
                  kind === 'staleness_impact'
                    ? 'Recent labelled data (a newer dataset version, such as the flywheel export of feedback)'
                    : "Evaluation rows (empty: the version's training dataset)"
                }
                placeholder={datasetChoices.isLoading ? 'Loading…' : datasetChoices.data?.length ? 'Pick a version' : 'No dataset versions in this project'}
                data={datasetChoices.data ?? []}
                value={datasetVersion}
                onChange={setDatasetVersion}
                clearable
                searchable
              />
            ) : null}
            <Select
              label="Device"
              data={['auto', 'cpu', 'cuda']}
              value={device}
              onChange={(v) => setDevice((v as 'auto' | 'cpu' | 'cuda') ?? 'auto')}
              allowDeselect={false}
            />
            {jsonError ? <Alert color="red">{jsonError}</Alert> : null}
            <StartError error={create.error} title="Could not start the job" />
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
