import { Badge, createTheme, Modal } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'blue',
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
    Badge: Badge.extend({
      styles: {
        root: { minWidth: 'max-content', flexShrink: 0, overflow: 'visible' },
        label: { overflow: 'visible', textOverflow: 'clip' },
      },
    }),
  },
});
