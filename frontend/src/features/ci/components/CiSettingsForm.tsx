import { Alert, Button, Group, NumberInput, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ApiError, type FieldErrors } from '@/api/errors';
import { useCiSettings, useUpdateCiSettings, type CiSettings } from '../api/ci';

/** Client-side checks mirroring the server's (which stay the authority). */
export function validateSettings(values: { default_branch: string; baseline_runs: number | string; notify_url: string }): FieldErrors {
  const errors: FieldErrors = {};
  if (/\s/.test(values.default_branch.trim())) errors.default_branch = ['A branch name has no spaces.'];
  const runs = Number(values.baseline_runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) errors.baseline_runs = ['Between 1 and 100 runs.'];
  if (values.notify_url && !/^https?:\/\/[^\s/]+/.test(values.notify_url)) {
    errors.notify_url = ['An http:// or https:// URL.'];
  }
  return errors;
}

function SettingsForm({ slug, initial }: { slug: string; initial: CiSettings }) {
  const update = useUpdateCiSettings(slug);
  const [branch, setBranch] = useState(initial.default_branch);
  const [runs, setRuns] = useState<number | string>(initial.baseline_runs);
  const [notifyUrl, setNotifyUrl] = useState(initial.notify_url);
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const saved =
    update.isSuccess &&
    update.data.default_branch === branch.trim() &&
    update.data.baseline_runs === Number(runs) &&
    update.data.notify_url === notifyUrl.trim();

  const serverErrors = update.error instanceof ApiError ? update.error.fields : {};
  const errors = { ...serverErrors, ...clientErrors };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const values = { default_branch: branch.trim(), baseline_runs: runs, notify_url: notifyUrl.trim() };
    const found = validateSettings(values);
    setClientErrors(found);
    if (Object.keys(found).length) return;
    update.reset();
    update.mutate({ ...values, baseline_runs: Number(runs) });
  };
  const effective = update.data?.default_branches ?? initial.default_branches;

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm" maw={560}>
        <TextInput
          label="Default branch"
          name="default_branch"
          placeholder="main or master"
          description={`Only runs of ${effective.join(' or ')} are rubric evidence and metric baselines. Leave empty for main or master.`}
          value={branch}
          onChange={(e) => setBranch(e.currentTarget.value)}
          error={errors.default_branch?.[0]}
        />
        <NumberInput
          label="Baseline runs"
          name="baseline_runs"
          description="How many recent default-branch runs form a metric's baseline (their median)."
          value={runs}
          onChange={setRuns}
          min={1}
          max={100}
          allowDecimal={false}
          error={errors.baseline_runs?.[0]}
        />
        <TextInput
          label="Outbound notification URL"
          name="notify_url"
          placeholder="https://hooks.slack.com/services/..."
          description='Dependency changes and regressions are posted here as Slack-compatible JSON {"text": ...}.'
          value={notifyUrl}
          onChange={(e) => setNotifyUrl(e.currentTarget.value)}
          error={errors.notify_url?.[0]}
        />
        <Group>
          <Button type="submit" loading={update.isPending}>
            Save settings
          </Button>
          {saved ? (
            <Text size="sm" c="teal" role="status">
              Saved.
            </Text>
          ) : null}
        </Group>
        {update.error && !Object.keys(serverErrors).length ? <Alert color="red">{update.error.message}</Alert> : null}
      </Stack>
    </form>
  );
}

export function CiSettingsForm({ slug }: { slug: string }) {
  const settings = useCiSettings(slug);
  if (settings.isPending) return <Text size="sm" c="dimmed">Loading settings…</Text>;
  if (settings.isError) return <Alert color="red">{settings.error.message}</Alert>;
  return <SettingsForm slug={slug} initial={settings.data} />;
}
