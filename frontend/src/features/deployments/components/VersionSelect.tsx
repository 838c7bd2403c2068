import { Select } from '@mantine/core';
import { formatNumber } from '@/lib/format';
import type { ModelVersionItem } from '../api/deployments';
import { useModelVersions } from '../api/deployments';

/** "v3 · onnx · accuracy 0.9621 · f1 0.95": the version and its headline metrics. */
export function versionLabel(v: ModelVersionItem, note?: string): string {
  const metrics = Object.entries(v.metrics ?? {})
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .slice(0, 3)
    .map(([k, value]) => `${k} ${formatNumber(value)}`);
  return [`v${v.number}`, v.format, ...metrics].join(' · ') + (note ? ` (${note})` : '');
}

interface VersionSelectProps {
  project: string;
  model: string | null;
  value: number | null;
  onChange: (version: number | null) => void;
  /** versions to mark, e.g. {3: 'live'} */
  notes?: Record<number, string>;
  error?: string;
}

/** Pick a version of the model from a list with its metrics, not a number box. */
export function VersionSelect({ project, model, value, onChange, notes = {}, error }: VersionSelectProps) {
  const versions = useModelVersions(project, model);
  const rows = versions.data?.results ?? [];
  return (
    <Select
      label="Version"
      name="version"
      placeholder={model ? (versions.isPending ? 'Loading versions…' : 'Pick a version') : 'Pick a model first'}
      data={rows.map((v) => ({ value: String(v.number), label: versionLabel(v, notes[v.number]) }))}
      value={value === null ? null : String(value)}
      onChange={(v) => onChange(v === null ? null : Number(v))}
      nothingFoundMessage="No versions"
      disabled={!model}
      error={error ?? (versions.isError ? versions.error.message : undefined)}
      allowDeselect={false}
      comboboxProps={{ withinPortal: true }}
      searchable
    />
  );
}
