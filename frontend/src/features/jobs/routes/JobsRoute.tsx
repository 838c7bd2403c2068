import { IconCpu } from '@tabler/icons-react';
import { ComingSoon } from '@/components/ComingSoon';

export function JobsRoute() {
  return (
    <ComingSoon
      title="Jobs"
      icon={<IconCpu size={28} />}
      coming="CPU and GPU jobs"
      description="Training tests, ONNX export, quantization, pruning and distillation on your workers."
    />
  );
}
