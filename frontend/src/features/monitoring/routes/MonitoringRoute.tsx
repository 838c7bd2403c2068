import { IconActivityHeartbeat } from '@tabler/icons-react';
import { ComingSoon } from '@/components/ComingSoon';

export function MonitoringRoute() {
  return (
    <ComingSoon
      title="Monitoring"
      icon={<IconActivityHeartbeat size={28} />}
      coming="drift and quality monitoring"
      description="Data invariants, drift per feature, training/serving skew, staleness and the data flywheel."
    />
  );
}
