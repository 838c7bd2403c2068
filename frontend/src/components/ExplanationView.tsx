import { Alert, Badge, Group, Stack, Text } from '@mantine/core';
import type { Explanation } from '@/api/explain';
import { formatNumber, formatRatio } from '@/lib/format';
import { AttributionChart } from './AttributionChart';
import { AttributionHeatMap } from './AttributionHeatMap';

const METHOD: Record<string, string> = { integrated_gradients: 'Integrated Gradients (Captum)', kernel_shap: 'KernelSHAP (SHAP)' };

/** One explanation: per row, the predicted class, the completeness check, a bar chart and (image-like inputs) a heat map. */
export function ExplanationView({ explanation, inputs }: { explanation: Explanation; inputs?: number[][] }) {
  const e = explanation;
  return (
    <Stack gap="md" data-testid="explanation">
      <Group gap="xs">
        <Badge variant="light">{METHOD[e.method] ?? e.method}</Badge>
        <Badge color={e.completeness_passed ? 'teal' : 'red'} variant="light" data-testid="completeness">
          completeness {e.completeness_passed ? 'holds' : 'fails'}: error {formatRatio(e.max_completeness_error, 2)} (tolerance{' '}
          {formatRatio(e.completeness_tolerance, 0)})
        </Badge>
        <Text size="sm" c="dimmed">
          v{e.version} · baseline: {e.baseline}
        </Text>
      </Group>
      {e.fallback_reason ? (
        <Alert color="yellow" variant="light" title="Fallback explainer">
          {e.fallback_reason}
        </Alert>
      ) : null}
      {e.rows.map((r, i) => (
        <Stack key={i} gap="xs">
          <Text size="sm">
            Predicted class <b data-testid="predicted-class">{r.predicted_label}</b>: {e.output_kind} {formatNumber(r.output, 4)} vs{' '}
            {formatNumber(r.baseline_output, 4)} at the baseline; the attributions sum to {formatNumber(r.attribution_sum, 4)}
            {r.request_id ? ` · request ${r.request_id}` : ''}
          </Text>
          {e.image_shape ? <AttributionHeatMap values={r.attributions} shape={e.image_shape} pixels={inputs?.[i]} /> : null}
          <AttributionChart items={r.attributions.map((value, k) => ({ feature: e.feature_names[k] ?? `x${k}`, value }))} />
        </Stack>
      ))}
    </Stack>
  );
}
