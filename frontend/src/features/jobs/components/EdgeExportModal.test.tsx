import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestJson, requestMethod, requestPath } from '@/test/render';
import { EdgeExportModal } from './EdgeExportModal';

afterEach(() => vi.unstubAllGlobals());

const KINDS = [
  { kind: 'export_executorch', params: { type: 'object', properties: {} } },
  { kind: 'export_coreml', params: { type: 'object', properties: {} } },
  { kind: 'export_tflite', params: { type: 'object', properties: {} } },
];
const PROFILES = [
  { id: 1, name: 'phone', max_size_bytes: 5_000_000, max_latency_ms: 10, min_accuracy: 0.9, created_at: '2026-01-01T00:00:00Z' },
  { id: 2, name: 'watch', max_size_bytes: 1000, max_latency_ms: 5, min_accuracy: 0.9, created_at: '2026-01-01T00:00:00Z' },
];
const notMeasurable = { value: null, passed: null, note: 'not measurable on this platform' };
const COREML_JOB = {
  id: 9,
  kind: 'export_coreml',
  status: 'succeeded',
  progress: 100,
  message: 'Core ML ML Program (fp32, iOS16+)',
  passed: true,
  result: {
    kind: 'export_coreml',
    format: 'coreml',
    size_bytes: 30_000,
    passed: true,
    summary: 'Core ML ML Program (fp32, iOS16+): 30.0 kB, ops conv, linear; parity and latency not measurable on this platform',
    max_abs_diff: null,
    tolerance: null,
    parity_rows: 0,
    latency_ms: {},
    speedup: {},
    opset: null,
    signature: {},
    accuracy: null,
    parity: 'not measurable on this platform: Core ML runs only on Apple platforms (spec checked instead)',
    spec: {
      inputs: [{ name: 'input', dtype: 'float32', shape: [1, 64] }],
      outputs: [{ name: 'linear', dtype: 'float32', shape: [1, 10] }],
      op_types: { conv: 2, linear: 1 },
      weight_dtypes: { float32: 6 },
      compute_precision: 'fp32',
      minimum_deployment_target: 'iOS16',
    },
    version: { id: 12, model: 'digits-compact', number: 2, format: 'coreml', size_bytes: 30_000 },
    profiles: [
      {
        name: 'phone',
        passed: true,
        checks: { size_bytes: { limit: 5_000_000, value: 30_000, passed: true }, latency_ms: { limit: 10, ...notMeasurable }, accuracy: { limit: 0.9, ...notMeasurable } },
      },
    ],
  },
};

function server(kinds = KINDS) {
  return vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = requestPath(input);
    if (path === '/api/v1/jobs/kinds/') return jsonResponse(kinds);
    if (path === '/api/v1/projects/fraud-model/edge-profiles/') return jsonResponse(PROFILES);
    if (requestMethod(input, init) === 'POST') return jsonResponse({ ...COREML_JOB, status: 'queued', progress: 0, result: {} }, 201);
    if (path === '/api/v1/jobs/9/') return jsonResponse(COREML_JOB);
    return jsonResponse({});
  });
}

describe('EdgeExportModal', () => {
  it('starts a Core ML export with the chosen precision and profiles, then shows its report', async () => {
    const fetchMock = server();
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<EdgeExportModal project="fraud-model" versionId={3} format="state_dict" />);

    await user.click(screen.getByRole('button', { name: 'Export for devices' }));
    const dialog = await screen.findByRole('dialog');
    // every profile is checked by default; the user leaves out the watch
    const watch = await within(dialog).findByRole('checkbox', { name: /^watch/ });
    expect(watch).toBeChecked();
    await waitFor(() => expect(within(dialog).getByRole('radio', { name: 'Core ML (Apple)' })).toBeEnabled());
    await user.click(within(dialog).getByText('Core ML (Apple)'));
    await user.click(within(dialog).getByText('fp32'));
    await user.click(watch);
    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));

    await waitFor(() => expect(fetchMock.mock.calls.some(([i, init]) => requestMethod(i, init) === 'POST')).toBe(true));
    const post = fetchMock.mock.calls.find(([i, init]) => requestMethod(i, init) === 'POST')!;
    expect(await requestJson(post[0])).toEqual({
      project: 'fraud-model',
      kind: 'export_coreml',
      model_version: 3,
      params: { precision: 'fp32', edge_profiles: ['phone'] },
      device: 'auto',
    });
    // the job's progress, then its report: the spec, and what could not be measured
    expect(await screen.findByTestId('edge-export-job')).toBeInTheDocument();
    expect(await screen.findByText('Core ML spec')).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'conv ×2, linear ×1' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: /latency and accuracy not measurable on this platform/ })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'not measured' })).toBeInTheDocument();
  });

  it('sends int8 for ExecuTorch, and offers Core ML only when the server does', async () => {
    const fetchMock = server([KINDS[0]!]);
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<EdgeExportModal project="fraud-model" versionId={3} format="state_dict" />);

    await user.click(screen.getByRole('button', { name: 'Export for devices' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByRole('checkbox', { name: /^phone/ });
    await waitFor(() => expect(within(dialog).getByRole('radio', { name: 'Core ML (Apple)' })).toBeDisabled());
    expect(within(dialog).getByRole('radio', { name: 'LiteRT (TFLite: Android, embedded)' })).toBeDisabled();
    await user.click(within(dialog).getByText('int8'));
    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));
    await waitFor(() => expect(fetchMock.mock.calls.some(([i, init]) => requestMethod(i, init) === 'POST')).toBe(true));
    const post = fetchMock.mock.calls.find(([i, init]) => requestMethod(i, init) === 'POST')!;
    expect(await requestJson(post[0])).toMatchObject({
      kind: 'export_executorch',
      params: { quantization: 'int8', edge_profiles: ['phone', 'watch'] },
    });
  });

  it('starts a LiteRT export with the chosen precision', async () => {
    const fetchMock = server();
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<EdgeExportModal project="fraud-model" versionId={3} format="state_dict" />);

    await user.click(screen.getByRole('button', { name: 'Export for devices' }));
    const dialog = await screen.findByRole('dialog');
    await within(dialog).findByRole('checkbox', { name: /^phone/ });
    const litert = within(dialog).getByRole('radio', { name: 'LiteRT (TFLite: Android, embedded)' });
    await waitFor(() => expect(litert).toBeEnabled());
    await user.click(within(dialog).getByText('LiteRT (TFLite: Android, embedded)'));
    expect(within(dialog).getByText(/parity runs through the LiteRT interpreter/)).toBeInTheDocument();
    await user.click(within(dialog).getByText('fp16'));
    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));
    await waitFor(() => expect(fetchMock.mock.calls.some(([i, init]) => requestMethod(i, init) === 'POST')).toBe(true));
    const post = fetchMock.mock.calls.find(([i, init]) => requestMethod(i, init) === 'POST')!;
    expect(await requestJson(post[0])).toMatchObject({
      kind: 'export_tflite',
      params: { precision: 'fp16', edge_profiles: ['phone', 'watch'] },
    });
  });

  it('is disabled for a version that is not PyTorch', () => {
    vi.stubGlobal('fetch', server());
    renderWithProviders(<EdgeExportModal project="fraud-model" versionId={3} format="onnx" />);
    expect(screen.getByRole('button', { name: 'Export for devices' })).toBeDisabled();
    renderWithProviders(<EdgeExportModal project="fraud-model" versionId={4} format="tflite" />);
    expect(screen.getAllByRole('button', { name: 'Export for devices' })[1]).toBeDisabled();
  });
});
