import { Checkbox, Stack } from '@mantine/core';
import type { ModelVersionItem } from '../api/deployments';
import { versionLabel } from './VersionSelect';

interface VersionChecklistProps {
  label: string;
  description?: string;
  versions: ModelVersionItem[];
  value: number[];
  onChange: (versions: number[]) => void;
  notes?: Record<number, string>;
  error?: string;
}

/** Pick several versions of the model, each with its headline metrics; the value is kept in ascending order. */
export function VersionChecklist({ label, description, versions, value, onChange, notes = {}, error }: VersionChecklistProps) {
  return (
    <Checkbox.Group
      label={label}
      description={description}
      value={value.map(String)}
      onChange={(picked) => onChange(picked.map(Number).sort((a, b) => a - b))}
      error={error}
    >
      <Stack gap={6} mt={6}>
        {versions.map((v) => (
          <Checkbox key={v.number} value={String(v.number)} label={versionLabel(v, notes[v.number])} />
        ))}
      </Stack>
    </Checkbox.Group>
  );
}
