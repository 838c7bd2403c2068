import { Text } from '@mantine/core';
import { preview } from './format';

/** The side of a square image when ``value`` is a flat list of n×n numbers (n ≥ 4), else null. */
export function imageSide(value: unknown): number | null {
  if (!Array.isArray(value) || value.length < 16) return null;
  const side = Math.round(Math.sqrt(value.length));
  if (side * side !== value.length || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) return null;
  return side;
}

/** A logged input: image-like inputs (the digits' 8×8 pixels) as a small grey-level picture, the rest as text. */
export function InputPreview({ value, size = 48 }: { value: unknown; size?: number }) {
  const side = imageSide(value);
  if (side === null) {
    return (
      <Text ff="monospace" size="xs">
        {preview(value)}
      </Text>
    );
  }
  const pixels = value as number[];
  const max = Math.max(...pixels, 1e-9);
  const min = Math.min(...pixels, 0);
  const cell = size / side;
  return (
    <svg
      width={size}
      height={size}
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={`${side}×${side} image input`}
      data-testid="input-image"
      style={{ border: '1px solid var(--mantine-color-default-border)', background: '#fff' }}
    >
      {pixels.map((v, i) => {
        const level = Math.round(255 - ((v - min) / (max - min || 1)) * 255);
        return (
          <rect
            key={i}
            x={(i % side) * cell}
            y={Math.floor(i / side) * cell}
            width={cell}
            height={cell}
            fill={`rgb(${level},${level},${level})`}
          />
        );
      })}
    </svg>
  );
}
