import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '@/api/client';
import { fetchProjects, projectKeys } from '@/api/projects';
import type { components } from '@/api/schema';

export type ProjectRequest = components['schemas']['ProjectCreateRequest'];

export function useProjects({ team, search }: { team: string | null; search: string }) {
  return useQuery({
    queryKey: projectKeys.list(team ?? '', search),
    queryFn: () => fetchProjects(team, search),
    enabled: team !== null,
    placeholderData: keepPreviousData,
  });
}

export function useCreateProject() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ProjectRequest) => unwrap(api.POST('/api/v1/projects/', { body })),
    onSuccess: (project) => {
      queryClient.setQueryData(projectKeys.detail(project.slug), project);
      return queryClient.invalidateQueries({ queryKey: projectKeys.lists() });
    },
  });
}
