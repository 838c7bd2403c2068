import { IconBox } from '@tabler/icons-react';
import { ComingSoon } from '@/components/ComingSoon';

export function ModelsRoute() {
  return (
    <ComingSoon
      title="Models"
      icon={<IconBox size={28} />}
      coming="the model registry"
      description="Models, versions, datasets and their lineage."
    />
  );
}
