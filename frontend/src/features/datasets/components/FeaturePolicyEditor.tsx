import { Alert, Button, Group, SegmentedControl, Select, Stack, Switch, TagsInput, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ApiError } from '@/api/errors';
import { ErrorState } from '@/components/ErrorState';
import { LoadingState } from '@/components/LoadingState';
import { formatDateTime } from '@/lib/format';
import { type FeaturePolicy, useFeaturePolicy, useSaveFeaturePolicy } from '../api/datasets';

const ROLES = [
  { value: 'viewer', label: 'Viewer (not restricted)' },
  { value: 'member', label: 'Member' },
  { value: 'maintainer', label: 'Maintainer' },
  { value: 'admin', label: 'Admin' },
];

function PolicyForm({ slug, initial }: { slug: string; initial: FeaturePolicy }) {
  const save = useSaveFeaturePolicy(slug);
  const [mode, setMode] = useState<string>(initial.mode ?? 'block');
  const [forbidden, setForbidden] = useState<string[]>(initial.forbidden_features);
  const [requireOwner, setRequireOwner] = useState(initial.require_owner ?? false);
  const [owners, setOwners] = useState<string[]>(initial.allowed_owners);
  const [sources, setSources] = useState<string[]>(initial.approved_sources);
  const [noSensitive, setNoSensitive] = useState(initial.forbid_sensitive_inputs ?? false);
  const [minRole, setMinRole] = useState<string>(initial.sensitive_min_role ?? 'maintainer');
  const errors = save.error instanceof ApiError ? save.error.fields : {};
  const first = (name: string) => Object.entries(errors).find(([k]) => k.split('.')[0] === name)?.[1]?.[0];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.reset();
    save.mutate({
      mode: mode as 'block' | 'warn',
      forbidden_features: forbidden,
      require_owner: requireOwner,
      allowed_owners: owners,
      approved_sources: sources,
      forbid_sensitive_inputs: noSensitive,
      sensitive_min_role: minRole as 'viewer' | 'member' | 'maintainer' | 'admin',
    });
  };
  const current = save.data ?? initial;
  return (
    <form onSubmit={submit} noValidate aria-label="Feature policy">
      <Stack gap="sm" maw={640}>
        <Text size="sm" c="dimmed">
          Checked against every dataset version's columns and every model version's input features when they are
          registered (rubric data-4). Saving re-checks the latest version of each dataset and model.
        </Text>
        <div>
          <Text size="sm" fw={500} mb={4} id="policy-mode-label">When a version violates the policy</Text>
          <SegmentedControl
            aria-labelledby="policy-mode-label"
            value={mode}
            onChange={setMode}
            data={[
              { value: 'block', label: 'Block (refuse it)' },
              { value: 'warn', label: 'Warn (register, record violations)' },
            ]}
          />
        </div>
        <TagsInput
          label="Forbidden features"
          description="Column names no dataset or model may use; globs allowed (ssn, *_race). Press Enter after each."
          value={forbidden}
          onChange={setForbidden}
          error={first('forbidden_features')}
          clearable
        />
        <Switch
          label="Every feature must declare an owner"
          checked={requireOwner}
          onChange={(e) => setRequireOwner(e.currentTarget.checked)}
        />
        <TagsInput
          label="Allowed owners"
          description="When set, a declared owner must be one of these."
          value={owners}
          onChange={setOwners}
          error={first('allowed_owners')}
          clearable
        />
        <TagsInput
          label="Approved sources"
          description="When set, every feature must declare a source matching one of these globs (warehouse.*)."
          value={sources}
          onChange={setSources}
          error={first('approved_sources')}
          clearable
        />
        <Switch
          label="Models may not take columns declared sensitive as inputs"
          checked={noSensitive}
          onChange={(e) => setNoSensitive(e.currentTarget.checked)}
        />
        <Select
          label="Who may download datasets with sensitive columns (rubric data-5)"
          description="Every download of a dataset file is logged either way; admins read the log on the dataset page."
          data={ROLES}
          value={minRole}
          onChange={(v) => setMinRole(v ?? 'maintainer')}
          allowDeselect={false}
          error={first('sensitive_min_role')}
        />
        <Group>
          <Button type="submit" loading={save.isPending}>Save policy</Button>
          {save.isSuccess ? <Text size="sm" c="teal" role="status">Saved; latest versions re-checked.</Text> : null}
          {current.configured && current.updated_at ? (
            <Text size="xs" c="dimmed">Last changed {formatDateTime(current.updated_at)}{current.updated_by ? ` by ${current.updated_by}` : ''}</Text>
          ) : (
            <Text size="xs" c="dimmed">No policy yet: nothing is checked.</Text>
          )}
        </Group>
        {save.error && !Object.keys(errors).length ? <Alert color="red">{save.error.message}</Alert> : null}
      </Stack>
    </form>
  );
}

/** The project's feature policy editor (maintainers save; others get the server's 403 shown). */
export function FeaturePolicyEditor({ slug }: { slug: string }) {
  const policy = useFeaturePolicy(slug);
  if (policy.isPending) return <LoadingState rows={4} label="Loading the feature policy" />;
  if (policy.isError) return <ErrorState error={policy.error} onRetry={() => void policy.refetch()} />;
  return <PolicyForm slug={slug} initial={policy.data} />;
}
