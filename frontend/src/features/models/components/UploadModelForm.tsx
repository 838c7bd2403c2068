import { Button, FileInput, Select, Stack, TextInput, Textarea } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '@/api/errors';
import { UploadStatus } from '@/components/UploadStatus';
import { type ModelVersion, uploadVersion } from '../api/registry';

const FORMATS = [
  { value: 'onnx', label: 'ONNX (.onnx)' },
  { value: 'state_dict', label: 'PyTorch state_dict (.pt/.pth)' },
  { value: 'safetensors', label: 'safetensors' },
  { value: 'torchscript', label: 'TorchScript (code: workers only)' },
  { value: 'torch_export', label: 'torch.export program (.pt2: workers only)' },
];

function guessFormat(name: string): string | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.pt') || lower.endsWith('.pth')) return 'state_dict';
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (lower.endsWith('.ts') || lower.endsWith('.torchscript')) return 'torchscript';
  if (lower.endsWith('.pt2')) return 'torch_export';
  return null;
}

interface Props {
  slug: string;
  model?: string;
  onUploaded: (version: ModelVersion) => void;
}

/** Upload an artifact as a new version, with a progress bar (XMLHttpRequest upload events). */
export function UploadModelForm({ slug, model, onUploaded }: Props) {
  const client = useQueryClient();
  const [name, setName] = useState(model ?? '');
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<string | null>(null);
  const [metrics, setMetrics] = useState('');
  const [dataset, setDataset] = useState('');
  const [description, setDescription] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!file || !name || !format) return;
    const form = new FormData();
    form.append('artifact', file);
    form.append('format', format);
    if (metrics.trim()) form.append('metrics', metrics.trim());
    if (dataset.trim()) form.append('training_dataset', dataset.trim());
    if (description.trim()) form.append('description', description.trim());
    setError(null);
    setProgress(0);
    try {
      const version = await uploadVersion(slug, name, form, setProgress);
      await client.invalidateQueries({ queryKey: ['registry', slug] });
      onUploaded(version);
    } catch (err) {
      setProgress(null);
      setError(err instanceof ApiError ? err : new ApiError(0, 'error', String(err)));
    }
  };

  const fieldError = (field: string) => error?.fields[field]?.join(' ');
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Upload a model version">
      <Stack gap="sm">
        <TextInput
          label="Model name"
          name="model"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          disabled={Boolean(model)}
          required
          error={fieldError('model') ?? fieldError('name')}
        />
        <FileInput
          label="Artifact file"
          name="artifact"
          value={file}
          onChange={(f) => {
            setFile(f);
            if (f && !format) setFormat(guessFormat(f.name));
          }}
          required
          clearable
          error={fieldError('artifact')}
        />
        <Select label="Format" name="format" data={FORMATS} value={format} onChange={setFormat} required error={fieldError('format')} />
        <TextInput
          label="Training dataset"
          name="training_dataset"
          placeholder="digits:1"
          value={dataset}
          onChange={(e) => setDataset(e.currentTarget.value)}
          error={fieldError('training_dataset') ?? fieldError('signature')}
        />
        <TextInput
          label="Metrics (JSON)"
          name="metrics"
          placeholder='{"accuracy": 0.97}'
          value={metrics}
          onChange={(e) => setMetrics(e.currentTarget.value)}
          error={fieldError('metrics')}
        />
        <Textarea label="Description" name="description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize minRows={2} />
        <UploadStatus progress={progress} error={error} afterUpload="Uploaded; validating…" />
        <Button type="submit" disabled={!file || !name || !format || (progress !== null && progress < 1 && !error)}>
          Upload version
        </Button>
      </Stack>
    </form>
  );
}
