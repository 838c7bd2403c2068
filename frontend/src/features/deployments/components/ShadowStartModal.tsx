import { NumberInput, Select, Text } from '@mantine/core';
import { useState } from 'react';
import { EmptyState } from '@/components/EmptyState';
import { LoadingState } from '@/components/LoadingState';
import type { Deployment } from '../api/deployments';
import { useModelVersions } from '../api/deployments';
import { useStartShadow } from '../api/experiments';
import { fieldError, FormModal, ReasonInput } from './FormModal';
import { versionLabel } from './VersionSelect';

/** Client-side checks, the same as the API's: a version, and a share above 0 % and at most 100 %. */
export function shadowProblems(version: number | null, percent: number | string): Record<string, string> {
  const out: Record<string, string> = {};
  if (version === null) out.version = 'Pick the version to shadow.';
  if (typeof percent !== 'number' || percent <= 0 || percent > 100) out.share = 'Must be more than 0 % and at most 100 %.';
  return out;
}

/** Mirror a share of the deployment's requests to another version; its answers are compared with live's, never returned. */
export function ShadowStartModal({ deployment, onClose }: { deployment: Deployment; onClose: () => void }) {
  const d = deployment;
  const versions = useModelVersions(d.project, d.model);
  const start = useStartShadow(d.project, d.name);
  const candidates = (versions.data?.results ?? []).filter((v) => v.number !== d.live_version.number);
  const [picked, setPicked] = useState<number | null>(d.shadow_version?.number ?? null);
  const version = picked ?? candidates[0]?.number ?? null;
  const [percent, setPercent] = useState<number | string>(d.shadow_version ? Math.round(d.shadow_share * 100) : 100);
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const problems = shadowProblems(version, percent);
  const shown = (field: string) => (touched ? problems[field] : undefined) ?? fieldError(start.error, field);

  const submit = () => {
    setTouched(true);
    if (Object.keys(problems).length > 0 || version === null) return;
    start.mutate({ version, share: Number(percent) / 100, reason }, { onSuccess: () => onClose() });
  };

  let body;
  if (versions.isPending) body = <LoadingState rows={2} label="Loading versions" />;
  else if (candidates.length === 0)
    body = (
      <EmptyState
        title="No other version to shadow"
        description={`v${d.live_version.number} is the only version of ${d.model}, and it is live: register another version to shadow it.`}
      />
    );
  else
    body = (
      <>
        <Select
          label="Shadow version"
          name="version"
          data={candidates.map((v) => ({ value: String(v.number), label: versionLabel(v, v.number === d.shadow_version?.number ? 'shadow' : undefined) }))}
          value={version === null ? null : String(version)}
          onChange={(v) => setPicked(v === null ? null : Number(v))}
          error={shown('version')}
          allowDeselect={false}
          comboboxProps={{ withinPortal: true }}
        />
        <NumberInput
          label="Share of requests mirrored (%)"
          name="share"
          description="The shadow runs until it is stopped; callers only ever get live's answers."
          min={1}
          max={100}
          step={5}
          suffix=" %"
          value={percent}
          onChange={setPercent}
          error={shown('share')}
        />
        <Text size="sm">
          {version === null ? 'The chosen version' : `v${version}`} also gets a copy of {typeof percent === 'number' ? percent : '?'} % of the requests of {d.name} once
          live v{d.live_version.number} has answered them; the page compares the two answers and latencies.
        </Text>
        <ReasonInput value={reason} onChange={setReason} error={fieldError(start.error, 'reason')} />
      </>
    );

  return (
    <FormModal
      title={d.shadow_version ? 'Change the shadow' : 'Start shadow traffic'}
      onClose={onClose}
      onSubmit={submit}
      pending={start.isPending}
      submitLabel="Start shadow"
      submitDisabled={candidates.length === 0 || (touched && Object.keys(problems).length > 0)}
      error={start.error}
      fields={['version', 'share', 'reason']}
    >
      {body}
    </FormModal>
  );
}
