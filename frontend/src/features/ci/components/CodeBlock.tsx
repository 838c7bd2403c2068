import { Box, Code } from '@mantine/core';
import { Copy } from './SecretPanel';

/** A block of code with a copy button in its corner. */
export function CodeBlock({ code, label, testId }: { code: string; label: string; testId: string }) {
  return (
    <Box pos="relative">
      <Code block data-testid={testId} style={{ overflowX: 'auto', paddingRight: 44 }} tabIndex={0}>
        {code}
      </Code>
      <Box pos="absolute" top={6} right={6}>
        <Copy value={code} label={label} />
      </Box>
    </Box>
  );
}
