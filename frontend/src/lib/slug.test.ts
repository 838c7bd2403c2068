import { describe, expect, it } from 'vitest';
import { isValidSlug, SLUG_MAX_LENGTH, slugify } from './slug';

describe('slugify', () => {
  it.each([
    ['Fraud Detector', 'fraud-detector'],
    ['  My Model — v2!  ', 'my-model-v2'],
    ['Crème brûlée', 'creme-brulee'],
    ['ResNet_50 (ImageNet)', 'resnet-50-imagenet'],
    ['---', ''],
    ['', ''],
  ])('%s -> %s', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('produces slugs the backend accepts', () => {
    for (const name of ['Fraud Detector', 'a', 'Über 9000', 'x'.repeat(80), `${'a'.repeat(49)} b`]) {
      const slug = slugify(name);
      expect(slug.length).toBeLessThanOrEqual(SLUG_MAX_LENGTH);
      expect(isValidSlug(slug)).toBe(true);
    }
  });
});

describe('isValidSlug', () => {
  it.each(['a', 'a1', 'fraud-detector', 'a'.repeat(50)])('accepts %s', (slug) => {
    expect(isValidSlug(slug)).toBe(true);
  });
  it.each(['', '-a', 'a-', 'A', 'a_b', 'a b', 'a'.repeat(51)])('rejects %j', (slug) => {
    expect(isValidSlug(slug)).toBe(false);
  });
});
