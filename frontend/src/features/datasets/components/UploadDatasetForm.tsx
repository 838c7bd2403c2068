import { Button, FileInput, Select, Stack, TextInput, Textarea } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '@/api/errors';
import { UploadStatus } from '@/components/UploadStatus';
import { type DatasetVersionDetail, uploadDataset } from '../api/datasets';

const FORMATS = [
  { value: 'csv', label: 'CSV (.csv)' },
  { value: 'parquet', label: 'Parquet (.parquet)' },
  { value: 'npz', label: 'NumPy (.npz)' },
];

function guessFormat(name: string): string | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return 'parquet';
  if (lower.endsWith('.npz')) return 'npz';
  return null;
}

interface Props {
  slug: string;
  /** a new version of this dataset; without it the user names a (new or existing) dataset */
  dataset?: string;
  onUploaded: (name: string, version: DatasetVersionDetail) => void;
}

/** Upload a data file as a new dataset version, with a progress bar (XMLHttpRequest upload events). */
export function UploadDatasetForm({ slug, dataset, onUploaded }: Props) {
  const client = useQueryClient();
  const [name, setName] = useState(dataset ?? '');
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<string | null>(null);
  const [label, setLabel] = useState('');
  const [description, setDescription] = useState('');
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!file || !name.trim() || !format) return;
    const form = new FormData();
    form.append('file', file);
    form.append('format', format);
    if (label.trim()) form.append('label_column', label.trim());
    if (description.trim()) form.append('description', description.trim());
    setError(null);
    setProgress(0);
    try {
      const version = await uploadDataset(slug, name.trim(), form, setProgress);
      await client.invalidateQueries({ queryKey: ['datasets', slug] });
      onUploaded(name.trim(), version);
    } catch (err) {
      setProgress(null);
      setError(err instanceof ApiError ? err : new ApiError(0, 'error', String(err)));
    }
  };

  const fieldError = (field: string) => error?.fields[field]?.join(' ');
  const busy = progress !== null && !error;
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Upload a dataset version">
      <Stack gap="sm">
        <TextInput
          label="Dataset name"
          name="name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          disabled={Boolean(dataset)}
          required
          error={fieldError('name') ?? fieldError('dataset')}
        />
        <FileInput
          label="Data file"
          name="file"
          placeholder="CSV, Parquet or NPZ"
          value={file}
          onChange={(f) => {
            setFile(f);
            if (f && !format) setFormat(guessFormat(f.name));
          }}
          required
          clearable
          error={fieldError('file')}
        />
        <Select label="Format" name="format" data={FORMATS} value={format} onChange={setFormat} required error={fieldError('format')} />
        <TextInput
          label="Label column"
          name="label_column"
          placeholder="label"
          value={label}
          onChange={(e) => setLabel(e.currentTarget.value)}
          error={fieldError('label_column')}
        />
        <Textarea label="Description" name="description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize minRows={2} />
        <UploadStatus progress={progress} error={error} afterUpload="Uploaded; profiling the data…" />
        <Button type="submit" disabled={!file || !name.trim() || !format || busy} loading={busy}>
          Upload dataset
        </Button>
      </Stack>
    </form>
  );
}
