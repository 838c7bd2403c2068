import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithProviders } from '@/test/render';
import type { ExportReport, JobDetail } from '../api/jobs';
import { JobReport, tick } from './JobReport';

describe('tick', () => {
  it('keeps axis labels short enough to stay on one line', () => {
    expect(tick(0)).toBe('0');
    expect(tick(0.015)).toBe('0.015');
    expect(tick(0.0123456)).toBe('0.0123');
    expect(tick(80000)).toBe('80k');
    expect(tick(2_500_000)).toBe('2.5M');
    expect(tick(1)).toBe('1');
  });
});

const exportReport: ExportReport = {
  kind: 'export_onnx',
  format: 'onnx',
  size_bytes: 2048,
  passed: true,
  summary: 'ONNX opset 17: max abs diff 1e-07 vs PyTorch (tolerance 0.0001)',
  max_abs_diff: 1e-7,
  tolerance: 1e-4,
  parity_rows: 600,
  latency_ms: { pytorch: { '1': 0.2, '64': 1.5 }, onnx: { '1': 0.05, '64': 0.4 } },
  speedup: { '1': 4, '64': 3.75 },
  opset: 17,
  signature: {},
  version: { id: 9, model: 'digits-mlp', number: 2, format: 'onnx', size_bytes: 2048 },
  accuracy: null,
  profiles: [],
  parity: '',
  spec: {},
  reference_accuracy: null,
  max_metric_drop: null,
};

const job = (kind: JobDetail['kind'], result: JobDetail['result']) => ({ kind, result }) as JobDetail;

describe('JobReport', () => {
  it("reads an export job's report", () => {
    renderWithProviders(<JobReport job={job('export_onnx', exportReport)} />);
    expect(screen.getByText(exportReport.summary)).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'max abs diff' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: '2.0 KiB' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: '600' })).toBeInTheDocument();
  });

  it("lists an edge export's profiles with each verdict", () => {
    const checks = (size: number) => ({
      size_bytes: { limit: 5_000_000, value: size, passed: size <= 5_000_000 },
      latency_ms: { limit: 10, value: 0.013, passed: true },
      accuracy: { limit: 0.95, value: 0.9733, passed: true },
    });
    const edge: ExportReport = {
      ...exportReport,
      kind: 'export_executorch',
      format: 'executorch',
      accuracy: 0.9733,
      profiles: [
        { name: 'phone', passed: true, checks: checks(26_152) },
        { name: 'watch', passed: false, checks: { ...checks(26_152), size_bytes: { limit: 1000, value: 26_152, passed: false } } },
      ],
    };
    renderWithProviders(<JobReport job={job('export_executorch', edge)} />);
    expect(screen.getByRole('cell', { name: 'phone' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: /^met: 25\.5 KiB \(max 4\.77 MiB\)/ })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: /^not met: 25\.5 KiB \(max 1000 B\)/ })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: '0.9733' })).toBeInTheDocument();
  });

  it("shows a LiteRT export's model: operators, precision, I/O dtype", () => {
    const lite: ExportReport = {
      ...exportReport,
      kind: 'export_tflite',
      format: 'tflite',
      latency_ms: { pytorch: { '1': 0.6 }, onnxruntime: { '1': 0.02 }, litert: { '1': 0.005 } },
      spec: { precision: 'fp32', op_types: { CONV_2D: 4, FULLY_CONNECTED: 1 }, converter: 'onnx2tf', io_dtype: 'float32' },
    };
    renderWithProviders(<JobReport job={job('export_tflite', lite)} />);
    expect(screen.getByText('LiteRT model')).toBeInTheDocument();
    expect(screen.queryByText('Core ML spec')).not.toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'CONV_2D ×4, FULLY_CONNECTED ×1' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'onnx2tf' })).toBeInTheDocument();
  });

  it('shows nothing for a job without a report', () => {
    renderWithProviders(<JobReport job={job('evaluate', { kind: 'evaluate', device: 'cuda' })} />);
    expect(screen.queryByTestId('job-report')).not.toBeInTheDocument();
    renderWithProviders(<JobReport job={job('evaluate', {})} />);
    expect(screen.queryByTestId('job-report')).not.toBeInTheDocument();
  });
});
