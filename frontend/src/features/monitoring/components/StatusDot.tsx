import { Badge, Box, Tooltip } from '@mantine/core';
import type { Status } from '../api/monitoring';
import { STATUS_COLOR, STATUS_LABEL } from './format';

export function StatusDot({ status }: { status: Status }) {
  return (
    <Tooltip label={STATUS_LABEL[status]}>
      <Box
        component="span"
        role="img"
        aria-label={STATUS_LABEL[status]}
        data-status={status}
        style={{
          display: 'inline-block',
          width: 12,
          height: 12,
          borderRadius: 6,
          background: `var(--mantine-color-${STATUS_COLOR[status]}-6)`,
        }}
      />
    </Tooltip>
  );
}

export function StatusBadge({ status }: { status: Status }) {
  return (
    <Badge color={STATUS_COLOR[status]} variant="light" tt="none">
      {STATUS_LABEL[status]}
    </Badge>
  );
}
