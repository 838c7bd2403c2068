import { IconRocket } from '@tabler/icons-react';
import { ComingSoon } from '@/components/ComingSoon';

export function DeploymentsRoute() {
  return (
    <ComingSoon
      title="Deployments"
      icon={<IconRocket size={28} />}
      coming="one-click deployments"
      description="Serve a model version behind a batched endpoint, canary it, promote it, roll it back."
    />
  );
}
