import { Box, Group, Text } from '@mantine/core';
import { formatNumber } from '@/lib/format';

/** The attributions of an image-like input as a grid (the digits demo: 8×8), blue positive and red negative. */
export function AttributionHeatMap({ values, shape, pixels }: { values: number[]; shape: number[]; pixels?: number[] }) {
  const [h = 1, w = values.length] = shape;
  const scale = Math.max(1e-12, ...values.map((v) => Math.abs(v)));
  const ink = pixels ? Math.max(1e-12, ...pixels) : 1;
  const cell = 26;
  return (
    <Group align="flex-start" gap="lg" data-testid="attribution-heatmap">
      {pixels ? (
        <Box>
          <Text size="xs" c="dimmed" mb={4}>
            Input
          </Text>
          <svg width={w * cell} height={h * cell} role="img" aria-label="Input image">
            {pixels.map((p, i) => {
              const g = Math.round(255 - (255 * p) / ink);
              return <rect key={i} x={(i % w) * cell} y={Math.floor(i / w) * cell} width={cell} height={cell} fill={`rgb(${g},${g},${g})`} />;
            })}
          </svg>
        </Box>
      ) : null}
      <Box>
        <Text size="xs" c="dimmed" mb={4}>
          Attribution ({h}×{w})
        </Text>
        <svg width={w * cell} height={h * cell} role="img" aria-label={`Attribution heat map, ${h} by ${w}`}>
          {values.map((v, i) => {
            const a = Math.min(1, Math.abs(v) / scale);
            const color = v >= 0 ? `rgba(34, 139, 230, ${a})` : `rgba(250, 82, 82, ${a})`;
            return (
              <rect key={i} x={(i % w) * cell} y={Math.floor(i / w) * cell} width={cell} height={cell} fill={color} stroke="var(--mantine-color-gray-3)" data-testid="heat-cell">
                <title>{`pixel ${i}: ${formatNumber(v, 3)}`}</title>
              </rect>
            );
          })}
        </svg>
      </Box>
    </Group>
  );
}
