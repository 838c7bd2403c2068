import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import type { components } from '@/api/schema';
import { meQueryKey } from '@/lib/auth';

export type Team = components['schemas']['Team'];
export type TeamRequest = components['schemas']['TeamRequest'];

export function useCreateTeam() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TeamRequest) => unwrap(api.POST('/api/v1/teams/', { body })),
    // The switcher lists the teams of /auth/me/, so refresh it.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: meQueryKey }),
  });
}
