import { Badge, createTheme, type CSSVariablesResolver, darken, Modal, Table } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'blue',
  // Shade 8 keeps primary text and white-on-primary buttons above 4.5:1 contrast in both schemes.
  primaryShade: { light: 8, dark: 8 },
  // Filled badges and buttons pick black or white text, whichever reaches 4.5:1 on their colour
  // (white reaches it up to a relative luminance of 0.183, black from 0.175).
  autoContrast: true,
  luminanceThreshold: 0.18,
  defaultRadius: 'md',
  fontFamily:
    'Inter, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
  headings: { fontWeight: '650' },
  // Visible keyboard focus everywhere, never on mouse clicks.
  focusRing: 'auto',
  components: {
    // Mantine's close button is an unlabelled icon: screen readers and keyboard users need a name.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    // A status is read whole: a badge is never narrower than its label ("SUCCEEDED", not "SUCCEE…"),
    // whatever width a table cell or a flex row would give it.
    // A table wider than the screen scrolls natively, and keyboard users can reach it to scroll.
    TableScrollContainer: Table.ScrollContainer.extend({ defaultProps: { type: 'native', tabIndex: 0 } }),
    Badge: Badge.extend({
      styles: {
        root: { minWidth: 'max-content', flexShrink: 0, overflow: 'visible' },
        label: { overflow: 'visible', textOverflow: 'clip' },
      },
    }),
  },
});

/**
 * Text stays readable (WCAG AA, 4.5:1) in both schemes: dimmed text, and the text of light
 * variants (badges, buttons and alerts on a tinted background) in light mode, where Mantine's
 * yellows, oranges and teals are too pale.
 */
export const cssVariablesResolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': t.colors.gray[7] ?? '#495057',
    '--mantine-color-anchor': t.colors.blue[9] ?? '#1864ab',
    ...Object.fromEntries(
      Object.entries(t.colors).map(([name, shades]) => [`--mantine-color-${name}-light-color`, darken(shades[9] ?? '#000', 0.3)]),
    ),
  },
  dark: { '--mantine-color-dimmed': t.colors.dark[1] ?? '#b8b8b8', '--mantine-color-anchor': t.colors.blue[3] ?? '#74c0fc' },
});
