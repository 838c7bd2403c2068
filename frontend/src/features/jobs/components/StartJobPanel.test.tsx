import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders, requestJson, requestMethod, requestPath } from '@/test/render';
import { StartJobPanel } from './StartJobPanel';

afterEach(() => vi.unstubAllGlobals());

/** What GET /api/v1/jobs/kinds/ sends for one kind: pydantic's JSON schema of its params model. */
const KINDS = [
  {
    kind: 'export_onnx',
    params: {
      type: 'object',
      additionalProperties: false,
      properties: {
        latency_repeats: { type: 'integer', default: 30, minimum: 1, maximum: 100000, description: 'Timed calls per latency figure.' },
        opset: { type: 'integer', default: 16, minimum: 9, maximum: 21, description: 'ONNX opset.' },
        tolerance: { type: 'number', default: 0.0002, minimum: 0, maximum: 1, description: 'Largest absolute difference.' },
        output_model: { type: 'string', default: '', maxLength: 200, description: 'Register under this model.' },
      },
    },
  },
  {
    kind: 'quantize',
    params: {
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['dynamic', 'static'], default: 'static', description: 'Mode.' },
        calibration_rows: { type: 'integer', default: 128, minimum: 1, description: 'Rows.' },
        per_channel: { type: 'boolean', default: true, description: 'Per channel.' },
        max_metric_drop: { type: 'number', default: 0.02, description: 'Gate.' },
      },
    },
  },
];

describe('StartJobPanel', () => {
  it("shows the server's defaults and sends only the params the user changed", async () => {
    const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) =>
      requestPath(input) === '/api/v1/jobs/kinds/'
        ? jsonResponse(KINDS)
        : requestMethod(input, init) === 'POST'
          ? jsonResponse({ id: 7 }, 201)
          : jsonResponse({}),
    );
    vi.stubGlobal('fetch', fetchMock);
    const user = userEvent.setup();
    renderWithProviders(<StartJobPanel project="fraud-model" versionId={3} />);

    await user.click(screen.getByRole('button', { name: 'Export to ONNX' }));
    const opset = await screen.findByLabelText('Opset');
    await waitFor(() => expect(opset).toHaveValue('16'));
    expect(screen.getByLabelText('Parity tolerance (max abs diff)')).toHaveValue('0.0002');
    expect(screen.getByText('ONNX opset.')).toBeInTheDocument();

    await user.clear(opset);
    await user.type(opset, '15');
    await user.click(screen.getByRole('button', { name: 'Start job' }));
    await waitFor(() => expect(fetchMock.mock.calls.some(([input, init]) => requestMethod(input, init) === 'POST')).toBe(true));
    const post = fetchMock.mock.calls.find(([input, init]) => requestMethod(input, init) === 'POST')!;
    expect(requestPath(post[0])).toBe('/api/v1/jobs/');
    expect(await requestJson(post[0])).toEqual({
      project: 'fraud-model',
      kind: 'export_onnx',
      model_version: 3,
      params: { opset: 15 },
      device: 'auto',
    });
  });

  it('offers the choices and switches the schema defines', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(KINDS)));
    const user = userEvent.setup();
    renderWithProviders(<StartJobPanel project="fraud-model" versionId={3} />);

    await user.click(screen.getByRole('button', { name: 'Quantize' }));
    await waitFor(() => expect(screen.getByLabelText('Calibration rows (static)')).toHaveValue('128'));
    expect(screen.getByRole('switch', { name: /Per-channel weights/ })).toBeChecked();
    expect(screen.getByRole('combobox', { name: 'Mode' })).toHaveValue('static');
  });
});
