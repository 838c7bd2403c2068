import { Anchor, Button, Checkbox, Modal, SegmentedControl, Stack, Text } from '@mantine/core';
import { IconDeviceMobile } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { type JobCreate, isActive, useCreateJob, useEdgeProfiles, useJob, useJobKinds } from '../api/jobs';
import { JobReport } from './JobReport';
import { StartError } from './StartError';
import { JobProgress, JobStatusBadge } from './JobStatus';

type Runtime = 'executorch' | 'litert' | 'coreml';

/** Per runtime: its job kind, the param its choice of quantization sets, and the choices. */
const RUNTIMES: Record<Runtime, { label: string; kind: 'export_executorch' | 'export_tflite' | 'export_coreml'; param: string; choices: { value: string; label: string }[] }> = {
  executorch: {
    label: 'ExecuTorch (Android, iOS, embedded)',
    kind: 'export_executorch',
    param: 'quantization',
    choices: [
      { value: 'none', label: 'none (fp32)' },
      { value: 'int8', label: 'int8' },
    ],
  },
  litert: {
    label: 'LiteRT (TFLite: Android, embedded)',
    kind: 'export_tflite',
    param: 'precision',
    choices: [
      { value: 'fp32', label: 'fp32' },
      { value: 'fp16', label: 'fp16' },
      { value: 'int8', label: 'int8' },
    ],
  },
  coreml: {
    label: 'Core ML (Apple)',
    kind: 'export_coreml',
    param: 'precision',
    choices: [
      { value: 'fp16', label: 'fp16' },
      { value: 'fp32', label: 'fp32' },
    ],
  },
};

const HINTS: Record<Runtime, string> = {
  executorch: 'Parity runs in ExecuTorch’s runtime: fp32 against PyTorch (max abs diff), int8 gated on accuracy against this version.',
  litert:
    'Converted by onnx2tf; parity runs through the LiteRT interpreter: fp32 (max abs diff 1e-4) and fp16 (5e-2) against PyTorch, int8 gated on accuracy against this version.',
  coreml: 'Core ML runs only on Apple platforms: the spec is checked; parity, latency and accuracy are not measurable on the server.',
};

/** The running (then finished) job: progress while it runs, its report once it is done. */
function EdgeJob({ id }: { id: number }) {
  const job = useJob(id);
  if (!job.data) return <Text size="sm">Starting…</Text>;
  const j = job.data;
  return (
    <Stack gap="xs" data-testid="edge-export-job">
      <JobStatusBadge status={j.status} />
      <JobProgress status={j.status} progress={j.progress} message={j.message} />
      {isActive(j.status) ? null : <JobReport job={j} />}
      <Anchor component={Link} to={`/jobs/${j.id}`} size="sm">
        Open job #{j.id}
      </Anchor>
    </Stack>
  );
}

/**
 * "Export for devices" on a model version: pick the runtime (ExecuTorch; LiteRT and Core ML where the server
 * offers it), the quantization or precision, and which of the project's edge profiles to check;
 * start the export job and follow it here to its report.
 */
export function EdgeExportModal({ project, versionId, format }: { project: string; versionId: number; format?: string }) {
  const [opened, setOpened] = useState(false);
  const [runtime, setRuntime] = useState<Runtime>('executorch');
  const [choice, setChoice] = useState<Record<Runtime, string>>({ executorch: 'none', litert: 'fp32', coreml: 'fp16' });
  const [picked, setPicked] = useState<string[] | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const kinds = useJobKinds();
  const profiles = useEdgeProfiles(project, opened);
  const create = useCreateJob();
  const offered = (r: Runtime) => kinds.data?.some((k) => k.kind === RUNTIMES[r].kind) ?? r === 'executorch';
  const names = profiles.data?.map((p) => p.name) ?? [];
  const selected = picked ?? names;
  const notPyTorch = format === 'onnx' || format === 'executorch' || format === 'coreml' || format === 'tflite' || format === 'ensemble';
  const open = () => {
    setOpened(true);
    setJobId(null);
    setPicked(null);
    create.reset();
  };
  const start = () => {
    const spec = RUNTIMES[runtime];
    const params = { [spec.param]: choice[runtime], edge_profiles: selected };
    create.mutate(
      { project, kind: spec.kind, model_version: versionId, params: params as JobCreate['params'] },
      { onSuccess: (job) => setJobId(job.id) },
    );
  };
  return (
    <>
      <Button size="xs" leftSection={<IconDeviceMobile size={14} />} onClick={open} disabled={notPyTorch} data-testid="export-for-devices">
        Export for devices
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title="Export for devices" size="lg">
        {jobId !== null ? (
          <EdgeJob id={jobId} />
        ) : (
          <Stack gap="sm">
            <div>
              <Text size="sm" fw={500} mb={4}>
                Runtime
              </Text>
              <SegmentedControl
                aria-label="Runtime"
                value={runtime}
                onChange={(v) => setRuntime(v as Runtime)}
                data={(Object.keys(RUNTIMES) as Runtime[]).map((r) => ({ value: r, label: RUNTIMES[r].label, disabled: !offered(r) }))}
              />
            </div>
            <div>
              <Text size="sm" fw={500} mb={4}>
                {runtime === 'executorch' ? 'Quantization' : 'Precision'}
              </Text>
              <SegmentedControl
                aria-label={runtime === 'executorch' ? 'Quantization' : 'Precision'}
                value={choice[runtime]}
                onChange={(v) => setChoice((c) => ({ ...c, [runtime]: v }))}
                data={RUNTIMES[runtime].choices}
              />
              <Text size="xs" c="dimmed" mt={4}>
                {HINTS[runtime]}
              </Text>
            </div>
            <Checkbox.Group label="Edge profiles to check" value={selected} onChange={setPicked}>
              <Stack gap={4} mt={4}>
                {names.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    {profiles.isLoading ? 'Loading…' : 'This project has no edge profiles.'}
                  </Text>
                ) : (
                  profiles.data?.map((p) => (
                    <Checkbox
                      key={p.name}
                      value={p.name}
                      label={`${p.name}: ≤ ${(p.max_size_bytes / 1e6).toFixed(2)} MB, ≤ ${p.max_latency_ms} ms, accuracy ≥ ${p.min_accuracy}`}
                    />
                  ))
                )}
              </Stack>
            </Checkbox.Group>
            <StartError error={create.error} title="Could not start the export" />
            <Button onClick={start} loading={create.isPending} disabled={!offered(runtime)}>
              Start export
            </Button>
          </Stack>
        )}
      </Modal>
    </>
  );
}
